"""iCalendar (RFC 5545) files of a patient's courses, through the icalendar library.

One VEVENT per session with a stable UID (Session.uid), so a calendar app that
imports the file again, or a subscription that refreshes, updates the same event:
SEQUENCE is Session.sequence (it rises on every change the patient should see)
and a cancelled session stays in the file with STATUS:CANCELLED, so it disappears
from the patient's calendar instead of lingering. Times carry the clinic's TZID,
defined by a VTIMEZONE in the file.

The notifications work attaches `course_calendar(courses=[course])` to the
booking confirmation email.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone
from icalendar import Alarm, Calendar, Event

from portal import lock_screen
from portal.models import ClinicSettings
from scheduling.models import Course

PRODID = "-//Ketamine clinic patient portal//Scheduling//EN"


def _description(session, clinic: ClinicSettings) -> str:
    tz = clinic.tz
    no_driving_until = (session.end + dt.timedelta(hours=clinic.no_driving_hours)).astimezone(tz)
    lines = [
        f"Infusion about {clinic.infusion_minutes} minutes, then rest and a check before you go home "
        f"(plan to stay until {session.occupied_until.astimezone(tz):%H:%M}).",
        "Before you come: empty your bladder when you arrive; you may bring your phone and headphones.",
        "Arrange for a responsible adult to take you home.",
        f"Do not drive, drink alcohol or take drugs for {clinic.no_driving_hours} hours after the infusion "
        f"(until about {no_driving_until:%H:%M} on {no_driving_until:%A %B %-d}).",
        f"Questions or changes: call {settings.CLINIC_PHONE}.",
    ]
    return "\n".join(lines)


def course_calendar(*, courses: Iterable[Course], now: dt.datetime | None = None) -> bytes:
    """The sessions of `courses` as one iCalendar file (bytes, text/calendar)."""
    clinic = ClinicSettings.load()
    tz = clinic.tz
    stamp = (now or timezone.now()).astimezone(dt.UTC)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", lock_screen.calendar_name())
    cal.add("x-wr-timezone", clinic.time_zone)
    course_ids = [course.pk for course in courses]
    from scheduling.models import Session

    sessions = list(Session.objects.filter(course_id__in=course_ids).order_by("start", "pk"))
    for session in sessions:
        event = Event()
        event.add("uid", str(session.uid))
        event.add("dtstamp", stamp)
        event.add("dtstart", session.start.astimezone(tz))
        # The patient's calendar holds the whole visit: infusion plus recovery.
        event.add("dtend", session.occupied_until.astimezone(tz))
        event.add("sequence", session.sequence)
        event.add("last-modified", session.updated_at.astimezone(dt.UTC))
        # A shared calendar shows the title to others: the clinic's message name, nothing more.
        event.add("summary", lock_screen.calendar_title(cancelled=session.is_cancelled))
        event.add("location", settings.CLINIC_MESSAGE_NAME)
        event.add("description", _description(session, clinic))
        event.add("transp", "OPAQUE")
        if session.is_cancelled:
            event.add("status", "CANCELLED")
        else:
            event.add("status", "CONFIRMED")
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", lock_screen.calendar_title())
            alarm.add("trigger", dt.timedelta(hours=-clinic.reminder_lead_hours))
            event.add_component(alarm)
        cal.add_component(event)
    # VTIMEZONE for every TZID used, covering the span of the events.
    first = sessions[0].start.date() if sessions else stamp.date()
    last = sessions[-1].start.date() if sessions else stamp.date()
    cal.add_missing_timezones(first_date=first - dt.timedelta(days=366), last_date=last + dt.timedelta(days=366))
    return cal.to_ical()
