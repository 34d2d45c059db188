"""Symptom-review services: PHQ-9 responses, item-9 safety alerts and review points."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from portal import lock_screen
from portal.clock import clinic_tz, day_text
from portal.models import Patient, User
from portal.services import audit_record, text_value
from scheduling.models import Session
from symptoms import phq9
from symptoms.models import SafetyAlert, SymptomReview
from symptoms.safety import clinician_emails

logger = logging.getLogger(__name__)

def _phq9_check(*, patient: Patient, answers, session) -> None:
    """Refuse anything but nine answers of 0-3, and a review point that is not this patient's."""
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise ValidationError("Give the nine PHQ-9 answers in order, each 0 to 3.")
    if len(answers) != len(phq9.ITEMS):
        raise ValidationError(
            "The questionnaire needs an answer to all 9 questions; %(count)d were given.",
            code="item_count",
            params={"count": len(answers)},
        )
    bad = [str(n) for n, value in enumerate(answers, start=1) if type(value) is not int or not 0 <= value <= 3]
    if bad:
        raise ValidationError(
            "Each answer must be 0 to 3 (Not at all to Nearly every day); check question %(items)s.",
            code="item_value",
            params={"items": ", ".join(bad)},
        )
    if session is not None:
        if session.patient_id != patient.pk:
            raise ValidationError("This review point belongs to another patient's course.", code="other_patient")
        if session.is_cancelled:
            raise ValidationError("This session was cancelled, so it is not a review point.", code="cancelled")
        if session.end > timezone.now():
            # The questionnaire asks about the weeks of treatment so far: answered days before the
            # session it reviews, it would be final and describe the wrong time.
            raise ValidationError(
                "This questionnaire opens when your session on %(day)s has ended.",
                code="not_yet",
                params={"day": day_text(session.end, "l, F j", tz=clinic_tz())},
            )


def phq9_record(
    *, patient: Patient, answers: Sequence[int], session=None, request=None, difficulty: str = ""
) -> SymptomReview:
    """Score and store one PHQ-9 response for a review point (`session`; None = baseline).

    Idempotent per review point: when the patient already answered it, the first
    response stands and is returned unchanged (with `.created` False). Item 9 above
    0 writes a clinicians' alert in the same transaction as the response.
    """
    _phq9_check(patient=patient, answers=answers, session=session)
    if difficulty not in ("", *dict(phq9.DIFFICULTY_CHOICES)):
        raise ValidationError("Choose one of the answers to the last question, or leave it empty.", code="difficulty")
    existing = SymptomReview.objects.filter(patient=patient, session=session).first()
    if existing is not None:
        existing.created = False
        return existing
    total = sum(answers)
    items = [
        {"item": n, "loinc": loinc, "text": str(text), "score": value}
        for n, ((loinc, text), value) in enumerate(zip(phq9.ITEMS, answers, strict=True), start=1)
    ]
    alert = answers[8] > 0
    try:
        with transaction.atomic():
            review = SymptomReview.objects.create(
                patient=patient, session=session, items=items, total=total, band=phq9.band_for(total), alert=alert,
                difficulty=difficulty,
            )
            if alert:
                safety_alert = SafetyAlert.objects.create(review=review, patient=patient)
                transaction.on_commit(lambda: _safety_alert_notify(alert_id=safety_alert.pk))
            audit_record(
                actor=getattr(request, "user", None) if request else None,
                action="symptom_review.record",
                patient=patient,
                obj=review,
                request=request,
                detail={"total": total, "alert": alert, "session": session.pk if session else None},
            )
    except IntegrityError:
        # The same review point answered twice at once: the first one stands.
        existing = SymptomReview.objects.filter(patient=patient, session=session).first()
        if existing is None:
            raise
        existing.created = False
        return existing
    review.created = True
    return review


def _safety_alert_notify(*, alert_id: int) -> None:
    """Email every clinician at once; the alert also stays at the top of /staff/ until reviewed.

    The alert's row stays locked while the email goes (SKIP LOCKED for everyone else), so two
    workers retrying at once send it once: the second skips the row, then finds it sent. Holding
    the lock over the send is deliberate: a worker that dies mid-send leaves the alert unsent for
    the next retry, which a claim written before the send would not."""
    with transaction.atomic():
        alert = (
            SafetyAlert.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("patient")
            .filter(pk=alert_id, clinicians_notified_at__isnull=True)
            .first()
        )
        if alert is None:
            return
        recipients = clinician_emails()
        if not recipients:
            # Nobody can receive it: the alert stays "not notified" and the dashboard says so loudly.
            logger.warning("item-9 alert %s: no clinician account can receive the email", alert.pk)
            return
        link = settings.SITE_URL.rstrip("/") + reverse("symptoms:patient", args=[alert.patient_id])
        # No answers or scores in the email: it only says where to look.
        message = EmailMultiAlternatives(
            subject=lock_screen.subject("A patient answer needs a clinician today"),
            body=(
                "A patient answered above 0 to PHQ-9 question 9 (thoughts of death or self-harm).\n"
                f"Review it and record a note: {link}\n"
            ),
            to=recipients,
        )
        try:
            message.send()
        except OSError:
            logger.warning("item-9 alert email for alert %s failed; it stays on /staff/", alert.pk)
            return
        SafetyAlert.objects.filter(pk=alert.pk).update(clinicians_notified_at=timezone.now())


def safety_alert_resolve(*, alert: SafetyAlert, clinician: User, note: str, request=None) -> SafetyAlert:
    """A clinician records their review of an item-9 alert; only then does it close."""
    if clinician is None or not getattr(clinician, "is_clinician", False):
        raise PermissionDenied("Only a clinician can review an item-9 alert.")
    note = text_value(note, field="note", multiline=True).strip()
    if not note:
        raise ValidationError({"note": "Write what you did (for example: called the patient, safety plan agreed)."})
    with transaction.atomic():
        locked = SafetyAlert.objects.select_for_update().get(pk=alert.pk)
        if locked.resolved_at is not None:
            raise ValidationError("Another clinician already reviewed this alert.")
        locked.resolved_at = timezone.now()
        locked.resolved_by = clinician
        locked.note = note
        locked.save(update_fields=["resolved_at", "resolved_by", "note"])
        audit_record(actor=clinician, action="safety_alert.resolve", patient=locked.patient, obj=locked, request=request)
    return locked


OVERDUE_AFTER = dt.timedelta(days=3)


def review_points(*, patient: Patient, now: dt.datetime | None = None) -> list[dict]:
    """The patient's PHQ-9 review points: baseline, then every session marked
    review_due (the 5th, 10th, 15th), each with its response if there is one and
    whether it is upcoming, due or overdue. Two queries whatever the course length."""
    now = now or timezone.now()
    reviews = {r.session_id: r for r in SymptomReview.objects.filter(patient=patient)}
    points = [{"session": None, "review": reviews.get(None), "state": "done" if None in reviews else "due"}]
    sessions = Session.objects.filter(patient=patient, review_due=True).not_cancelled().order_by("start")
    for session in sessions:
        review = reviews.get(session.pk)
        if review is not None:
            state = "done"
        elif session.end > now:
            state = "upcoming"
        elif session.end + OVERDUE_AFTER < now:
            state = "overdue"
        else:
            state = "due"
        points.append({"session": session, "review": review, "state": state})
    return points


def review_points_overdue(*, now: dt.datetime | None = None):
    """Sessions across the clinic whose symptom review is overdue: a review point that
    ended more than OVERDUE_AFTER ago with no response. One query."""
    now = now or timezone.now()
    answered = SymptomReview.objects.filter(patient=OuterRef("patient"), session=OuterRef("pk"))
    return (
        Session.objects.not_cancelled()
        .filter(review_due=True, end__lt=now - OVERDUE_AFTER)
        .exclude(Exists(answered))
        .select_related("patient")
        .order_by("end")
    )


def safety_alerts_notify_pending() -> int:
    """Email the clinicians about every item-9 alert whose email has not gone yet (the
    first try runs after commit; this catches a failed send). Returns how many went."""
    pending = list(SafetyAlert.objects.open().filter(clinicians_notified_at__isnull=True).values_list("pk", flat=True))
    for alert_id in pending:
        _safety_alert_notify(alert_id=alert_id)
    return SafetyAlert.objects.filter(pk__in=pending, clinicians_notified_at__isnull=False).count()
