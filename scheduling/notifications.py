"""The notification outbox: planning rows for sessions, and dispatching due rows.

Every message is a ``Notification`` row written in the same transaction as the booking,
move or cancellation that causes it. Celery beat runs ``notifications_dispatch`` every
minute; nothing waits in Celery (no ETA, no countdown).

For the scheduling services (call them inside your own ``transaction.atomic()``; each
runs a constant number of queries, whatever the number of sessions):

``notifications_plan(*, sessions, reason="booked") -> int``
    Writes each session's reminder (``ClinicSettings.reminder_lead_hours`` before the
    start, or at the next dispatch if that is already past), the optional morning
    reminder, the no-driving notice (at the end of the infusion) and, for sessions with
    ``review_due``, the symptom-review notice to the patient and to the clinicians.
    ``reason="booked"`` adds one booking confirmation per course, a course-level row
    (every session listed, the course's iCalendar file attached); ``reason="rescheduled"``
    adds a "session moved" notice on the moved session. Pending rows of the same kinds
    for these sessions are cancelled first, so calling it again after a move replaces,
    never duplicates. Returns rows written.

``notifications_cancel(*, sessions) -> int``
    Cancels the unsent rows of these sessions (queued, or claimed by a dispatcher that
    has not sent them yet): a stale reminder is never sent. For the sessions whose
    ``status`` is already ``cancelled`` it also writes the patient's "cancelled" notice
    (one course-level row per course per call, listing the cancelled sessions, with the
    updated calendar). Call it from ``session_cancel`` after setting the status, and
    before moving sessions in a reschedule. Course-level rows (the booking confirmation,
    cancellation notices) are left alone. Returns the number of rows cancelled.

``notifications_session_cancelled(*, sessions) -> int``
    The same for sessions you are cancelling, whatever their in-memory status. Returns
    notices written.

``notifications_review_sync(*, courses) -> int``
    Makes the review-due notices of these courses match ``Session.review_due``. Call it
    after recomputing ``review_due`` (session_cancel, course_cancel_rest,
    session_reschedule), so a review that moved to a later session gets its notice; the
    dispatcher already drops a notice whose session is no longer a review point, and
    writes any that are missing for an upcoming review point on its next run.

``no_driving_context(*, session) -> dict``
    For the printable no-driving notice on a session page:
    ``{% include "scheduling/notifications/no_driving_notice.html" %}`` with this context
    (the same words as the message, naming the clock time in the clinic's zone).

``scheduling.notification_views.staff_panel(request) -> str``
    A /staff/ section counting the messages that need attention, linking to
    /staff/notifications/ (each patient's log is /staff/notifications/patients/<id>/).

``notifications_dispatch(*, now=None) -> int``  (contract)
    Claims due rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` in a short transaction
    (status ``sending``, ``claimed_at``), sends outside any transaction, and marks each
    row ``sent`` with ``sent_at = now`` right after its own send, so a worker killed
    mid-batch leaves at most the message in flight unaccounted for. Rows left in
    ``sending`` longer than ``NOTIFICATION_RECLAIM_SECONDS`` (a killed worker) are claimed
    again. Never sent: a row whose session is cancelled, whatever its kind (``cancelled``);
    a booking confirmation once every session of its course is cancelled; a reminder once
    its session has started (``expired``); a no-driving notice once its window has passed
    (it is still sent late within it). Returns how many were sent.

    Exactly once, with one limit SMTP cannot remove: if the worker dies after the mail
    server accepted a message and before the row is marked (a millisecond window), the
    message is sent again after the reclaim delay. Never lost; duplicated at most then.

``notification_resend(*, notification, by) -> Notification``
    Staff: queue a failed or undeliverable message again.

Session-level and course-level rows: a message about one session (reminders, the
no-driving and review notices, "session moved") is a row with ``session`` set and
``course`` empty; a message about the course (the booking confirmation, a "cancelled"
notice) is a row with ``course`` set and ``session`` empty, so cancelling a session never
has to spare anything: every unsent row of a cancelled session is cancelled, and the
dispatcher never sends a row whose session is cancelled. A course-level row reaches its
patient and sessions through ``row.course``; a cancellation notice lists the sessions in
its ``session_ids``. ``session_sequence`` numbers a course's messages of one kind, so
several cancellations in one course each get their own notice.

Channels: email when the patient has an email address (HTML and plain text, calendar
attached), otherwise a text message when they have a phone number; one channel per
message, so a patient is not told everything twice. A patient with neither gets rows with
status ``undeliverable`` that staff see in the notification log. A patient's choice at
/me/ (``Patient.preferred_channel``) comes first while that contact detail exists.
Clinicians' review-due notices go by email to every active clinician.

Settings (all optional): ``NOTIFICATION_MAX_ATTEMPTS`` (5), ``NOTIFICATION_RETRY_SECONDS``
(60: first retry; doubles each time, at most an hour), ``NOTIFICATION_RECLAIM_SECONDS``
(300), ``NOTIFICATION_BATCH_SIZE`` (200), ``NOTIFICATION_TIME_BUDGET_SECONDS`` (40: stop
sending after this, inside the task's time limit and far from the reclaim delay; what is
left of the batch goes back to pending),
``NOTIFICATION_DISPATCH_ON_COMMIT`` (True: after a booking commits, wake the dispatcher
so the confirmation goes out now rather than at the next beat).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import logging
import re
import smtplib
import time
from collections import defaultdict
from collections.abc import Iterable
from email.mime.multipart import MIMEMultipart
from email.utils import formatdate
from html import escape as html_escape
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import SafeMIMEMultipart, SafeMIMEText, forbid_multi_line_headers, make_msgid
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from portal.models import ClinicSettings, Patient, Role, User
from portal.services import audit_record
from scheduling import sms
from scheduling.models import Course, Notification, Session, SessionStatus

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Status = Notification.Status
Channel = Notification.Channel
Audience = Notification.Audience

NO_CONTACT = "No email address or phone number on file for this patient."
TEMPLATE_DIR = "scheduling/notifications"
# The messages that follow a session's time: re-planning a session replaces them.
REVIEW_KINDS = (Kind.REVIEW_DUE, Kind.REVIEW_DUE_CLINICIANS)
SESSION_SCHEDULE_KINDS = (Kind.REMINDER, Kind.MORNING_REMINDER, Kind.NO_DRIVING, *REVIEW_KINDS)
REVIEW_KIND_FOR = {Audience.PATIENT: Kind.REVIEW_DUE, Audience.CLINICIANS: Kind.REVIEW_DUE_CLINICIANS}
# Messages about the whole course: course-level rows (session empty), never cancelled with a session.
COURSE_LEVEL_KINDS = (Kind.BOOKING_CONFIRMATION, Kind.CANCELLED)
# Rows a cancellation or a move withdraws: queued, and claimed by a dispatcher but not yet
# sent (the dispatcher re-checks its claim every CLAIM_CHECK_EVERY rows and skips them).
UNSENT = (Status.PENDING, Status.SENDING)
CLAIM_CHECK_EVERY = 20
# A review notice is for a session the patient comes to (not a no-show, not cancelled).
ATTENDED = (SessionStatus.BOOKED, SessionStatus.COMPLETED)


def _setting(name: str, default):
    return getattr(settings, name, default)


# --- Planning ---------------------------------------------------------------------


def _patient_channel(patient: Patient) -> str | None:
    # The patient's own choice at /me/ first, while that contact detail exists.
    if patient.preferred_channel == Channel.SMS and patient.phone:
        return Channel.SMS
    if patient.preferred_channel == Channel.EMAIL and patient.email:
        return Channel.EMAIL
    if patient.email:
        return Channel.EMAIL
    if patient.phone:
        return Channel.SMS
    return None


def _next_sequences(session_ids: list[int]) -> dict[tuple[int, str], int]:
    """Highest session_sequence used per (session, kind): a new row must go above it,
    so replacing a message never collides with the row it replaces."""
    if not session_ids:
        return {}
    rows = (
        Notification.objects.filter(session_id__in=session_ids)
        .values("session_id", "kind")
        .annotate(top=Max("session_sequence"))
    )
    return {(row["session_id"], row["kind"]): row["top"] for row in rows}


def _next_course_sequences(course_ids: list[int]) -> dict[tuple[int, str], int]:
    """Highest session_sequence used per (course, kind) by course-level rows."""
    if not course_ids:
        return {}
    rows = (
        Notification.objects.filter(session__isnull=True, course_id__in=course_ids)
        .values("course_id", "kind")
        .annotate(top=Max("session_sequence"))
    )
    return {(row["course_id"], row["kind"]): row["top"] for row in rows}


class _RowWriter:
    """Builds Notification rows for one planning call, with safe sequences: session-level
    rows for `sessions`, course-level rows for the courses in `course_patients`
    (course id -> patient id)."""

    def __init__(self, sessions: list[Session], *, course_patients: dict[int, int] | None = None):
        self.sessions = sessions
        course_patients = course_patients or {}
        self.patients = Patient.objects.in_bulk({s.patient_id for s in sessions} | set(course_patients.values()))
        self.used = _next_sequences([s.pk for s in sessions])
        self.course_used = _next_course_sequences(list(course_patients))
        self.rows: list[Notification] = []

    def _delivery(self, patient_id: int, audience: str) -> tuple[str, str, str]:
        if audience == Audience.CLINICIANS:
            return Channel.EMAIL, Status.PENDING, ""
        channel = _patient_channel(self.patients[patient_id])
        status, error = (Status.PENDING, "") if channel else (Status.UNDELIVERABLE, NO_CONTACT)
        return channel or Channel.EMAIL, status, error

    def add(self, session: Session, kind: str, *, send_at, expires_at=None, audience=Audience.PATIENT):
        key = (session.pk, kind)
        sequence = session.sequence if key not in self.used else max(session.sequence, self.used[key] + 1)
        channel, status, error = self._delivery(session.patient_id, audience)
        self.rows.append(
            Notification(
                session=session,
                kind=kind,
                channel=channel,
                audience=audience,
                send_at=send_at,
                expires_at=expires_at,
                status=status,
                last_error=error,
                session_sequence=sequence,
            )
        )

    def add_course(
        self, course_id: int, patient_id: int, kind: str, *, send_at, expires_at=None, session_ids=()
    ) -> None:
        """A course-level row: about the course, not one session (session left empty)."""
        if kind not in COURSE_LEVEL_KINDS:
            raise ValueError(f"{kind!r} is a message about one session, not the course.")
        key = (course_id, kind)
        sequence = self.course_used[key] + 1 if key in self.course_used else 0
        self.course_used[key] = sequence
        channel, status, error = self._delivery(patient_id, Audience.PATIENT)
        self.rows.append(
            Notification(
                course_id=course_id,
                session=None,
                kind=kind,
                channel=channel,
                audience=Audience.PATIENT,
                send_at=send_at,
                expires_at=expires_at,
                status=status,
                last_error=error,
                session_sequence=sequence,
                session_ids=list(session_ids),
            )
        )

    def save(self) -> int:
        Notification.objects.bulk_create(self.rows)
        return len(self.rows)


def _utc(moment: dt.datetime) -> dt.datetime:
    """Arithmetic in real hours: Python adds timedeltas to wall-clock time within a zone,
    which would make a 12-hour window 11 or 13 hours across a daylight-saving change."""
    return moment.astimezone(dt.UTC)


def no_driving_until(*, session: Session, clinic: ClinicSettings | None = None) -> dt.datetime:
    """The moment the no-driving (and no alcohol or drugs) window ends."""
    clinic = clinic or ClinicSettings.load()
    return _utc(session.end) + dt.timedelta(hours=clinic.no_driving_hours)


def clock_text(moment: dt.datetime, tz) -> str:
    """"11:00 PM on Tuesday, March 3" in the clinic's zone."""
    local = timezone.localtime(moment, tz)
    return _("%(time)s on %(date)s") % {
        "time": dateformat.format(local, "g:i A"),
        "date": dateformat.format(local, "l, F j"),
    }


def no_driving_context(*, session: Session, clinic: ClinicSettings | None = None) -> dict:
    """Context for ``scheduling/notifications/no_driving_notice.html``, the printable
    notice a session page can include: the same words as the message."""
    clinic = clinic or ClinicSettings.load()
    until = no_driving_until(session=session, clinic=clinic)
    return {
        "until": until,
        "until_text": clock_text(until, clinic.tz),
        "until_24h": timezone.localtime(until, clinic.tz).strftime("%H:%M"),
        "hours": clinic.no_driving_hours,
    }


def _morning_reminder_at(session: Session, clinic: ClinicSettings) -> dt.datetime:
    local_day = timezone.localtime(session.start, clinic.tz).date()
    return dt.datetime.combine(local_day, clinic.morning_reminder_time, tzinfo=clinic.tz)


def _plan_session(writer: _RowWriter, session: Session, clinic: ClinicSettings, now: dt.datetime) -> None:
    if session.start > now:
        # Booked later than the lead time: the reminder is already due, so the next
        # dispatch sends it (its send_at stays the lead time before the session).
        reminder_at = _utc(session.start) - dt.timedelta(hours=clinic.reminder_lead_hours)
        writer.add(session, Kind.REMINDER, send_at=reminder_at, expires_at=session.start)
        if clinic.morning_reminder:
            morning = _morning_reminder_at(session, clinic)
            # Only a distinct second message: after the first reminder, before the session.
            if max(reminder_at, now) < morning < session.start:
                writer.add(session, Kind.MORNING_REMINDER, send_at=morning, expires_at=session.start)
    until = no_driving_until(session=session, clinic=clinic)
    if until > now:
        writer.add(session, Kind.NO_DRIVING, send_at=session.end, expires_at=until)
    if session.review_due:
        writer.add(session, Kind.REVIEW_DUE, send_at=session.end)
        writer.add(session, Kind.REVIEW_DUE_CLINICIANS, send_at=session.end, audience=Audience.CLINICIANS)


def _wake_dispatcher() -> None:
    """After commit: ask a worker to dispatch now. Failure is harmless (beat runs every
    minute and the rows are safe in PostgreSQL), so a broker outage never fails a booking."""
    if not _setting("NOTIFICATION_DISPATCH_ON_COMMIT", True):
        return
    try:
        from scheduling.tasks import dispatch_notifications

        dispatch_notifications.apply_async(retry=False)
    except Exception:  # noqa: BLE001 - broker down: beat will pick the rows up
        logger.warning("Could not wake the notification dispatcher; beat will send the messages.", exc_info=True)


def notifications_plan(*, sessions: Iterable[Session], reason: str = "booked") -> int:
    """Write the outbox rows for these sessions (reason: "booked" | "rescheduled")."""
    if reason not in ("booked", "rescheduled"):
        raise ValueError(f"Unknown planning reason {reason!r}: use 'booked' or 'rescheduled'.")
    sessions = [s for s in sessions if s.status != SessionStatus.CANCELLED]
    if not sessions:
        return 0
    clinic = ClinicSettings.load()
    now = timezone.now()
    session_ids = [s.pk for s in sessions]
    replaced = [*SESSION_SCHEDULE_KINDS, Kind.RESCHEDULED]
    Notification.objects.filter(session_id__in=session_ids, status__in=UNSENT, kind__in=replaced).update(
        status=Status.CANCELLED, last_error="Replaced by a newer message for this session."
    )
    course_patients = {s.course_id: s.patient_id for s in sessions} if reason == "booked" else {}
    writer = _RowWriter(sessions, course_patients=course_patients)
    # The confirmation first (same send_at, lower pk): it is what the patient expects to read
    # first. It belongs to the course, so cancelling the first session does not withdraw it.
    for course_id, patient_id in course_patients.items():
        writer.add_course(course_id, patient_id, Kind.BOOKING_CONFIRMATION, send_at=now)
    for session in sessions:
        if reason == "rescheduled" and session.start > now:
            writer.add(session, Kind.RESCHEDULED, send_at=now, expires_at=session.start)
        _plan_session(writer, session, clinic, now)
    written = writer.save()
    transaction.on_commit(_wake_dispatcher, robust=True)
    return written


def _write_cancelled_notices(sessions: list[Session]) -> int:
    """One "cancelled" notice per course per call, a course-level row listing the course's
    sessions cancelled in this call (``session_ids``): a patient whose remaining sessions
    are all cancelled gets one message listing them, not one message each. A session
    already named by a live notice is not named again."""
    now = timezone.now()
    sessions = [s for s in sessions if s.start > now]
    if not sessions:
        return 0
    course_ids = sorted({s.course_id for s in sessions})
    # Two cancellations in one course at the same moment number their notices one after
    # the other. NO KEY UPDATE does not wait for rows that merely reference the course.
    list(Course.objects.select_for_update(no_key=True).filter(pk__in=course_ids).values_list("pk", flat=True))
    already: set[int] = set()
    for named in (
        Notification.objects.filter(session__isnull=True, course_id__in=course_ids, kind=Kind.CANCELLED)
        .exclude(status=Status.CANCELLED)
        .values_list("session_ids", flat=True)
    ):
        already.update(named or [])
    listed: dict[int, list[Session]] = defaultdict(list)
    for session in sorted(sessions, key=lambda s: (s.start, s.pk)):
        if session.pk not in already:
            listed[session.course_id].append(session)
    if not listed:
        return 0
    writer = _RowWriter([], course_patients={course_id: group[0].patient_id for course_id, group in listed.items()})
    for course_id, group in listed.items():
        writer.add_course(
            course_id,
            group[0].patient_id,
            Kind.CANCELLED,
            send_at=now,
            # Worth sending while any session it names is still ahead.
            expires_at=group[-1].start,
            session_ids=[s.pk for s in group],
        )
    written = writer.save()
    if written:
        transaction.on_commit(_wake_dispatcher, robust=True)
    return written


def notifications_review_sync(*, courses: Iterable) -> int:
    """Make the review-due notices of these courses follow ``Session.review_due`` (it is
    recomputed when a session is cancelled). Returns rows cancelled plus rows written."""
    course_ids = [getattr(c, "pk", c) for c in courses]
    if not course_ids:
        return 0
    now = timezone.now()
    changed = (
        Notification.objects.filter(
            session__course_id__in=course_ids, kind__in=REVIEW_KINDS, status__in=UNSENT
        )
        .filter(Q(session__review_due=False) | Q(session__status=SessionStatus.CANCELLED))
        .update(status=Status.CANCELLED, last_error="The symptom review moved to another session.")
    )
    have = set(
        Notification.objects.filter(session__course_id__in=course_ids, kind__in=REVIEW_KINDS)
        .exclude(status__in=[Status.CANCELLED, Status.EXPIRED])
        .values_list("session_id", "audience")
    )
    due = list(Session.objects.filter(course_id__in=course_ids, review_due=True, end__gt=now, status__in=ATTENDED))
    writer = _RowWriter(due)
    for session in due:
        for audience in (Audience.PATIENT, Audience.CLINICIANS):
            if (session.pk, audience) not in have:
                writer.add(session, REVIEW_KIND_FOR[audience], send_at=session.end, audience=audience)
    return changed + writer.save()


def notifications_cancel(*, sessions: Iterable[Session]) -> int:
    """Cancel the pending rows of these sessions, so nothing stale is sent; for sessions
    already cancelled, also write the patient's "cancelled" notice."""
    sessions = list(sessions)
    if not sessions:
        return 0
    cancelled = Notification.objects.filter(session__in=sessions, status__in=UNSENT).update(
        status=Status.CANCELLED, last_error="The session was cancelled or moved."
    )
    gone = [s for s in sessions if s.status == SessionStatus.CANCELLED]
    if gone:
        _write_cancelled_notices(gone)
        notifications_review_sync(courses={s.course_id for s in gone})
    return cancelled


def notifications_session_cancelled(*, sessions: Iterable[Session]) -> int:
    """Cancel these sessions' pending rows and tell the patient (once per session)."""
    sessions = list(sessions)
    if not sessions:
        return 0
    Notification.objects.filter(session__in=sessions, status__in=UNSENT).update(
        status=Status.CANCELLED, last_error="The session was cancelled."
    )
    written = _write_cancelled_notices(sessions)
    notifications_review_sync(courses={s.course_id for s in sessions})
    return written


# --- Staff actions -------------------------------------------------------------------


RESENDABLE = (Status.FAILED, Status.UNDELIVERABLE)


def notification_resend(*, notification: Notification, by: User | None = None, request=None) -> Notification:
    """Queue a failed or undeliverable message again, for the next dispatch."""
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("session__patient", "course__patient")
            .get(pk=notification.pk)
        )
        if row.status not in RESENDABLE:
            raise ValidationError(
                _("Only a failed or undeliverable message can be sent again; this one is %(status)s.")
                % {"status": row.get_status_display().lower()}
            )
        now = timezone.now()
        if row.expires_at and row.expires_at <= now:
            raise ValidationError(_("This message is out of date (its session has started or its window has passed)."))
        if row.session is not None and row.session.is_cancelled:
            raise ValidationError(_("The session was cancelled, so this message would be wrong now."))
        channel = row.channel
        if row.audience == Audience.PATIENT:
            channel = _patient_channel(row.patient)
            if channel is None:
                raise ValidationError(
                    _("Add an email address or a phone number to the patient's record, then send it again.")
                )
        row.channel = channel
        row.status = Status.PENDING
        row.attempts = 0
        row.send_at = now
        row.claimed_at = None
        row.last_error = ""
        try:
            with transaction.atomic():
                row.save(update_fields=["channel", "status", "attempts", "send_at", "claimed_at", "last_error"])
        except IntegrityError:
            raise ValidationError(_("The same message is already queued on that channel.")) from None
        audit_record(
            actor=by,
            action="notification.resend",
            patient=row.patient,
            obj=row,
            request=request,
            detail={"kind": row.kind, "channel": row.channel},
        )
    transaction.on_commit(_wake_dispatcher, robust=True)
    return row


# --- Dispatching -----------------------------------------------------------------------


class TransientSendError(Exception):
    """Trying again later may work."""


def _is_transient(exc: BaseException) -> bool:
    # smtplib errors (4xx and 5xx alike: a refusal can be a full mailbox or a policy
    # hiccup; after NOTIFICATION_MAX_ATTEMPTS the row is failed and staff see it),
    # network errors (ConnectionError and timeouts are OSErrors) and SMS provider trouble.
    return isinstance(exc, smtplib.SMTPException | OSError | sms.SmsTransientError | TransientSendError)


def _backoff(attempts: int) -> dt.timedelta:
    base = _setting("NOTIFICATION_RETRY_SECONDS", 60)
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


def _reclaim_stuck() -> int:
    """Rows a killed worker left in `sending` go back to the queue."""
    cutoff = timezone.now() - dt.timedelta(seconds=_setting("NOTIFICATION_RECLAIM_SECONDS", 300))
    return Notification.objects.filter(status=Status.SENDING, claimed_at__lt=cutoff).update(
        status=Status.PENDING, claimed_at=None
    )


def _review_heal(now: dt.datetime) -> None:
    """A review point that moved (review_due is recomputed when a session is cancelled or
    moved) gets its notices even if the caller did not sync them: one query per run finds
    upcoming review sessions with no live notice."""
    live = Notification.objects.filter(session=OuterRef("pk"), kind=Kind.REVIEW_DUE).exclude(
        status__in=[Status.CANCELLED, Status.EXPIRED]
    )
    courses = set(
        Session.objects.filter(review_due=True, end__gt=now, status__in=ATTENDED)
        .filter(~Exists(live))
        .values_list("course_id", flat=True)[:500]
    )
    if courses:
        try:
            with transaction.atomic():
                notifications_review_sync(courses=courses)
        except IntegrityError:
            pass  # another dispatcher wrote them at the same moment


def _claim(now: dt.datetime, limit: int) -> list[int]:
    """The short transaction: lock due rows other dispatchers have not locked, mark them ours."""
    with transaction.atomic():
        ids = list(
            Notification.objects.due(now)
            .order_by("send_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Notification.objects.filter(pk__in=ids).update(status=Status.SENDING, claimed_at=timezone.now())
    return ids


class _Outbound:
    """What one dispatch run shares between rows: settings, connections, lookups."""

    def __init__(self, now: dt.datetime):
        self.now = now
        self.clinic = ClinicSettings.load()
        self.tz = self.clinic.tz
        self._email = None
        self._sms = None
        self._clinicians: list[str] | None = None
        self._calendars: dict[int, bytes | None] = {}
        # Per course of a course message: its sessions that are not cancelled, in order.
        self.course_sessions: dict[int, list[Session]] = {}
        # Every session of those courses, by pk (a cancellation notice names some of them).
        self.sessions: dict[int, Session] = {}
        self.skeletons: dict[str, list[str]] = {}
        self._clock: dict[dt.datetime, str] = {}
        self._clock_24h: dict[dt.datetime, str] = {}
        self._translations: dict[str, str] = {}
        site = settings.SITE_URL.rstrip("/")
        self.site = site
        self.domain = urlparse(site).hostname or "clinic.example"
        self.constants = {
            "clinic_name": settings.CLINIC_NAME,
            "clinic_phone": settings.CLINIC_PHONE,
            "me_url": site + reverse("me"),
            "hours": self.clinic.no_driving_hours,
        }

    def clock(self, moment: dt.datetime) -> str:
        text = self._clock.get(moment)
        if text is None:
            text = self._clock[moment] = clock_text(moment, self.tz)
        return text

    def clock_24h(self, moment: dt.datetime) -> str:
        text = self._clock_24h.get(moment)
        if text is None:
            text = self._clock_24h[moment] = timezone.localtime(moment, self.tz).strftime("%H:%M")
        return text

    def gettext(self, message: str) -> str:
        # The run's language does not change while it runs: each subject is translated once.
        text = self._translations.get(message)
        if text is None:
            text = self._translations[message] = _(message)
        return text

    @property
    def email(self):
        if self._email is None:
            # One SMTP connection for the whole run, not one per message.
            connection = get_connection(fail_silently=False)
            connection.open()
            self._email = connection
        return self._email

    def send_email(self, message: EmailMultiAlternatives) -> None:
        # Through the run's connection; the message does not carry it, so a backend that
        # keeps copies of what it sends (locmem) does not copy the connection each time.
        self.email.send_messages([message])

    def email_reset(self) -> None:
        if self._email is not None:
            try:
                self._email.close()
            except Exception:  # noqa: BLE001 - a broken connection is dropped either way
                pass
            self._email = None

    @property
    def sms(self):
        if self._sms is None:
            self._sms = sms.sms_backend()
        return self._sms

    def clinicians(self) -> list[str]:
        if self._clinicians is None:
            self._clinicians = list(
                User.objects.filter(groups__name=Role.CLINICIAN, is_active=True)
                .exclude(email="")
                .order_by("email")
                .values_list("email", flat=True)
                .distinct()
            )
        return self._clinicians

    def calendar(self, course) -> bytes | None:
        if course.pk not in self._calendars:
            try:
                from scheduling.calendar import course_calendar
            except ImportError:
                self._calendars[course.pk] = None
            else:
                try:
                    self._calendars[course.pk] = course_calendar(courses=[course])
                except Exception:  # noqa: BLE001 - the message matters more than its attachment
                    logger.exception("Could not build the calendar of course %s; sending without it", course.pk)
                    self._calendars[course.pk] = None
        return self._calendars[course.pk]

    def close(self) -> None:
        self.email_reset()


def _course_id(row: Notification) -> int:
    return row.course_id if row.session_id is None else row.session.course_id


def _anchor(row: Notification, out: _Outbound) -> Session | None:
    """The session whose time the message names: its own session; for the booking
    confirmation, the course's first session that is not cancelled; for a cancellation
    notice, the first session it names. None when there is nothing left to tell."""
    if row.session_id is not None:
        return row.session
    if row.kind == Kind.CANCELLED:
        listed = _cancelled_listed(row, out)
        return listed[0] if listed else None
    live = out.course_sessions.get(row.course_id) or []
    return live[0] if live else None


def _cancelled_listed(row: Notification, out: _Outbound) -> list[Session]:
    """The sessions a cancellation notice names that are still ahead (all of them if none is)."""
    if row.session_id is not None:
        return [row.session]
    named = sorted(
        (out.sessions[pk] for pk in row.session_ids or [] if pk in out.sessions), key=lambda s: (s.start, s.pk)
    )
    return [s for s in named if s.start > out.now] or named


def _values(row: Notification, out: _Outbound) -> dict:
    """The per-message words: names and clock times. Everything else is the same for a kind."""
    session = _anchor(row, out)
    patient = row.patient
    values = {
        "first_name": patient.first_name,
        "full_name": patient.full_name,
        "start_text": out.clock(session.start),
        "chair": session.chair.name,
    }
    if row.kind == Kind.NO_DRIVING:
        until = row.expires_at or no_driving_until(session=session, clinic=out.clinic)
        values["end_text"] = out.clock(session.end)
        values["until_text"] = out.clock(until)
        # The 24-hour clock too: "11:00 PM (23:00)" leaves no doubt about morning or night.
        values["until_24h"] = out.clock_24h(until)
    if row.audience == Audience.CLINICIANS:
        values["staff_url"] = out.site + reverse("notifications:patient-log", args=[patient.pk])
    if row.kind == Kind.CANCELLED:
        values["cancelled_count"] = len(_cancelled_listed(row, out))
    values["subject"] = _subject(row, values, out)
    return values


def _context(row: Notification, out: _Outbound, values: dict[str, str]) -> dict:
    context = {**out.constants, **values, "patient": row.patient, "session": _anchor(row, out)}
    if row.kind in COURSE_KINDS:
        context["course_sessions"] = [
            {"start_text": out.clock(s.start), "chair": s.chair.name}
            for s in out.course_sessions.get(_course_id(row), [])
        ]
    if row.kind == Kind.CANCELLED:
        context["cancelled_sessions"] = [out.clock(s.start) for s in _cancelled_listed(row, out)]
    return context


# Kinds sent in volume (one or more per session) have no per-message structure, only
# per-message words: their templates are rendered once per run with placeholders, and
# each message substitutes its own words (HTML-escaped in the HTML part). Rendering
# every message through the template engine would cost more than sending it.
SKELETON_KINDS = {Kind.REMINDER, Kind.MORNING_REMINDER, Kind.NO_DRIVING, *REVIEW_KINDS}
COURSE_KINDS = (Kind.BOOKING_CONFIRMATION, Kind.RESCHEDULED, Kind.CANCELLED)
PLACEHOLDER = re.compile(r"@@ntf-([a-z0-9_]+)@@")


def _placeholder(name: str) -> str:
    return f"@@ntf-{name}@@"


def _render(row: Notification, out: _Outbound, suffix: str, values: dict[str, str]) -> str:
    name = f"{_template(row)}{suffix}"
    if row.kind not in SKELETON_KINDS:
        return render_to_string(name, _context(row, out, values))
    parts = out.skeletons.get(name)
    if parts is None:
        tokens = {key: _placeholder(key) for key in (*values, "end_text", "until_text", "until_24h", "staff_url")}
        patient = {"first_name": tokens["first_name"], "full_name": tokens["full_name"]}
        skeleton = render_to_string(name, {**out.constants, **tokens, "patient": patient})
        # Split once: the words between placeholders (even places) and the placeholders' names (odd).
        parts = out.skeletons[name] = PLACEHOLDER.split(skeleton)
    # html.escape is what django.utils.html.escape applies, without its lazy-string wrapper.
    quote = html_escape if suffix == ".html" else str
    pieces = parts.copy()
    for index in range(1, len(parts), 2):
        pieces[index] = quote(str(values[parts[index]]))
    return "".join(pieces)


SUBJECTS = {  # gettext_noop: translated when the message is built
    Kind.BOOKING_CONFIRMATION: "Your infusion sessions are booked",
    Kind.REMINDER: "Reminder: your infusion session at %(start)s",
    Kind.MORNING_REMINDER: "Today: your infusion session at %(start)s",
    Kind.NO_DRIVING: "Do not drive until %(until)s",
    Kind.REVIEW_DUE: "Your symptom review is due",
    Kind.RESCHEDULED: "Your infusion session has moved to %(start)s",
    Kind.CANCELLED: "Your infusion session at %(start)s is cancelled",
}


def _template(row: Notification) -> str:
    return f"{TEMPLATE_DIR}/{row.kind}"


def _subject(row: Notification, values: dict, out: _Outbound) -> str:
    if row.audience == Audience.CLINICIANS:
        return out.gettext("Symptom review due: %(patient)s") % {"patient": values["full_name"]}
    if row.kind == Kind.CANCELLED and values.get("cancelled_count", 1) > 1:
        return out.gettext("%(count)s of your infusion sessions are cancelled") % {"count": values["cancelled_count"]}
    return out.gettext(SUBJECTS[row.kind]) % {"start": values["start_text"], "until": values.get("until_text", "")}


# Django's MIME building re-parses and re-writes each part's Content-Type while setting its
# charset, and folds the subject through email.header: together they cost more than the
# rest of a message's work. A notification has one shape (a text part and an HTML
# alternative, UTF-8), so the parts' headers are taken once from Django's own classes and
# each message copies them. The result is the same object tree Django builds (the tests
# compare the bytes); any other shape (attachments, long lines) is left to Django.
_MIME_LINE_LIMIT = 998  # RFC 5322; Django switches such a part to quoted-printable
_FAST_HEADERS = {"Message-ID", "X-Notification-ID"}


@functools.cache
def _mime_prototype(subtype: str, eight_bit: bool):
    if subtype == "alternative":
        return SafeMIMEMultipart(_subtype="alternative", encoding="utf-8")
    return SafeMIMEText("é" if eight_bit else "x", subtype, "utf-8")


def _mime_clone(prototype, payload):
    part = copy.copy(prototype)
    part._headers = list(prototype._headers)
    part._payload = payload
    part.defects = []
    return part


def _mime_text(text: str, subtype: str):
    """What SafeMIMEText(text, subtype, "utf-8") builds, or None where Django would encode
    the body (a line over the limit): the caller then lets Django build the message."""
    data = text.encode("utf-8")  # strict, as email.message does: a stray surrogate raises there too
    # bytes.splitlines() splits on fewer characters than str.splitlines(), so its lines
    # are never shorter: within the limit here means within it for Django's test too.
    if len(data) > _MIME_LINE_LIMIT and max(map(len, data.splitlines())) > _MIME_LINE_LIMIT:
        return None
    return _mime_clone(_mime_prototype(subtype, not data.isascii()), data.decode("ascii", "surrogateescape"))


@functools.lru_cache(maxsize=4096)
def _subject_header(subject: str) -> str:
    # Folding a subject through email.header costs as much as the rest of the headers; a
    # run's subjects repeat (the same session times), so each is folded once.
    return forbid_multi_line_headers("Subject", subject, "utf-8")[1]


class NotificationEmail(EmailMultiAlternatives):
    """An EmailMultiAlternatives whose MIME tree is built from copied parts (see above)."""

    def message(self):
        if (
            # Exactly "utf-8": Django's own shortcut for it (8bit, not base64) is case-sensitive.
            (self.encoding or settings.DEFAULT_CHARSET) != "utf-8"
            or self.attachments
            or self.cc
            or self.reply_to
            or not isinstance(self.body, str)
            or not self.body
            or [alternative.mimetype for alternative in self.alternatives] != ["text/html"]
            or not isinstance(self.alternatives[0].content, str)
            or set(self.extra_headers) != _FAST_HEADERS
        ):
            return super().message()
        text = _mime_text(self.body, "plain")
        html = _mime_text(self.alternatives[0].content, "html")
        if text is None or html is None:
            return super().message()
        msg = _mime_clone(_mime_prototype("alternative", False), [text, html])
        # The headers and their order as EmailMessage.message() writes them.
        MIMEMultipart.__setitem__(msg, "Subject", _subject_header(str(self.subject)))
        msg["From"] = self.from_email
        if self.to:
            msg["To"] = ", ".join(str(address) for address in self.to)
        msg["Date"] = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
        for name, value in self.extra_headers.items():
            msg[name] = value
        return msg


def notification_email(row: Notification, out: _Outbound, to: list[str]) -> EmailMultiAlternatives:
    values = _values(row, out)
    message = NotificationEmail(
        subject=f"{out.constants['clinic_name']}: {values['subject']}",
        body=_render(row, out, ".txt", values),
        to=to,
        headers={
            "Message-ID": make_msgid(idstring=f"n{row.pk}", domain=out.domain),
            "X-Notification-ID": str(row.pk),
        },
    )
    message.attach_alternative(_render(row, out, ".html", values), "text/html")
    if row.kind in COURSE_KINDS:
        ics = out.calendar(row.about_course)
        if ics:
            message.attach("sessions.ics", ics, "text/calendar")
    return message


def notification_text(row: Notification, out: _Outbound) -> str:
    return _render(row, out, ".sms.txt", _values(row, out)).strip()


def _default_expiry(row: Notification, out: _Outbound) -> dt.datetime | None:
    """For rows written without expires_at: the rule planning would have applied."""
    if row.session_id is None:
        if row.kind == Kind.CANCELLED:
            named = [out.sessions[pk].start for pk in row.session_ids or [] if pk in out.sessions]
            return max(named) if named else None
        return None
    if row.kind in (Kind.REMINDER, Kind.MORNING_REMINDER, Kind.RESCHEDULED, Kind.CANCELLED):
        return row.session.start
    if row.kind == Kind.NO_DRIVING:
        return no_driving_until(session=row.session, clinic=out.clinic)
    return None


def _deliver(row: Notification, out: _Outbound) -> tuple[str, str]:
    """Send one claimed row; returns its new (status, note). Raises when sending failed."""
    session = row.session
    # Whatever its kind: a message on a cancelled session is never sent.
    if session is not None and session.is_cancelled:
        return Status.CANCELLED, "The session was cancelled."
    expires_at = row.expires_at or _default_expiry(row, out)
    if expires_at and out.now >= expires_at:
        return Status.EXPIRED, "Not sent in time: the session had started or the window had passed."
    if session is not None:
        if row.kind in REVIEW_KINDS and not session.review_due:
            return Status.CANCELLED, "The symptom review moved to another session."
        if session.status == SessionStatus.NO_SHOW and row.kind in (Kind.NO_DRIVING, *REVIEW_KINDS):
            return Status.CANCELLED, "The patient did not come to the session."
    if row.kind == Kind.BOOKING_CONFIRMATION and not out.course_sessions.get(_course_id(row)):
        return Status.CANCELLED, "Every session of the course was cancelled."
    if _anchor(row, out) is None:
        return Status.CANCELLED, "The sessions this message was about no longer exist."
    if row.audience == Audience.CLINICIANS:
        recipients = out.clinicians()
        if not recipients:
            return Status.UNDELIVERABLE, "No active clinician has an email address."
        out.send_email(notification_email(row, out, recipients))
        return Status.SENT, ""
    patient = row.patient
    if row.channel == Channel.EMAIL and patient.email:
        out.send_email(notification_email(row, out, [patient.email]))
        return Status.SENT, ""
    if row.channel == Channel.SMS and patient.phone:
        sms.sms_send(to=patient.phone, body=notification_text(row, out), backend=out.sms)
        return Status.SENT, ""
    return Status.UNDELIVERABLE, NO_CONTACT if not (patient.email or patient.phone) else (
        "The patient's contact details changed; a member of staff can send it again."
    )


def _load_claimed(ids: list[int], out: _Outbound) -> list[Notification]:
    # By primary key alone, status checked here: a status condition in SQL can lead the
    # planner to the (status, send_at) index, whose "sending" entries left by this run's
    # earlier batches it would read through on every call.
    rows = [r for r in Notification.objects.filter(pk__in=ids).order_by("send_at", "pk") if r.status == Status.SENDING]
    # A batch's rows share a few sessions (a day's reminders, a session's notices): each
    # session, with its patient, course and chair, is read and built once per batch, not
    # once per row. Loaded afresh for every batch, so a session moved meanwhile is read anew.
    sessions = Session.objects.select_related("patient", "course", "chair").in_bulk(
        {r.session_id for r in rows if r.session_id is not None}
    )
    about = Course.objects.select_related("patient").in_bulk({r.course_id for r in rows if r.course_id is not None})
    for row in rows:
        if row.session_id in sessions:
            row.session = sessions[row.session_id]
        if row.course_id in about:
            row.course = about[row.course_id]
    courses = {_course_id(r) for r in rows if r.kind in COURSE_KINDS} - out.course_sessions.keys()
    if courses:
        live = defaultdict(list)
        for s in Session.objects.filter(course_id__in=courses).select_related("chair").order_by("start", "pk"):
            out.sessions[s.pk] = s
            if s.status != SessionStatus.CANCELLED:
                live[s.course_id].append(s)
        for course_id in courses:
            out.course_sessions[course_id] = live.get(course_id, [])
    return rows


_MARK_SENT_SQL = (
    f"UPDATE {Notification._meta.db_table} SET status = %s, sent_at = %s, claimed_at = NULL, last_error = ''"
    " WHERE id = %s"
)
# By primary key alone (see _load_claimed); the caller checks the status.
_CLAIM_STATUS_SQL = f"SELECT id, status FROM {Notification._meta.db_table} WHERE id IN ({{}})"


def _monotonic() -> float:
    return time.monotonic()


class _MarkFailed(Exception):
    """A sent message could not be marked sent: the database connection is in doubt."""


def _record(row: Notification, status: str, note: str, now: dt.datetime, cursor) -> None:
    if status == Status.SENT:
        # The hot path, once per message: one statement on the batch's cursor, no ORM query building.
        cursor.execute(_MARK_SENT_SQL, [Status.SENT, now, row.pk])
        return
    Notification.objects.filter(pk=row.pk, status=Status.SENDING).update(
        status=status, last_error=note[:500], claimed_at=None
    )


def _record_failure(row: Notification, exc: BaseException, now: dt.datetime, *, transient: bool) -> None:
    attempts = row.attempts + 1
    note = f"{type(exc).__name__}: {exc}"[:500]
    if transient and attempts < _setting("NOTIFICATION_MAX_ATTEMPTS", 5):
        logger.warning("Notification %s not sent, attempt %s; will retry: %s", row.pk, attempts, note)
        Notification.objects.filter(pk=row.pk, status=Status.SENDING).update(
            status=Status.PENDING, attempts=attempts, last_error=note, claimed_at=None, send_at=now + _backoff(attempts)
        )
    else:
        logger.error("Notification %s failed after %s attempts: %s", row.pk, attempts, note)
        Notification.objects.filter(pk=row.pk, status=Status.SENDING).update(
            status=Status.FAILED, attempts=attempts, last_error=note, claimed_at=None
        )


def _relax_commits() -> bool:
    """Each row is marked sent in its own tiny transaction right after its send, so a killed
    worker loses at most the message in flight. Waiting for the WAL flush on each of those
    commits would cost more than the send itself; with synchronous_commit off the commit is
    visible to every other session at once and survives a worker crash, and only a crash of
    PostgreSQL itself within a fraction of a second could undo a "sent" mark (the message
    would then go out again: at least once, never lost). Outside transactions only."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    return True


def _restore_commits() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")
    except Exception:  # noqa: BLE001 - a broken connection is discarded anyway
        logger.warning("Could not reset synchronous_commit", exc_info=True)


def notifications_dispatch(*, now: dt.datetime | None = None, batch_size: int | None = None) -> int:
    """Send what is due at `now` (default: the real clock); record `now` as sent_at;
    return how many were sent. Safe to run in several workers at once."""
    from celery.exceptions import SoftTimeLimitExceeded

    now = now or timezone.now()
    batch_size = batch_size or _setting("NOTIFICATION_BATCH_SIZE", 200)
    deadline = _monotonic() + _setting("NOTIFICATION_TIME_BUDGET_SECONDS", 40)
    _reclaim_stuck()
    _review_heal(now)
    out = _Outbound(now)
    sent = 0
    relaxed = _relax_commits()
    try:
        while True:
            ids = _claim(now, batch_size)
            if not ids:
                break
            pending = set(ids)
            try:
                rows = _load_claimed(ids, out)
                with connection.cursor() as cursor:
                    for index, row in enumerate(rows):
                        if index % CLAIM_CHECK_EVERY == 0 and index:
                            # A cancellation may have withdrawn rows we hold: one query per few rows.
                            chunk = [r.pk for r in rows[index : index + CLAIM_CHECK_EVERY]]
                            cursor.execute(_CLAIM_STATUS_SQL.format(", ".join(["%s"] * len(chunk))), chunk)
                            ours = {pk for pk, status in cursor.fetchall() if status == Status.SENDING}
                            for pk in chunk:
                                if pk not in ours:
                                    pending.discard(pk)
                        if row.pk not in pending:
                            continue
                        if _monotonic() > deadline:
                            # Slow sends (an SMTP server timing out) must not stretch a run towards the
                            # reclaim delay, when another worker would take these rows and send them too:
                            # the rest of the batch is given back below.
                            break
                        try:
                            status, note = _deliver(row, out)
                        except SoftTimeLimitExceeded:
                            raise
                        except Exception as exc:  # noqa: BLE001 - one bad row never stops the batch
                            transient = _is_transient(exc)
                            if transient:
                                out.email_reset()  # the SMTP connection may be broken; open a new one
                            else:
                                logger.exception("Notification %s failed", row.pk)
                            _record_failure(row, exc, now, transient=transient)
                        else:
                            # Out of `pending` before the mark: a message that went out is never given
                            # back for the next beat to send again, even if marking it fails.
                            pending.discard(row.pk)
                            try:
                                _record(row, status, note, now, cursor)
                            except DatabaseError as exc:
                                # It stays `sending`; the reclaimer takes it back after the delay, and
                                # nothing more goes out on a connection that cannot record what it sent.
                                logger.exception("Notification %s was %s but could not be marked", row.pk, status)
                                raise _MarkFailed from exc
                            sent += status == Status.SENT
                        pending.discard(row.pk)
            except _MarkFailed:
                break
            finally:
                if pending:
                    # Interrupted (time limit, shutdown): give back what we claimed but did not try.
                    Notification.objects.filter(pk__in=pending, status=Status.SENDING).update(
                        status=Status.PENDING, claimed_at=None
                    )
            if len(ids) < batch_size or _monotonic() > deadline:
                break
    finally:
        out.close()
        _subject_header.cache_clear()  # clinicians' subjects name patients: kept for one run only
        if relaxed:
            _restore_commits()
    return sent


# --- Reads for the staff log ---------------------------------------------------------------


def notifications_for_patient(patient: Patient):
    """The patient's messages, session-level and course-level, newest first (no query per row)."""
    return (
        Notification.objects.for_patient(patient)
        .select_related("session__chair", "course")
        .order_by("-send_at", "-pk")
    )
