"""Staff actions on the outbox, and the reads behind the staff log."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.models import Patient, User
from portal.services import audit_record
from scheduling.models import Notification
from scheduling.notifications.plan import patient_channel, wake_dispatcher

Status, Audience = Notification.Status, Notification.Audience
RESENDABLE = (Status.FAILED, Status.UNDELIVERABLE)


def _resend_refusal(row: Notification, now) -> str | None:
    if row.status not in RESENDABLE:
        return _("Only a failed or undeliverable message can be sent again; this one is %(status)s.") % {
            "status": row.get_status_display().lower()
        }
    if row.expires_at and row.expires_at <= now:
        return _("This message is out of date (its session has started or its window has passed).")
    if row.session is not None and row.session.is_cancelled:
        return _("The session was cancelled, so this message would be wrong now.")
    if row.audience == Audience.PATIENT and patient_channel(row.patient) is None:
        return _("Add an email address or a phone number to the patient's record, then send it again.")
    return None


def notification_resend(*, notification: Notification, by: User | None = None, request=None) -> Notification:
    """Queue a failed or undeliverable message again for the next dispatch, on the patient's
    channel as it is now (contact details may have been added since)."""
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("session__patient", "course__patient")
            .get(pk=notification.pk)
        )
        now = timezone.now()
        refusal = _resend_refusal(row, now)
        if refusal:
            raise ValidationError(refusal)
        if row.audience == Audience.PATIENT:
            row.channel = patient_channel(row.patient)
        row.status, row.attempts, row.send_at, row.claimed_at, row.last_error = Status.PENDING, 0, now, None, ""
        try:
            with transaction.atomic():
                row.save(update_fields=["channel", "status", "attempts", "send_at", "claimed_at", "last_error"])
        except IntegrityError:
            raise ValidationError(_("The same message is already queued on that channel.")) from None
        audit_record(
            actor=by,
            action="notification.resend",
            patient=row.patient,
            obj=row,
            request=request,
            detail={"kind": row.kind, "channel": row.channel},
        )
    transaction.on_commit(wake_dispatcher, robust=True)
    return row


def notifications_for_patient(patient: Patient):
    """The patient's messages, session-level and course-level, newest first (no query per row)."""
    return (
        Notification.objects.for_patient(patient).select_related("session__chair", "course").order_by("-send_at", "-pk")
    )
