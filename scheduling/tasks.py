"""Thin Celery tasks: they take ids, re-read rows and call services.

Due-later work is the Notification outbox, never an ETA. Beat runs
`dispatch_notifications` every minute (portal/settings.py CELERY_BEAT_SCHEDULE); a
booking also wakes it after commit, by the task's name. It is idempotent: the dispatcher
claims rows with SELECT ... FOR UPDATE SKIP LOCKED, so a redelivered or concurrent run
sends nothing twice. Retries with backoff for transient SMTP or provider errors are per
row, in the outbox (attempts, send_at), so one slow recipient never holds the whole task.
"""

from celery import shared_task

from scheduling.notifications.dispatch import notifications_dispatch
from scheduling.notifications.plan import DISPATCH_TASK

TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "serializer": "json",
    # Time limits: CELERY_TASK_SOFT_TIME_LIMIT and CELERY_TASK_TIME_LIMIT in portal/settings.py.
}


@shared_task(name=DISPATCH_TASK, **TASK_OPTIONS)
def dispatch_notifications() -> int:
    return notifications_dispatch()
