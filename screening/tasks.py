"""Thin Celery tasks for screening. Add to CELERY_BEAT_SCHEDULE to retry item-9 alert
emails that failed on their first, after-commit try:
    "notify-safety-alerts": {"task": "screening.tasks.notify_safety_alerts", "schedule": 60.0}
"""

from celery import shared_task


@shared_task(name="screening.tasks.notify_safety_alerts", acks_late=True, ignore_result=True)
def notify_safety_alerts() -> int:
    from screening.services import safety_alerts_notify_pending

    return safety_alerts_notify_pending()
