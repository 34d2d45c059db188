"""Screening services: the only place screening rules are decided."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal import lock_screen
from portal.models import ClinicSettings, Patient, User
from portal.services import audit_record, email_send, patient_details_clean, patient_hold, patient_register, text_value
from portal.throttle import throttle_hit, throttle_key
from screening.checklist import checklist_hints
from screening.models import (
    ChecklistVersion,
    Clearance,
    Condition,
    Outcome,
    Screening,
)

logger = logging.getLogger(__name__)

ANSWERS = ("yes", "no", "unsure")
# The optional note on a "Yes" or "Not sure" answer: a short sentence, not a history.
NOTE_MAX = 300
# A "Yes" to either of these puts "If you have chest pain now, call 911" first on the result page.
CHEST_PAIN_CODES = ("unstable_angina", "recent_myocardial_infarction")
ANSWER_WORDS = {"yes": "Yes", "no": "No", "unsure": "Not sure"}


def clearance_record(
    *,
    patient: Patient,
    clinician: User,
    note: str = "",
    decision: str = Clearance.Decision.CLEARED,
    request=None,
) -> Clearance:
    """A clinician's decision that the patient may (or may not yet) be booked."""
    if clinician is None or not getattr(clinician, "is_clinician", False):
        raise PermissionDenied("Only a clinician can record a clearance.")
    if patient.held_for_id:
        raise ValidationError(
            "This referral typed the email of a patient already on file. Compare the two and say whether they are "
            "the same person before deciding."
        )
    if decision not in Clearance.Decision.values:
        raise ValidationError({"decision": "Choose cleared, not suitable, or needs more information."})
    note = text_value(note, field="note", multiline=True).strip()
    if decision != Clearance.Decision.CLEARED and not note:
        raise ValidationError({"note": "Add a note that says why, so the front desk and patient know what comes next."})
    with transaction.atomic():
        clearance = Clearance.objects.create(patient=patient, clinician=clinician, decision=decision, note=note)
        audit_record(
            actor=clinician, action=f"clearance.{decision}", patient=patient, obj=clearance, request=request
        )
    return clearance


# --- The checklist and its versions -------------------------------------------------


def _checklist_snapshot() -> list[dict]:
    hints = checklist_hints(recent_months=ClinicSettings.load().recent_months)
    return [
        {
            "code": c.code,
            "group": c.group.code,
            "group_title": c.group.title,
            "source": c.source,
            "term": c.term,
            "plain": c.plain,
            **({"hint": hints[c.code]} if c.code in hints else {}),
        }
        for c in Condition.objects.enabled().select_related("group").order_by("group__order", "order", "pk")
    ]


def checklist_version_current() -> ChecklistVersion:
    """The checklist patients answer now. A new version is made whenever the enabled
    conditions or their wording differ from the newest version, so every screening
    keeps exactly what its patient saw."""
    snapshot = _checklist_snapshot()
    newest = ChecklistVersion.objects.newest()
    if newest is not None and newest.conditions == snapshot:
        return newest
    try:
        with transaction.atomic():
            # Serialise version creation: two requests seeing the same change make one version.
            list(ChecklistVersion.objects.select_for_update().order_by("-number")[:1])
            newest = ChecklistVersion.objects.newest()
            if newest is not None and newest.conditions == snapshot:
                return newest
            return ChecklistVersion.objects.create(number=(newest.number + 1) if newest else 1, conditions=snapshot)
    except IntegrityError:
        # The very first version raced (nothing to lock yet): the other request made it.
        newest = ChecklistVersion.objects.newest()
        if newest is None or newest.conditions != snapshot:
            raise
        return newest


def condition_enabled_set(*, condition: Condition, enabled: bool, by: User | None = None, request=None) -> Condition:
    """Switch a common-practice condition on or off; the checklist gets a new version."""
    if condition.source == Condition.Source.CLINIC and not enabled:
        raise ValidationError(
            {"enabled": "This condition is on the clinic's own list, so it is always asked. It cannot be switched off."}
        )
    with transaction.atomic():
        condition.enabled = enabled
        condition.save(update_fields=["enabled"])
        version = checklist_version_current()
        audit_record(
            actor=by,
            action="checklist.condition_enabled" if enabled else "checklist.condition_disabled",
            obj=condition,
            request=request,
            detail={"code": condition.code, "version": version.number},
        )
    return condition


@dataclass(frozen=True)
class Evaluation:
    outcome: str  # "clear" | "review"
    flagged: tuple[str, ...]  # codes answered "yes" or "unsure", in checklist order
    unanswered: tuple[str, ...]  # enabled codes with no answer, in checklist order

    @property
    def is_clear(self) -> bool:
        return self.outcome == Outcome.CLEAR


def checklist_evaluate(*, answers: Mapping[str, str], version: ChecklistVersion | None = None) -> Evaluation:
    """Decide the outcome of a checklist: "clear" only when every enabled condition is
    answered "no"; any "yes", "unsure" or missing answer means a clinician reviews it.

    Unknown codes or answer values are refused. Answers to a condition the clinic has
    switched off (not in `version`, by default the current checklist) are ignored.
    """
    if not isinstance(answers, Mapping):
        raise ValidationError("Answers must map each question's code to yes, no or not sure.")
    if version is None:
        enabled = list(Condition.objects.enabled().order_by("group__order", "order", "pk").values_list("code", flat=True))
        known = set(Condition.objects.values_list("code", flat=True)) if set(answers) - set(enabled) else set(enabled)
    else:
        enabled = version.codes
        extra = set(answers) - set(enabled)
        known = set(enabled) | (set(Condition.objects.filter(code__in=extra).values_list("code", flat=True)) if extra else set())
    unknown = sorted(str(code) for code in answers if code not in known)
    if unknown:
        raise ValidationError(
            "These questions are not on the checklist: %(codes)s. Please start the screening again.",
            code="unknown_code",
            params={"codes": ", ".join(unknown)},
        )
    # A switched-off condition is ignored whatever its answer says.
    asked = set(enabled)
    bad = sorted(str(code) for code, value in answers.items() if code in asked and value not in ANSWERS)
    if bad:
        raise ValidationError(
            "Answer each question with Yes, No or Not sure (%(codes)s).",
            code="bad_value",
            params={"codes": ", ".join(bad)},
        )
    flagged = tuple(code for code in enabled if answers.get(code) in ("yes", "unsure"))
    unanswered = tuple(code for code in enabled if code not in answers)
    outcome = Outcome.CLEAR if not flagged and not unanswered else Outcome.REVIEW
    return Evaluation(outcome=str(outcome), flagged=flagged, unanswered=unanswered)


# --- Sending a screening to the clinic ----------------------------------------------


def submission_rate_limited(*, client: str, limit: int | None = None, window: int = 3600) -> bool:
    """Count one anonymous submission from `client` (an IP address); True once over the limit
    (never while the cache is down: a screening must reach the clinic whatever Redis does)."""
    limit = limit if limit is not None else settings.SCREENING_SUBMISSIONS_PER_HOUR
    return not throttle_hit(key=throttle_key("screening-submit", client), limit=limit, window=window)


def _submission_check(*, answers, version: ChecklistVersion, submission_key: str, consent: bool) -> Evaluation:
    """Consent, a usable form and an answer to every question, or nothing is stored."""
    if consent is not True:
        raise ValidationError(
            {"consent": "Tick the box to agree that the clinic may store your answers. Without it, nothing is sent."}
        )
    if not submission_key or len(submission_key) > 64:
        raise ValidationError("This form has expired. Please start the screening again.")
    evaluation = checklist_evaluate(answers=answers, version=version)
    if evaluation.unanswered:
        raise ValidationError(
            "Some questions have no answer yet. Please go back and answer every question.", code="unanswered"
        )
    return evaluation


def _anonymous_patient(**typed) -> tuple[Patient, str]:
    """The record an anonymous screening goes on, and the owner's confirmation token ("" if none).
    A new email makes a new patient; an email already on file is never merged into that
    record, nor changes it: the screening is held apart (see referral_reconcile)."""
    details = patient_details_clean(**typed)
    on_file = Patient.objects.with_email(details["email"]).first() if details["email"] else None
    if on_file is None:
        return patient_register(**details), ""
    return patient_hold(details=details, held_for=on_file), secrets.token_urlsafe(32)
def _notes_clean(notes: Mapping[str, str] | None, answers: Mapping[str, str]) -> dict[str, str]:
    """The notes worth keeping: on a "Yes" or "Not sure", plain text of at most NOTE_MAX characters."""
    kept = {}
    for code, note in (notes or {}).items():
        note = " ".join(text_value(note, field="notes", multiline=True).split())
        if len(note) > NOTE_MAX:
            raise ValidationError({"notes": f"Keep each note to {NOTE_MAX} characters or fewer."})
        if note and answers.get(code) in ("yes", "unsure"):
            kept[code] = note
    return kept


def _answers_stored(*, version: ChecklistVersion, answers: Mapping[str, str], notes) -> list[dict]:
    """The answers as the screening keeps them: with the wording the patient saw, and their notes."""
    kept = _notes_clean(notes, answers)
    answered = [
        {"code": item["code"], "question": item["plain"], "term": item["term"], "answer": answers[item["code"]]}
        for item in version.conditions
    ]
    for item in answered:
        if item["code"] in kept:
            item["note"] = kept[item["code"]]
    return answered


def screening_submit(
    *,
    answers: Mapping[str, str],
    version: ChecklistVersion,
    submission_key: str,
    consent: bool,
    first_name: str,
    last_name: str,
    email: str = "",
    phone: str = "",
    date_of_birth: dt.date | None = None,
    patient: Patient | None = None,
    request=None,
    notes: Mapping[str, str] | None = None,
) -> Screening:
    """Store a completed checklist for the clinic, with the patient's consent.

    `notes`: condition code -> the patient's short note on a "Yes" or "Not sure" answer.

    Without consent nothing is stored. A signed-in patient's screening goes on their own
    record (`patient`), whatever they type; an anonymous one never lands on a record it has
    not proved is its own (_anonymous_patient). The screening is stored whole or not at all, in a fixed number of queries
    whatever the number of conditions; the confirmation email goes after commit.
    """
    evaluation = _submission_check(answers=answers, version=version, submission_key=submission_key, consent=consent)
    now = timezone.now()
    answered = _answers_stored(version=version, answers=answers, notes=notes)
    owner_token = ""
    try:
        with transaction.atomic():
            if patient is None:
                patient, owner_token = _anonymous_patient(
                    first_name=first_name, last_name=last_name, email=email, phone=phone, date_of_birth=date_of_birth
                )
            screening = Screening.objects.create(
                owner_token_hash=token_hash(owner_token) if owner_token else "", patient=patient, version=version,
                answers=answered, outcome=evaluation.outcome, flagged=list(evaluation.flagged),
                submitted_at=now, consent_at=now, submission_key=submission_key,
            )
            audit_record(
                actor=getattr(request, "user", None) if request else None,
                action="screening.submit",
                patient=patient,
                obj=screening,
                request=request,
                detail={"outcome": evaluation.outcome, "version": version.number},
            )
    except IntegrityError:
        if Screening.objects.filter(submission_key=submission_key).exists():
            raise ValidationError(
                "These answers were already sent to the clinic. You do not need to send them again.",
                code="already_sent",
            ) from None
        raise
    send = _owner_confirmation_send if owner_token else _confirmation_send
    transaction.on_commit(lambda: send(screening=screening, token=owner_token))
    return screening


def _confirmation_send(*, screening: Screening, token: str = "") -> None:
    patient = screening.patient
    if not patient.email:
        return
    if not throttle_hit(key=throttle_key("email", patient.email), limit=settings.EMAILS_PER_ADDRESS_PER_HOUR):
        # Anyone can type any address: the clinic's emails never become a way to flood one.
        logger.warning("screening confirmation to patient %s not sent: hourly limit for the address", patient.pk)
        return
    context = {
        "patient": patient,
        "screening": screening,
        "CLINIC_NAME": settings.CLINIC_NAME,
        "CLINIC_PHONE": settings.CLINIC_PHONE,
    }
    try:
        email_send(
            subject=lock_screen.subject("We received your form"),
            to=patient.email,
            template="screening/emails/confirmation",
            context=context,
        )
    except OSError:
        # The screening is stored; staff see it on the dashboard whether or not the email went.
        logger.warning("screening confirmation email to patient %s failed", patient.pk)
    _invitation_offer(patient=patient)


def _invitation_offer(*, patient) -> None:
    """When the clinic receives a referral, the patient gets a one-time link to make their
    portal account (sent to the email on the record, so only its owner can use it)."""
    from portal.models import Invitation, User
    from portal.services import patient_invite

    if patient.user_id or not patient.email or Invitation.objects.usable().filter(patient=patient).exists():
        return
    if User.objects.filter(email__iexact=patient.email).exists():
        return
    try:
        patient_invite(patient=patient, invited_by=None)
    except (ValidationError, OSError):
        logger.warning("portal invitation for patient %s was not sent", patient.pk)


def screening_decide(
    *, screening: Screening, clinician: User, decision: str, note: str = "", request=None
) -> Clearance:
    """A clinician's decision on a referral: clearance, not suitable, or needs more information."""
    with transaction.atomic():
        clearance = clearance_record(
            patient=screening.patient, clinician=clinician, note=note, decision=decision, request=request
        )
        Screening.objects.filter(pk=screening.pk).update(clearance=clearance)
        screening.clearance = clearance
    return clearance



# --- Held referrals: an anonymous screening that typed an email already on file -------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _owner_confirmation_send(*, screening: Screening, token: str) -> None:
    """Ask the owner of the typed email whether the screening is theirs. It greets no one by
    name and repeats nothing typed: whoever sent it may not be the address's owner."""
    from django.urls import reverse

    address = screening.patient.email
    if not throttle_hit(key=throttle_key("email", address), limit=settings.EMAILS_PER_ADDRESS_PER_HOUR):
        logger.warning("held referral %s: owner confirmation not sent, hourly limit for the address", screening.pk)
        return
    context = {
        "link": settings.SITE_URL.rstrip("/") + reverse("screening:confirm", args=[token]),
        "CLINIC_NAME": settings.CLINIC_NAME,
        "CLINIC_PHONE": settings.CLINIC_PHONE,
    }
    try:
        email_send(
            subject=lock_screen.subject(),
            to=address,
            template="screening/emails/owner_confirm",
            context=context,
        )
    except OSError:
        logger.warning("held referral %s: owner confirmation email failed", screening.pk)


def _names_match(a: Patient, b: Patient) -> bool:
    def key(p):
        return (" ".join(p.first_name.split()).casefold(), " ".join(p.last_name.split()).casefold())

    same_birth = a.date_of_birth is None or b.date_of_birth is None or a.date_of_birth == b.date_of_birth
    return key(a) == key(b) and same_birth


def _held_screening_attach(*, screening: Screening, actor: User | None, action: str, request=None) -> None:
    held = screening.patient
    on_file = held.held_for
    Screening.objects.filter(pk=screening.pk).update(patient=on_file, owner_token_hash="")
    screening.patient = on_file
    audit_record(actor=actor, action=action, patient=on_file, obj=screening, request=request,
                 detail={"held_record": held.pk})


def referral_reconcile(*, screening: Screening, by: User, same_person: bool, request=None) -> Screening:
    """Staff compare a held referral with the record on file: the same person moves the
    screening onto that record (its details unchanged); another person keeps a record of
    their own, without the email that belongs to someone else."""
    if not getattr(by, "is_clinic_staff", False):
        raise PermissionDenied("Only clinic staff can reconcile a referral.")
    with transaction.atomic():
        screening = Screening.objects.select_for_update(of=("self",)).select_related("patient__held_for").get(pk=screening.pk)
        held = screening.patient
        if not held.held_for_id:
            raise ValidationError("This referral was already reconciled; reload the page to see where it went.")
        if same_person:
            _held_screening_attach(screening=screening, actor=by, action="referral.reconciled.same", request=request)
        else:
            Patient.objects.filter(pk=held.pk).update(held_for=None, email="")
            Screening.objects.filter(pk=screening.pk).update(owner_token_hash="")
            audit_record(actor=by, action="referral.reconciled.other", patient=held, obj=screening, request=request,
                         detail={"email_removed": held.email})
            screening.patient.refresh_from_db()
    return screening


def held_referrals_for_token(token: str):
    """The held referral an owner's confirmation link names (none for a malformed link)."""
    if not token or len(token) > 100:
        return Screening.objects.none()
    return Screening.objects.filter(owner_token_hash=token_hash(token), patient__held_for__isnull=False)


def referral_owner_confirm(*, token: str, request=None) -> tuple[Screening | None, bool]:
    """The email's owner says a held referral is theirs. With the same name (and date of
    birth where both have one) it joins their record; otherwise staff reconcile it, knowing
    the owner confirmed. Returns (screening or None for an unknown link, joined)."""
    with transaction.atomic():
        screening = (
            held_referrals_for_token(token).select_for_update(of=("self",)).select_related("patient__held_for").first()
        )
        if screening is None:
            return None, False
        if _names_match(screening.patient, screening.patient.held_for):
            _held_screening_attach(screening=screening, actor=None, action="referral.confirmed_by_owner",
                                   request=request)
            return screening, True
        Screening.objects.filter(pk=screening.pk).update(owner_token_hash="", owner_confirmed_at=timezone.now())
        audit_record(actor=None, action="referral.owner_confirmed", patient=screening.patient, obj=screening,
                     request=request)
    return screening, False


# Informed consent lives in its own module; these are its public services.
from screening.consent import (  # noqa: E402, F401
    consent_current_patient_ids,
    consent_draft_new,
    consent_is_current,
    consent_publish,
    consent_sign,
    consent_signature_current,
    consent_version_current,
)
