"""What a notification says: its subject, its words, the email and the text message.

Every message goes through Django's template engine (``templates/scheduling/notifications/
<kind>.txt``, ``.html`` and ``.sms.txt``) and Django's ``EmailMultiAlternatives``: a plain
text part, an HTML alternative and, for messages about the course, the course's calendar.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from urllib.parse import urlparse

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal import lock_screen
from portal.clock import clock_24h, clock_text
from portal.models import ClinicSettings
from portal.plain_text import html_to_text
from scheduling.calendar import course_calendar
from scheduling.models import Course, Notification, Session, SessionStatus

logger = logging.getLogger(__name__)

Kind, Audience = Notification.Kind, Notification.Audience
TEMPLATE_DIR = "scheduling/notifications"
# Messages that list the course's sessions; their email carries the course's calendar file.
COURSE_KINDS = (Kind.BOOKING_CONFIRMATION, Kind.RESCHEDULED, Kind.CANCELLED)
# Seen on a lock screen: no treatment, patient or health matter (portal.lock_screen). The
# no-driving notice and the review request say only who wrote; the body says what.
SUBJECTS = {
    Kind.BOOKING_CONFIRMATION: gettext_noop("Your appointments are booked"),
    Kind.REMINDER: gettext_noop("Reminder: your appointment at %(start)s"),
    Kind.MORNING_REMINDER: gettext_noop("Today: your appointment at %(start)s"),
    Kind.NO_DRIVING: "",
    Kind.REVIEW_DUE: "",
    Kind.RESCHEDULED: gettext_noop("Your appointment has moved to %(start)s"),
    Kind.CANCELLED: gettext_noop("Your appointment at %(start)s is cancelled"),
    # To the person taking the patient home: only who wrote; the text says when to come.
    Kind.RIDE_HOME: "",
}


# The email's own heading, read once it is open: it may say what the message is about.
HEADINGS = {
    Kind.BOOKING_CONFIRMATION: gettext_noop("Your infusion sessions are booked"),
    Kind.REMINDER: gettext_noop("Reminder: your infusion session at %(start)s"),
    Kind.MORNING_REMINDER: gettext_noop("Today: your infusion session at %(start)s"),
    Kind.NO_DRIVING: gettext_noop("Do not drive until %(until)s"),
    Kind.REVIEW_DUE: gettext_noop("Your symptom review is due"),
    Kind.RESCHEDULED: gettext_noop("Your infusion session has moved to %(start)s"),
    Kind.CANCELLED: gettext_noop("Your infusion session at %(start)s is cancelled"),
    Kind.RIDE_HOME: gettext_noop("Ready to be collected"),
}


def no_driving_context(*, session: Session, clinic: ClinicSettings | None = None) -> dict:
    """Context for ``scheduling/notifications/no_driving_notice.html``, the printable notice a
    session page includes: the same words as the message."""
    clinic = clinic or ClinicSettings.load()
    until = session.no_driving_until
    return {
        "until": until,
        "until_text": clock_text(until, clinic.tz),
        "until_24h": clock_24h(until, clinic.tz),
        "hours": clinic.no_driving_hours,
    }


def course_id_of(row: Notification) -> int:
    return row.course_id if row.session_id is None else row.session.course_id


class CourseSessions:
    """The sessions of the courses that a batch's course messages list, read in one query,
    and each course's calendar file, built once for the batch."""

    def __init__(self, rows: list[Notification]):
        self.by_course: dict[int, list[Session]] = defaultdict(list)
        self.by_pk: dict[int, Session] = {}
        self.calendars: dict[int, bytes | None] = {}
        course_ids = {course_id_of(row) for row in rows if row.kind in COURSE_KINDS}
        if course_ids:
            sessions = Session.objects.filter(course_id__in=course_ids).select_related("chair")
            for session in sessions.order_by("start", "pk"):
                self.by_course[session.course_id].append(session)
                self.by_pk[session.pk] = session

    def live(self, course_id: int) -> list[Session]:
        """The course's sessions that are not cancelled, in order."""
        return [s for s in self.by_course.get(course_id, []) if s.status != SessionStatus.CANCELLED]

    def named(self, row: Notification, now: dt.datetime) -> list[Session]:
        """The sessions a cancellation notice names that are still ahead (all of them if none is)."""
        if row.session_id is not None:
            return [row.session]
        named = sorted(
            (self.by_pk[pk] for pk in row.session_ids or [] if pk in self.by_pk), key=lambda s: (s.start, s.pk)
        )
        return [s for s in named if s.start > now] or named

    def calendar(self, course: Course) -> bytes | None:
        if course.pk not in self.calendars:
            try:
                self.calendars[course.pk] = course_calendar(courses=[course])
            except Exception:  # noqa: BLE001 - the message matters more than its attachment
                logger.exception("Could not build the calendar of course %s; sending without it", course.pk)
                self.calendars[course.pk] = None
        return self.calendars[course.pk]


def anchor(row: Notification, courses: CourseSessions, now: dt.datetime) -> Session | None:
    """The session whose time the message names: its own session; for the booking
    confirmation, the course's first session that is not cancelled; for a cancellation
    notice, the first session it names. None when there is nothing left to tell."""
    if row.session_id is not None:
        return row.session
    sessions = courses.named(row, now) if row.kind == Kind.CANCELLED else courses.live(row.course_id)
    return sessions[0] if sessions else None


def message_context(row: Notification, courses: CourseSessions, *, now: dt.datetime, clinic: ClinicSettings) -> dict:
    """The templates' context (and the subject) of one message."""
    session = anchor(row, courses, now)
    tz = clinic.tz
    site = settings.SITE_URL.rstrip("/")
    context = {
        "clinic_name": settings.CLINIC_NAME,
        "clinic_phone": settings.CLINIC_PHONE,
        "me_url": site + reverse("me"),
        "hours": clinic.no_driving_hours,
        "patient": row.patient,
        "session": session,
        "start_text": clock_text(session.start, tz),
    }
    if row.kind == Kind.NO_DRIVING:
        # The stored time, as the session page and the calendar show it (never a second computation).
        until = session.no_driving_until
        context["end_recorded"] = session.infusion_ended_at is not None
        context["end_text"] = clock_text(session.infusion_ended_at or session.end, tz)
        context["until_text"] = clock_text(until, tz)
        # The 24-hour clock too: "11:00 PM (23:00)" leaves no doubt about morning or night.
        context["until_24h"] = clock_24h(until, tz)
    if row.kind in (Kind.REMINDER, Kind.MORNING_REMINDER):
        # How long to plan to stay: the booked end plus recovery.
        context["stay_until_text"] = dateformat.format(timezone.localtime(session.occupied_until, tz), "g:i A")
    if row.kind == Kind.RIDE_HOME:
        ready = session.discharged_at or session.ready_at or session.occupied_until
        context["ride_home_name"] = session.ride_home_name
        context["ready_time"] = dateformat.format(timezone.localtime(ready, tz), "g:i A")
        context["message_name"] = settings.CLINIC_MESSAGE_NAME
    if row.audience == Audience.CLINICIANS:
        context["staff_url"] = site + reverse("notifications:patient-log", args=[row.patient.pk])
    if row.kind in COURSE_KINDS:
        context["course_sessions"] = [
            {"start_text": clock_text(s.start, tz), "chair": s.chair.name} for s in courses.live(course_id_of(row))
        ]
    if row.kind == Kind.CANCELLED:
        context["cancelled_sessions"] = [clock_text(s.start, tz) for s in courses.named(row, now)]
    context["subject"] = subject(row, context)
    context["heading"] = heading(row, context)
    return context


def heading(row: Notification, context: dict) -> str:
    if row.audience == Audience.CLINICIANS:
        return _("Symptom review due")
    cancelled = len(context.get("cancelled_sessions", ()))
    if row.kind == Kind.CANCELLED and cancelled > 1:
        return _("%(count)s of your infusion sessions are cancelled") % {"count": cancelled}
    return _(HEADINGS[row.kind]) % {"start": context["start_text"], "until": context.get("until_text", "")}


def subject(row: Notification, context: dict) -> str:
    """The whole subject line, clinic name first (portal.lock_screen)."""
    if row.audience == Audience.CLINICIANS:
        # Never the patient's name: the email says where to look.
        return lock_screen.subject(_("A patient review is due"))
    cancelled = len(context.get("cancelled_sessions", ()))
    if row.kind == Kind.CANCELLED and cancelled > 1:
        return lock_screen.subject(_("%(count)s of your appointments are cancelled") % {"count": cancelled})
    text = SUBJECTS[row.kind]
    return lock_screen.subject(_(text) % {"start": context["start_text"]} if text else "")


def _domain() -> str:
    return urlparse(settings.SITE_URL).hostname or "clinic.example"


def notification_email(
    row: Notification, context: dict, *, to: list[str], calendar: bytes | None = None
) -> EmailMultiAlternatives:
    html = render_to_string(f"{TEMPLATE_DIR}/{row.kind}.html", context)
    message = EmailMultiAlternatives(
        subject=context["subject"],
        # The plain part is the HTML part's words (portal.plain_text): one source, the same facts.
        body=html_to_text(html),
        to=to,
        headers={
            "Message-ID": make_msgid(idstring=f"n{row.pk}", domain=_domain()),
            "X-Notification-ID": str(row.pk),
        },
    )
    message.attach_alternative(html, "text/html")
    if calendar:
        # method=PUBLISH, as in the file: mail apps show the sessions as entries to add to the
        # calendar, not as an invitation waiting for a reply.
        message.attach("sessions.ics", calendar, "text/calendar; method=PUBLISH")
    return message


def notification_text(row: Notification, context: dict) -> str:
    return lock_screen.text_message(render_to_string(f"{TEMPLATE_DIR}/{row.kind}.sms.txt", context))
