"""Thin Celery tasks for symptom reviews (time limits: CELERY_TASK_* in settings)."""

from celery import shared_task

from symptoms.safety import safety_alerts_escalate
from symptoms.services import safety_alerts_notify_pending


@shared_task(name="symptoms.tasks.notify_safety_alerts", acks_late=True)
def notify_safety_alerts() -> int:
    """Beat runs this every minute: it retries item-9 alert emails whose first,
    after-commit try failed."""
    return safety_alerts_notify_pending()


@shared_task(name="symptoms.tasks.escalate_safety_alerts", acks_late=True)
def escalate_safety_alerts() -> int:
    """Beat runs this every five minutes: item-9 alerts nobody has reached the patient about in the
    clinic's hours go to every clinician."""
    return safety_alerts_escalate()
