"""iCalendar (RFC 5545) files of a patient's courses, through the icalendar library.

One VEVENT per session with a stable UID (Session.uid), so a calendar app that
imports the file again, or a subscription that refreshes, updates the same event:
SEQUENCE is Session.sequence (it rises on every change the patient should see)
and a cancelled session stays in the file with STATUS:CANCELLED and a title that
says so, so it disappears from the patient's calendar instead of lingering. Times
carry the clinic's TZID, defined by a VTIMEZONE in the file.

Titles name neither the treatment, the patient nor any health matter ("Appointment
at <CLINIC_MESSAGE_NAME>"): a lock screen or a shared calendar shows only that.

DTSTAMP is each session's last change rather than the moment the file is made, so
the same sessions always give the same bytes: the subscription feed's ETag is a hash
of them. REFRESH-INTERVAL (RFC 7986) and X-PUBLISHED-TTL tell calendar apps how
often to poll.

The notifications work attaches `course_calendar(courses=[course])` to the
booking confirmation email (as text/calendar; method=PUBLISH).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from icalendar import Alarm, Calendar, Event, vDuration

from portal import lock_screen
from portal.models import ClinicSettings
from scheduling.models import Course, Session

PRODID = "-//Ketamine clinic patient portal//Scheduling//EN"
REFRESH = dt.timedelta(hours=1)


def _description(session, clinic: ClinicSettings) -> str:
    tz = clinic.tz
    # The one stored time (Session.no_driving_until), as the notice and the session page show it.
    until = session.no_driving_until.astimezone(tz)
    lines = [
        f"Infusion about {clinic.infusion_minutes} minutes, then rest and a check before you go home "
        f"(plan to be here until about {session.occupied_until.astimezone(tz):%-I:%M %p}).",
        "Before you come: empty your bladder when you arrive; you may bring your phone and headphones.",
        "A responsible adult takes you home: no driving, and no bus, train, taxi or ride-share alone.",
        f"The clinic asks you not to drive, or take alcohol or recreational drugs (ask us about your usual "
        f"medicines), for {clinic.no_driving_hours} hours after each treatment: "
        f"until {until:%-I:%M %p} on {until:%A, %B %-d} ({until:%H:%M}).",
        f"Questions or changes: call {settings.CLINIC_PHONE}.",
    ]
    if session.is_cancelled:
        lines = ["This appointment is cancelled.", f"Questions: call {settings.CLINIC_PHONE}."]
    return "\n".join(lines)


def _event(session: Session, clinic: ClinicSettings) -> Event:
    tz = clinic.tz
    event = Event()
    event.add("uid", str(session.uid))
    event.add("dtstamp", session.updated_at.astimezone(dt.UTC))
    event.add("dtstart", session.start.astimezone(tz))
    # The patient's calendar holds the whole visit: infusion plus recovery.
    event.add("dtend", session.occupied_until.astimezone(tz))
    event.add("sequence", session.sequence)
    event.add("last-modified", session.updated_at.astimezone(dt.UTC))
    # A shared calendar shows the title to others: the clinic's message name, nothing more.
    event.add("summary", lock_screen.calendar_title(cancelled=session.is_cancelled))
    event.add("location", settings.CLINIC_MESSAGE_NAME)
    event.add("description", _description(session, clinic))
    if session.is_cancelled:
        event.add("status", "CANCELLED")
        event.add("transp", "TRANSPARENT")
    else:
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", lock_screen.calendar_title())
        alarm.add("trigger", dt.timedelta(hours=-clinic.reminder_lead_hours))
        event.add_component(alarm)
    return event


def sessions_calendar(sessions: list[Session], clinic: ClinicSettings | None = None) -> bytes:
    """`sessions` (in start order) as one iCalendar file (bytes, text/calendar)."""
    clinic = clinic or ClinicSettings.load()
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", lock_screen.calendar_name())
    cal.add("x-wr-timezone", clinic.time_zone)
    # icalendar does not know these two properties: vDuration writes them as RFC 5545 durations.
    cal.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH))
    for session in sessions:
        cal.add_component(_event(session, clinic))
    # VTIMEZONE for every TZID used, covering the span of the events.
    if sessions:
        first, last = sessions[0].start.date(), sessions[-1].start.date()
    else:
        first = last = clinic.updated_at.date()
    cal.add_missing_timezones(first_date=first - dt.timedelta(days=366), last_date=last + dt.timedelta(days=366))
    return cal.to_ical()


def course_calendar(*, courses: Iterable[Course]) -> bytes:
    """The sessions of `courses` as one iCalendar file."""
    course_ids = [course.pk for course in courses]
    return sessions_calendar(list(Session.objects.filter(course_id__in=course_ids).order_by("start", "pk")))


def patient_calendar(*, patient_id: int) -> tuple[bytes, dt.datetime | None]:
    """Every session of every course of the patient, past and future, as one file, and the
    last change to any of them or to the clinic's settings (for Last-Modified)."""
    sessions = list(Session.objects.filter(patient_id=patient_id).order_by("start", "pk"))
    clinic = ClinicSettings.load()
    changed = max([s.updated_at for s in sessions] + [clinic.updated_at])
    return sessions_calendar(sessions, clinic), changed
