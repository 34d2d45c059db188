"""Receivers scheduling connects in its AppConfig.ready."""

from datetime import time


def opening_hours_default(sender, instance, created, raw=False, **kwargs) -> None:
    """A clinic's settings made afresh (a new database, or one a transactional test flushed)
    open on the contract's default hours, Monday to Friday 08:00-18:00, instead of being
    closed every day. Migration 0003 wrote the same rows for the first clinic."""
    if not created or raw:
        return
    from scheduling.models import OpeningHours

    OpeningHours.objects.bulk_create(
        [OpeningHours(clinic=instance, weekday=weekday, opens=time(8, 0), closes=time(18, 0)) for weekday in range(5)],
        ignore_conflicts=True,
    )


def no_driving_hours_changed(sender, instance, created=False, raw=False, **kwargs) -> None:
    """The clinic's no-driving hours apply to every session whose infusion has not ended yet:
    their stored time and unsent notices follow a change (portal imports no app, so this
    receiver lives here)."""
    if raw:
        return
    from scheduling.notifications.plan import no_driving_replan

    no_driving_replan(hours=instance.no_driving_hours)
