"""Informed consent: the clinic's versioned consent document and patients' signatures.

A version is drafted, then published; a published version is never rewritten. A patient's
signature holds the exact version signed. A signature still counts after a new version
unless the clinic marked that version (or one after the signed one) as material.

The guide owns the side effects by how often they happen; it lends them to the consent
through `register_insert` (education imports screening, never the reverse).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from portal import lock_screen
from portal.models import ClinicSettings, Patient, User
from portal.services import audit_record, email_send, text_value
from screening.models import Consent, ConsentVersion

logger = logging.getLogger(__name__)

# name -> callable returning the blocks to show where a line holds only {name}.
_INSERTS: dict[str, Callable[[], list[dict]]] = {}


def register_insert(name: str, provider: Callable[[], list[dict]]) -> None:
    """Let another part of the portal fill a `{name}` line of the consent text.
    provider() returns [{"heading": str, "rows": [{"plain": str, "term": str}]}]."""
    _INSERTS[name] = provider


SEED_TITLE = "Consent to ketamine infusion treatment"

SEED_BODY = """## What this treatment is
Ketamine is a medicine that doctors have long used to put people to sleep for surgery (anesthesia). We use it in a low dose, given slowly through a vein, to treat depression that has not got better with other treatments, and PTSD.

Ketamine infusion is not approved by the FDA (the US Food and Drug Administration) for depression or PTSD. Doctors use it this way "off label". This is legal and common, but it means the FDA has not reviewed it for these conditions.

## What happens on the day
Before the infusion you meet one of your care providers, who talks you through it. You empty your bladder, then lie down and relax. The infusion lasts 45 to 60 minutes. Staff watch you closely the whole time. Afterwards staff check on you before you are cleared to go home. Most people go home 1 to 2 hours after the infusion ends.

## Side effects
Like all medicines, ketamine can cause side effects. Staff watch for them during and after each session.
{side_effects}

## After each treatment
For {no_driving_hours} hours after each treatment, do not drive, and do not take alcohol or recreational drugs. Ask us about your usual medicines.

A responsible adult must take you home. Do not drive, and do not go home alone by bus, train, taxi or ride-share.

## Your choice
You can say no to this treatment. You can stop at any time, even in the middle of an infusion, and you do not have to give a reason. Stopping will not change the rest of your care with us.

## Whom to call
Call the clinic at {clinic_phone} with any question, or if you feel unwell after a session. In an emergency, call 911. If you are in crisis or thinking about harming yourself, call or text 988.

## By signing
I have read this form, or had it read to me. I have had the chance to ask questions. I agree to have ketamine infusion treatment."""


def consent_seed_if_empty(sender=None, using="default", **kwargs) -> None:
    """Publish the clinic's first consent version when there is none (after migrate or a
    flush), so patients always have a version to read and sign."""
    from django.db.utils import OperationalError, ProgrammingError

    try:
        if ConsentVersion.objects.using(using).exists():
            return
    except (OperationalError, ProgrammingError):  # tables not created yet
        return
    ConsentVersion.objects.using(using).create(
        number=1, title=SEED_TITLE, body=SEED_BODY, material=True, published_at=timezone.now()
    )


def consent_version_current() -> ConsentVersion:
    version = ConsentVersion.objects.current()
    if version is None:
        raise ValidationError("The clinic has not published a consent form yet. Please call the clinic.")
    return version


def consent_signature_current(*, patient: Patient) -> Consent | None:
    """The patient's signature that counts now, or None if they must sign (again)."""
    required = ConsentVersion.objects.required()
    if required is None:
        return None
    return (
        Consent.objects.filter(patient=patient, version__number__gte=required.number)
        .select_related("version")
        .order_by("-version__number")
        .first()
    )


def consent_current_patient_ids(patient_ids) -> set[int]:
    """Which of these patients have signed the current consent (the rule of consent_is_current,
    for a whole chair board in two queries)."""
    required = ConsentVersion.objects.required()
    if required is None or not patient_ids:
        return set()
    return set(
        Consent.objects.filter(patient_id__in=patient_ids, version__number__gte=required.number).values_list(
            "patient_id", flat=True
        )
    )


def consent_is_current(*, patient: Patient) -> bool:
    """Has the patient signed the clinic's current consent (or a version since its last material change)?"""
    return consent_signature_current(patient=patient) is not None


def _name_key(value: str) -> str:
    return " ".join(value.split()).casefold()


def consent_sign(
    *, patient: Patient, signed_name: str, recorded_by: User | None = None, request=None
) -> Consent:
    """Sign the clinic's current consent version as `patient`.

    `signed_name` must be the patient's full name (case and extra spaces aside). With
    `recorded_by`, a staff member records a signature the patient typed on a clinic tablet.
    Signing a version already signed returns that signature unchanged."""
    if recorded_by is not None and not getattr(recorded_by, "is_clinic_staff", False):
        raise PermissionDenied("Only clinic staff can record a signature taken in the clinic.")
    signed_name = text_value(signed_name or "", field="signed_name").strip()
    if not signed_name:
        raise ValidationError({"signed_name": "Type your full name to sign."})
    if _name_key(signed_name) != _name_key(patient.full_name):
        raise ValidationError(
            {"signed_name": f"Type the full name the clinic has for this patient: {patient.full_name}. "
                            "If that name is wrong, ask the front desk to correct it first."}
        )
    version = consent_version_current()
    method = Consent.Method.CLINIC if recorded_by is not None else Consent.Method.PORTAL
    existing = Consent.objects.filter(patient=patient, version=version).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            consent = Consent.objects.create(
                patient=patient,
                version=version,
                signed_name=" ".join(signed_name.split()),
                method=method,
                recorded_by=recorded_by,
                text=consent_blocks(version),
            )
            audit_record(
                actor=recorded_by or getattr(patient, "user", None),
                action=f"consent.signed.{method}",
                patient=patient,
                obj=consent,
                request=request,
                detail={"version": version.number},
            )
    except IntegrityError:  # the same version signed a moment ago (a double submit)
        return Consent.objects.get(patient=patient, version=version)
    transaction.on_commit(lambda: _consent_email(consent))
    return consent


def consent_publish(*, version: ConsentVersion, by: User) -> ConsentVersion:
    """Publish a draft: it becomes the version patients sign."""
    if not (by and by.has_perm("screening.change_consentversion")):
        raise PermissionDenied("You cannot publish the consent form.")
    with transaction.atomic():
        version = ConsentVersion.objects.select_for_update().get(pk=version.pk)
        if version.is_published:
            raise ValidationError("This version is already published; make a new draft to change it.")
        if not version.body.strip():
            raise ValidationError({"body": "The consent form has no text."})
        if ConsentVersion.objects.published().filter(number__gt=version.number).exists():
            # Publishing it now would leave it behind a newer text patients already sign.
            raise ValidationError("A newer version is already published. Make a new draft from it instead.")
        if not version.changes.strip() and ConsentVersion.objects.published().exists():
            raise ValidationError({"changes": "Say what changed, so staff and patients can see it in the history."})
        version.published_at = timezone.now()
        version.published_by = by
        version.save(update_fields=["published_at", "published_by"])
        audit_record(actor=by, action="consent.published", obj=version, detail={"material": version.material})
    return version


def consent_draft_new(*, by: User) -> ConsentVersion:
    """A new draft, starting from the current version's text."""
    if not (by and by.has_perm("screening.add_consentversion")):
        raise PermissionDenied("You cannot edit the consent form.")
    current = ConsentVersion.objects.current()
    return ConsentVersion.objects.create(
        number=consent_number_next(),
        title=current.title if current else SEED_TITLE,
        body=current.body if current else SEED_BODY,
    )


def consent_number_next() -> int:
    return (ConsentVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1


def consent_draft_open() -> ConsentVersion | None:
    """The clinic's working copy, if one is open (the newest unpublished version)."""
    return ConsentVersion.objects.filter(published_at__isnull=True).order_by("-number").first()


def consent_blocks(version: ConsentVersion) -> list[dict]:
    """The consent text as blocks for a template: {"kind": "heading"|"paragraph"|"insert", ...}.
    Values are filled into plain text only; templates escape everything."""
    clinic = ClinicSettings.load()
    values = {
        "no_driving_hours": str(clinic.no_driving_hours),
        "clinic_phone": settings.CLINIC_PHONE,
        "clinic_name": settings.CLINIC_NAME,
    }
    blocks: list[dict] = []
    for chunk in version.body.replace("\r\n", "\n").split("\n"):
        line = chunk.strip()
        if not line:
            continue
        name = line[1:-1] if line.startswith("{") and line.endswith("}") else ""
        if name in _INSERTS:
            blocks.append({"kind": "insert", "groups": _INSERTS[name]()})
        elif line.startswith("## "):
            blocks.append({"kind": "heading", "text": _fill(line[3:], values)})
        else:
            blocks.append({"kind": "paragraph", "text": _fill(line, values), "phone": settings.CLINIC_PHONE})
    return blocks


def consent_text(consent: Consent) -> list[dict]:
    """The text of a signature as the patient read it when signing. A signature stored
    before the text was kept with it shows its version as the clinic fills it in now."""
    return consent.text or consent_blocks(consent.version)


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _consent_email(consent: Consent) -> None:
    patient = consent.patient
    if not patient.email:
        return
    context = {
        "consent": consent,
        "patient": patient,
        "blocks": consent_text(consent),
        "tz": ClinicSettings.load().tz,
        "CLINIC_NAME": settings.CLINIC_NAME,
        "CLINIC_PHONE": settings.CLINIC_PHONE,
    }
    try:
        email_send(
            subject=lock_screen.subject(),
            to=patient.email,
            template="screening/emails/consent_copy",
            context=context,
        )
    except OSError:  # the signature stands; the copy is on the patient's page
        logger.exception("The signed consent copy could not be emailed (consent %s).", consent.pk)
