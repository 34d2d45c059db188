"""The clinic's one clock: its time zone, today's date there, and moments as the clinic
says them.

The zone is the clinic settings' `time_zone`: CLINIC_TIME_ZONE seeds it when the
settings row is made, and the admin edits it after (README, "Environment"). Every
wall-clock rule and every date or time a page or message shows goes through here;
arithmetic on moments stays in UTC (aware datetimes), only reading them is local.
Each function takes `tz` for a caller that already holds the clinic's settings, so a
loop never reads the row again.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

# A date this many days or more from today at the clinic names its year ("March 3, 2027"): a
# patient reading "March 3" in December should not have to guess which March.
YEARLESS_WITHIN_DAYS = 90


def clinic_tz() -> zoneinfo.ZoneInfo:
    # Imported here so manage.py can activate ClinicZone before Django has loaded the apps.
    from portal.models import ClinicSettings

    return ClinicSettings.load().tz


class ClinicZone(dt.tzinfo):
    """The clinic's zone, read from its settings the first time something is shown in it.

    Activated for every request (portal.middleware.ClinicTimeMiddleware), Celery task
    (portal.celery) and management command (manage.py), so Django's own rendering (templates'
    `date` and `time` filters, the admin, forms) speaks clinic time with no per-page code. Lazy,
    so a page that shows no time (a cached guide) costs no query; one instance per request or
    task, so an edited zone applies from the next one.
    """

    def __init__(self):
        self._zone: zoneinfo.ZoneInfo | None = None

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        if self._zone is None:
            self._zone = clinic_tz()
        return self._zone

    def _wall(self, moment: dt.datetime | None) -> dt.datetime | None:
        return moment.replace(tzinfo=None) if moment is not None else None

    def utcoffset(self, moment):
        return self.zone.utcoffset(self._wall(moment))

    def dst(self, moment):
        return self.zone.dst(self._wall(moment))

    def tzname(self, moment):
        # None for no moment, as ZoneInfo: Django then names the zone by str() (database functions).
        return self.zone.tzname(self._wall(moment)) if moment is not None else None

    def fromutc(self, moment):
        return self.zone.fromutc(moment.replace(tzinfo=self.zone)).replace(tzinfo=self)

    def __str__(self):
        return str(self.zone)

    def __repr__(self):
        return f"ClinicZone({self._zone!s})" if self._zone else "ClinicZone(unread)"


def clinic_zone_activate() -> None:
    """Show every moment in the clinic's zone from here on, in this thread."""
    timezone.activate(ClinicZone())


def clinic_now(tz: dt.tzinfo | None = None) -> dt.datetime:
    return timezone.now().astimezone(tz or clinic_tz())


def clinic_today(tz: dt.tzinfo | None = None) -> dt.date:
    """Today's date at the clinic (not in UTC: at 9 PM in New York it is already tomorrow there)."""
    return clinic_now(tz).date()


def local(moment: dt.datetime, tz: dt.tzinfo | None = None) -> dt.datetime:
    return timezone.localtime(moment, tz or clinic_tz())


def local_date(moment: dt.datetime, tz: dt.tzinfo | None = None) -> dt.date:
    """The clinic's calendar day of a moment."""
    return local(moment, tz).date()


def day_start(day: dt.date, tz: dt.tzinfo | None = None) -> dt.datetime:
    """Midnight at the clinic starting `day`, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz or clinic_tz())


def clock_text(moment: dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """"11:00 PM on Tuesday, March 3" in the clinic's zone: how messages name a moment."""
    moment = local(moment, tz)
    return _("%(time)s on %(date)s") % {
        "time": dateformat.format(moment, "g:i A"),
        "date": day_text(moment, "l, F j", tz=moment.tzinfo),
    }


def clock_24h(moment: dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """"23:00" in the clinic's zone."""
    return local(moment, tz).strftime("%H:%M")


def day_text(day: dt.date | dt.datetime, fmt: str = "l, F j", tz: dt.tzinfo | None = None) -> str:
    """`day` in `fmt`, with ", Y" added when the date is YEARLESS_WITHIN_DAYS or more from
    today, or in another year: "Tuesday, March 3" now, "Tuesday, March 3, 2027" for a date a
    patient could place in the wrong year. Moments and today are read in `tz`, else in the
    active zone (the clinic's: see ClinicZone; a template's {% timezone %} block sets it too)."""
    if isinstance(day, dt.datetime) and timezone.is_aware(day):
        day = timezone.localtime(day, tz)
    date = day.date() if isinstance(day, dt.datetime) else day
    today = timezone.localdate(timezone=tz)
    text = dateformat.format(day, fmt)
    far = abs((date - today).days) >= YEARLESS_WITHIN_DAYS or date.year != today.year
    if far and not {"Y", "y", "o"} & set(fmt):
        text = f"{text}, {date.year}"
    return text
