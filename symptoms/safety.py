"""After an item-9 alert: the clinicians' tries to reach the patient, and the escalation to every
clinician when no one has reached them within the clinic's hours (ClinicSettings.alert_escalation_hours).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import lock_screen
from portal.models import ClinicSettings, Role, User
from portal.services import audit_record, text_value
from symptoms.models import ContactAttempt, SafetyAlert

logger = logging.getLogger(__name__)


def clinician_emails() -> list[str]:
    """Every active clinician's address: who an item-9 alert email goes to."""
    group = Group.objects.filter(name=Role.CLINICIAN).first()
    if group is None:
        return []
    return [email for email in group.user_set.filter(is_active=True).values_list("email", flat=True) if email]


def contact_attempt_record(
    *, alert: SafetyAlert, by: User, outcome: str, at: dt.datetime | None = None, note: str = "", request=None
) -> ContactAttempt:
    """A clinician's try to reach the patient. `at` defaults to now; a time in the future, or
    before the alert, is refused."""
    if by is None or not getattr(by, "is_clinician", False):
        raise PermissionDenied("Only a clinician can record a call about an item-9 alert.")
    if outcome not in ContactAttempt.Outcome.values:
        raise ValidationError({"outcome": "Choose reached, no answer or message left."})
    note = text_value(note, field="note").strip()
    if len(note) > 300:
        raise ValidationError({"note": "Keep the note to 300 characters or fewer."})
    now = timezone.now()
    at = at or now
    if at > now + dt.timedelta(minutes=1):
        raise ValidationError({"at": "The time of the call cannot be in the future."})
    if at < alert.created_at - dt.timedelta(minutes=1):
        raise ValidationError({"at": "The call cannot be before the alert."})
    with transaction.atomic():
        attempt = ContactAttempt.objects.create(alert=alert, by=by, outcome=outcome, at=at, note=note)
        audit_record(actor=by, action="safety_alert.contact", patient=alert.patient, obj=alert, request=request,
                     detail={"outcome": outcome})
    return attempt


def alerts_needing_escalation(now: dt.datetime):
    hours = ClinicSettings.load().alert_escalation_hours
    return (
        SafetyAlert.objects.open()
        .filter(escalated_at__isnull=True, created_at__lte=now - dt.timedelta(hours=hours))
        .exclude(contact_attempts__outcome=ContactAttempt.Outcome.REACHED)
    )


def safety_alerts_escalate(*, now: dt.datetime | None = None) -> int:
    """Email every clinician about each open alert with no successful contact after the clinic's
    hours; each alert is escalated once. With no clinician able to receive it nothing is marked:
    the dashboard says so (symptoms.panels). Returns how many alerts were escalated."""
    now = now or timezone.now()
    recipients = clinician_emails()
    if not recipients:
        return 0
    escalated = 0
    for alert_id in list(alerts_needing_escalation(now).values_list("pk", flat=True)):
        with transaction.atomic():
            alert = (
                SafetyAlert.objects.select_for_update(skip_locked=True)
                .filter(pk=alert_id, escalated_at__isnull=True, resolved_at__isnull=True).first()
            )
            if alert is None:
                continue
            link = settings.SITE_URL.rstrip("/") + reverse("symptoms:patient", args=[alert.patient_id])
            # No names, answers or scores in the email: it only says where to look.
            message = EmailMultiAlternatives(
                subject=lock_screen.subject(_("An urgent alert needs a call")),
                body=("No clinician has recorded reaching a patient whose PHQ-9 question 9 was above 0.\n"
                      f"Please call them now and record the call: {link}\n"),
                to=recipients,
            )
            try:
                message.send()
            except OSError:
                logger.warning("escalation email for alert %s failed; the next run tries again", alert.pk)
                continue
            SafetyAlert.objects.filter(pk=alert.pk).update(escalated_at=now)
            audit_record(actor=None, action="safety_alert.escalate", patient=alert.patient, obj=alert)
            escalated += 1
    return escalated
