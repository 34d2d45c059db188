"""Thin Celery tasks: they re-read rows and call services."""

from celery import shared_task


@shared_task(name="scheduling.tasks.dispatch_notifications", acks_late=True, ignore_result=True)
def dispatch_notifications() -> int:
    from scheduling import services

    dispatch = getattr(services, "notifications_dispatch", None)
    return dispatch() if dispatch else 0
