"""Thin Celery tasks: they take ids, re-read rows and call services.

Due-later work is the Notification outbox, never an ETA. Beat runs
`dispatch_notifications` every minute (portal/settings.py CELERY_BEAT_SCHEDULE); a
booking also wakes it after commit. Both tasks are idempotent: the dispatcher claims rows
with SELECT ... FOR UPDATE SKIP LOCKED, so a redelivered or concurrent run sends nothing
twice. Retries with backoff for transient SMTP or provider errors are per row, in the
outbox (attempts, send_at), so one slow recipient never holds the whole task.
"""

from celery import shared_task

TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "serializer": "json",
    # Time limits: CELERY_TASK_SOFT_TIME_LIMIT and CELERY_TASK_TIME_LIMIT in portal/settings.py.
}


@shared_task(name="scheduling.tasks.dispatch_notifications", **TASK_OPTIONS)
def dispatch_notifications() -> int:
    from scheduling.notifications import notifications_dispatch

    return notifications_dispatch()


@shared_task(name="scheduling.tasks.resend_notification", **TASK_OPTIONS)
def resend_notification(notification_id: int) -> int:
    """Queue a failed message again and dispatch at once (staff's "resend")."""
    from django.core.exceptions import ValidationError

    from scheduling.models import Notification
    from scheduling.notifications import notification_resend, notifications_dispatch

    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:
        return 0
    try:
        notification_resend(notification=notification)
    except ValidationError:
        return 0
    return notifications_dispatch()
