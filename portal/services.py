"""Writes that matter for accounts, patients and the audit trail.

Keyword-only; rule breaks raise ValidationError with a message the front desk
can act on, and change nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal import lock_screen
from portal.clients import client_ip
from portal.clock import clinic_today
from portal.models import AuditEvent, Invitation, Patient, Role, User
from portal.plain_text import html_to_text
from portal.validators import NoControlCharacters

PHONE_RE = re.compile(r"^\+?[0-9 ().\-]{7,20}$")


def phone_normalise(phone: str) -> str:
    """Return the phone number as typed, trimmed, or raise a clear ValidationError."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    if not PHONE_RE.match(phone) or not 7 <= len(digits) <= 15:
        raise ValidationError(
            {"phone": "Enter a phone number with 7 to 15 digits, for example (555) 010-0199."}
        )
    return phone


def text_value(value: Any, *, field: str, multiline: bool = False) -> str:
    """`value` as text for `field`: None reads as empty; anything that is not text, text with
    a NUL character (which PostgreSQL cannot store) or with other control characters (line
    breaks too, unless `multiline`) is refused, not crashed on."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({field: "Enter this as text."})
    if "\x00" in value:
        raise ValidationError({field: "Remove the unusual (null) characters from this text."})
    try:
        NoControlCharacters(multiline=multiline)(value)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None
    return value


def audit_record(
    *,
    actor: User | None,
    action: str,
    patient: Patient | None = None,
    obj: Any = None,
    request=None,
    detail: dict | None = None,
) -> AuditEvent:
    """Append one audit event: who did `action` to which patient's data, from where."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        patient=patient,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip_address=client_ip(request),
        detail=detail or {},
    )


def patient_details_clean(*, first_name, last_name, email, phone, date_of_birth) -> dict:
    """The patient's details trimmed and checked, or a ValidationError naming every field to fix."""
    errors: dict[str, str] = {}
    texts = {}
    for field, value in (("first_name", first_name), ("last_name", last_name), ("email", email), ("phone", phone)):
        try:
            texts[field] = text_value(value, field=field).strip()
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
            texts[field] = ""
    first_name, last_name, phone = texts["first_name"], texts["last_name"], texts["phone"]
    email = texts["email"].lower()
    if not first_name:
        errors["first_name"] = "Enter the patient's first name."
    if not last_name:
        errors["last_name"] = "Enter the patient's last name."
    if len(first_name) > 100 or len(last_name) > 100:
        errors["last_name"] = "Names can be at most 100 characters."
    try:
        phone = phone_normalise(phone)
    except ValidationError as exc:
        errors.setdefault("phone", exc.message_dict["phone"][0])
    if email and "email" not in errors:
        try:
            validate_email(email)
            if len(email) > 254:
                raise ValidationError("too long")
        except ValidationError:
            errors["email"] = "Enter a valid email address, such as name@example.com."
    if not email and not phone and not errors.keys() & {"email", "phone"}:
        errors["email"] = "Enter an email address or a phone number so the clinic can reach the patient."
    if date_of_birth is not None:
        if isinstance(date_of_birth, dt.datetime):
            date_of_birth = date_of_birth.date()
        if not isinstance(date_of_birth, dt.date):
            errors["date_of_birth"] = "Enter the date of birth as a date."
        elif date_of_birth >= clinic_today() or date_of_birth.year < 1900:
            errors["date_of_birth"] = "Enter a date of birth in the past."
    if errors:
        raise ValidationError(errors)
    return {
        "first_name": first_name, "last_name": last_name, "email": email, "phone": phone, "date_of_birth": date_of_birth
    }


def patient_register(
    *,
    first_name: str,
    last_name: str,
    email: str,
    phone: str = "",
    date_of_birth: dt.date | None = None,
    registered_by: User | None = None,
) -> Patient:
    """Create the patient record, or return the existing one with this email.

    An existing record is never overwritten from here: someone typing another
    person's email must not be able to change that person's details.
    """
    details = patient_details_clean(
        first_name=first_name, last_name=last_name, email=email, phone=phone, date_of_birth=date_of_birth
    )
    email = details["email"]
    if email:
        existing = Patient.objects.with_email(email).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            patient = Patient.objects.create(**details)
            audit_record(actor=registered_by, action="patient.register", patient=patient, obj=patient)
    except IntegrityError:
        # Two registrations with one email raced: the other one won; use it.
        existing = Patient.objects.with_email(email).first() if email else None
        if existing is None:
            raise
        return existing
    return patient


def patient_hold(*, details: dict, held_for: Patient) -> Patient:
    """A record for someone who typed the email of `held_for` without proving it is theirs:
    their details as typed, kept apart until staff reconcile it or the email's owner confirms.
    `details` comes from patient_details_clean."""
    with transaction.atomic():
        patient = Patient.objects.create(**details, held_for=held_for)
        audit_record(actor=None, action="patient.held", patient=patient, obj=patient, detail={"held_for": held_for.pk})
    return patient


def staff_create(
    *,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
) -> User:
    """Create a front-desk or clinician account (a staff member of the clinic)."""
    from django.contrib.auth.models import Group

    if not isinstance(role, str) or role not in (Role.FRONT_DESK, Role.CLINICIAN):
        raise ValidationError({"role": "Choose a staff role: front_desk or clinician."})
    email = text_value(email, field="email").strip().lower()
    first_name = text_value(first_name, field="first_name")
    last_name = text_value(last_name, field="last_name")
    if len(first_name) > 150 or len(last_name) > 150:
        raise ValidationError({"last_name": "Names can be at most 150 characters."})
    if password is not None:
        password = text_value(password, field="password", multiline=True)
    try:
        validate_email(email)
        if len(email) > 254:
            raise ValidationError("too long")
    except ValidationError:
        raise ValidationError({"email": "Enter a valid email address, such as name@example.com."}) from None
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "An account with this email already exists."})
    user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip(), is_staff=True)
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
    with transaction.atomic():
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        group, _ = Group.objects.get_or_create(name=role)
        user.groups.add(group)
        audit_record(actor=None, action="staff.create", obj=user, detail={"role": role})
    return user


def email_send(*, subject: str, to: str, template: str, context: dict) -> None:
    """One email from `<template>.html`; its plain-text part is the HTML part's words (portal.plain_text)."""
    html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=html_to_text(html), to=[to])
    message.attach_alternative(html, "text/html")
    message.send()


def patient_invite(*, patient: Patient, invited_by: User | None = None) -> Invitation:
    """Email the patient a one-time link to create their portal account."""
    if invited_by is not None and not invited_by.is_clinic_staff:
        raise PermissionDenied("Only clinic staff can invite patients.")
    if patient.user_id:
        raise ValidationError("This patient already has a portal account.")
    if not patient.email:
        raise ValidationError("Add an email address to this patient before sending an invitation.")
    if User.objects.filter(email__iexact=patient.email).exists():
        raise ValidationError("An account with this patient's email already exists.")
    token = Invitation.new_token()
    with transaction.atomic():
        # A new invitation replaces any earlier one that is still open.
        Invitation.objects.filter(patient=patient, used_at__isnull=True).update(expires_at=timezone.now())
        invitation = Invitation.objects.create(
            patient=patient,
            token_hash=Invitation.hash_token(token),
            created_by=invited_by,
            expires_at=timezone.now() + dt.timedelta(days=settings.INVITATION_VALID_DAYS),
        )
        audit_record(actor=invited_by, action="patient.invite", patient=patient, obj=invitation)
    link = settings.SITE_URL.rstrip("/") + reverse("invitation-accept", args=[token])
    email_send(
        subject=lock_screen.subject("Your account invitation"),
        to=patient.email,
        template="emails/invitation",
        context={"patient": patient, "link": link, "days": settings.INVITATION_VALID_DAYS},
    )
    return invitation


def invitation_lookup(*, token: str) -> Invitation | None:
    if not token or len(token) > 100:
        return None
    return Invitation.objects.usable().select_related("patient").filter(token_hash=Invitation.hash_token(token)).first()


def invitation_accept(*, token: str, password: str) -> User:
    """Create the patient's account from a valid invitation; the link then stops working."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.usable()
            .select_for_update()
            .filter(token_hash=Invitation.hash_token(token or ""))
            .first()
        )
        if invitation is None:
            raise ValidationError("This invitation link has expired or was already used. Ask the clinic for a new one.")
        patient = Patient.objects.select_for_update().get(pk=invitation.patient_id)
        if patient.user_id:
            raise ValidationError("This patient already has a portal account. Sign in instead.")
        user = User(email=patient.email.lower(), first_name=patient.first_name, last_name=patient.last_name)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
        if User.objects.filter(email__iexact=patient.email).exists():
            raise ValidationError("An account with this email already exists. Sign in instead.")
        from django.contrib.auth.models import Group

        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get_or_create(name=Role.PATIENT)[0])
        patient.user = user
        patient.save(update_fields=["user"])
        invitation.used_at = timezone.now()
        invitation.save(update_fields=["used_at"])
        audit_record(actor=user, action="patient.account_created", patient=patient, obj=invitation)
    return user


def patient_channel_set(*, patient: Patient, channel: str, by: User | None = None, request=None) -> Patient:
    """The patient's choice of channel for reminders and notices."""
    if channel not in ("", "email", "sms"):
        raise ValidationError({"preferred_channel": "Choose email or text message."})
    if channel == "email" and not patient.email:
        raise ValidationError({"preferred_channel": "We have no email address for you. Call the clinic to add one."})
    if channel == "sms" and not patient.phone:
        raise ValidationError({"preferred_channel": "We have no phone number for you. Call the clinic to add one."})
    with transaction.atomic():
        patient.preferred_channel = channel
        patient.save(update_fields=["preferred_channel"])
        audit_record(actor=by, action="patient.channel_set", patient=patient, obj=patient, request=request,
                     detail={"channel": channel})
    return patient


def patient_search_audit(*, actor: User, query: str, patients: list[Patient], request=None) -> None:
    """A search is a look at every patient it shows: one event per patient listed (so each
    patient's trail names who saw them in a list), or one without a patient when none matched."""
    detail = {"query": query[:100]}
    events = [
        AuditEvent(
            actor=actor, action="patient.search", patient=patient, object_type=patient._meta.label_lower,
            object_id=str(patient.pk), ip_address=client_ip(request), detail=detail,
        )
        for patient in patients
    ] or [AuditEvent(actor=actor, action="patient.search", ip_address=client_ip(request), detail=detail)]
    AuditEvent.objects.bulk_create(events)


DETAIL_FIELDS = ("first_name", "last_name", "email", "phone", "date_of_birth")


def plain_value(value):
    """A value as JSON can hold it: a related row by its key, a date as ISO text."""
    if hasattr(value, "pk"):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def patient_update(
    *, patient: Patient, by: User | None, changes: dict[str, Any], request=None, action: str = "patient.change"
) -> Patient:
    """Change a patient's record and audit each changed field with its old and new value.

    The staff pages' form and the Django admin both come here. The details (name, email,
    phone, date of birth) are checked as at registration; another patient's email is refused.
    Other fields the admin edits (the account, the channel) are saved as given."""
    if by is not None and not (by.is_clinic_staff or by.has_perm("portal.change_patient")):
        raise PermissionDenied("Only clinic staff can change a patient's details.")
    unknown = set(changes) - {*DETAIL_FIELDS, "preferred_channel", "user"}
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    current = {name: getattr(patient, name) for name in DETAIL_FIELDS}
    details = patient_details_clean(**{**current, **{k: v for k, v in changes.items() if k in DETAIL_FIELDS}})
    if details["email"] and Patient.objects.with_email(details["email"]).exclude(pk=patient.pk).exists():
        raise ValidationError({"email": "Another patient already has this email address."})
    wanted = {**changes, **details}
    changed = {
        name: {"old": plain_value(getattr(patient, name)), "new": plain_value(value)}
        for name, value in wanted.items()
        if getattr(patient, name) != value
    }
    if not changed:
        return patient
    with transaction.atomic():
        for name in changed:
            setattr(patient, name, wanted[name])
        try:
            with transaction.atomic():
                patient.save(update_fields=list(changed))
        except IntegrityError:
            patient.refresh_from_db()
            raise ValidationError({"email": "Another patient already has this email address."}) from None
        audit_record(actor=by, action=action, patient=patient, obj=patient, request=request, detail={"fields": changed})
    return patient
