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

from portal.models import ClinicSettings


def clinic_tz() -> zoneinfo.ZoneInfo:
    return ClinicSettings.load().tz


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
        "date": dateformat.format(moment, "l, F j"),
    }


def clock_24h(moment: dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """"23:00" in the clinic's zone."""
    return local(moment, tz).strftime("%H:%M")
