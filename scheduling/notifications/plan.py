"""Planning the outbox: the rows a booking, a move or a cancellation writes.

The scheduling services call these inside their own ``transaction.atomic()``, so a message
exists exactly when the change that causes it commits. Each runs a constant number of
queries, whatever the number of sessions.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.utils import timezone

from portal.models import ClinicSettings, Patient
from scheduling.models import Course, Notification, Session, SessionStatus

logger = logging.getLogger(__name__)

Kind, Status = Notification.Kind, Notification.Status
Channel, Audience = Notification.Channel, Notification.Audience

NO_CONTACT = "No email address or phone number on file for this patient."
# Named, not imported: the tasks module imports the dispatcher, and nothing here imports tasks.
DISPATCH_TASK = "scheduling.tasks.dispatch_notifications"
# Waking the dispatcher is a hint: give up after one attempt of at most a second.
WAKE_TRANSPORT_OPTIONS = {"max_retries": 0, "socket_connect_timeout": 1, "socket_timeout": 1}
REVIEW_KINDS = (Kind.REVIEW_DUE, Kind.REVIEW_DUE_CLINICIANS)
# The messages that follow a session's time: re-planning a session replaces them.
SESSION_SCHEDULE_KINDS = (Kind.REMINDER, Kind.MORNING_REMINDER, Kind.NO_DRIVING, *REVIEW_KINDS)
REVIEW_KIND_FOR = {Audience.PATIENT: Kind.REVIEW_DUE, Audience.CLINICIANS: Kind.REVIEW_DUE_CLINICIANS}
# Messages about the whole course: course-level rows (session empty), never cancelled with a session.
COURSE_LEVEL_KINDS = (Kind.BOOKING_CONFIRMATION, Kind.CANCELLED)
# Rows a cancellation or a move withdraws: queued, and claimed by a dispatcher but not yet
# sent (the dispatcher re-checks its claim every few rows and skips them).
UNSENT = (Status.PENDING, Status.SENDING)
# A review notice is for a session the patient comes to (not a no-show, not cancelled).
ATTENDED = (SessionStatus.BOOKED, SessionStatus.COMPLETED)


def patient_channel(patient: Patient) -> str | None:
    """Email, else a text message; the patient's own choice at /me/ first, while that
    contact detail exists. None when the patient has neither."""
    if patient.preferred_channel == Channel.SMS and patient.phone:
        return Channel.SMS
    if patient.preferred_channel == Channel.EMAIL and patient.email:
        return Channel.EMAIL
    if patient.email:
        return Channel.EMAIL
    if patient.phone:
        return Channel.SMS
    return None


def _top_sequences(rows, key: str) -> dict[tuple[int, str], int]:
    """Highest session_sequence used per (session or course, kind): a new row goes above it,
    so replacing a message never collides with the row it replaces."""
    rows = rows.values(key, "kind").annotate(top=Max("session_sequence"))
    return {(row[key], row["kind"]): row["top"] for row in rows}


class _RowWriter:
    """Builds the Notification rows of one planning call, with safe sequences: session-level
    rows for `sessions`, course-level rows for the courses in `course_patients`
    (course id -> patient id)."""

    def __init__(self, sessions: list[Session], *, course_patients: dict[int, int] | None = None):
        course_patients = course_patients or {}
        self.patients = Patient.objects.in_bulk({s.patient_id for s in sessions} | set(course_patients.values()))
        self.used = {}
        if sessions:
            self.used = _top_sequences(Notification.objects.filter(session__in=sessions), "session_id")
        self.course_used = {}
        if course_patients:
            course_rows = Notification.objects.filter(session__isnull=True, course_id__in=course_patients)
            self.course_used = _top_sequences(course_rows, "course_id")
        self.rows: list[Notification] = []

    def _delivery(self, patient_id: int, audience: str) -> dict:
        if audience == Audience.RIDE_HOME:
            # Only written when the patient agreed and gave the phone number (session_arrive).
            return {"channel": Channel.SMS, "status": Status.PENDING, "last_error": ""}
        if audience == Audience.CLINICIANS:
            return {"channel": Channel.EMAIL, "status": Status.PENDING, "last_error": ""}
        channel = patient_channel(self.patients[patient_id])
        if channel is None:
            return {"channel": Channel.EMAIL, "status": Status.UNDELIVERABLE, "last_error": NO_CONTACT}
        return {"channel": channel, "status": Status.PENDING, "last_error": ""}

    def add(self, session: Session, kind: str, *, send_at, expires_at=None, audience=Audience.PATIENT) -> None:
        key = (session.pk, kind)
        sequence = max(session.sequence, self.used[key] + 1) if key in self.used else session.sequence
        self.rows.append(
            Notification(
                session=session,
                kind=kind,
                audience=audience,
                send_at=send_at,
                expires_at=expires_at,
                session_sequence=sequence,
                **self._delivery(session.patient_id, audience),
            )
        )

    def add_course(self, course_id: int, patient_id: int, kind: str, *, send_at, expires_at=None, session_ids=()):
        """A course-level row: about the course, not one session (session left empty)."""
        if kind not in COURSE_LEVEL_KINDS:
            raise ValueError(f"{kind!r} is a message about one session, not the course.")
        key = (course_id, kind)
        sequence = self.course_used[key] = self.course_used[key] + 1 if key in self.course_used else 0
        self.rows.append(
            Notification(
                course_id=course_id,
                kind=kind,
                send_at=send_at,
                expires_at=expires_at,
                session_sequence=sequence,
                session_ids=list(session_ids),
                **self._delivery(patient_id, Audience.PATIENT),
            )
        )

    def save(self) -> int:
        Notification.objects.bulk_create(self.rows)
        return len(self.rows)


def _plan_session(writer: _RowWriter, session: Session, clinic: ClinicSettings, now: dt.datetime) -> None:
    if session.start > now:
        # Booked later than the lead time: the reminder is already due, so the next
        # dispatch sends it (its send_at stays the lead time before the session).
        reminder_at = session.start.astimezone(dt.UTC) - dt.timedelta(hours=clinic.reminder_lead_hours)
        writer.add(session, Kind.REMINDER, send_at=reminder_at, expires_at=session.start)
        if clinic.morning_reminder:
            local_day = timezone.localtime(session.start, clinic.tz).date()
            morning = dt.datetime.combine(local_day, clinic.morning_reminder_time, tzinfo=clinic.tz)
            # Only a distinct second message: after the first reminder, before the session.
            if max(reminder_at, now) < morning < session.start:
                writer.add(session, Kind.MORNING_REMINDER, send_at=morning, expires_at=session.start)
    # Where nothing is recorded on the day, the notice goes at the booked end, naming the stored
    # time. Once the patient has arrived it waits for discharge (notifications_discharged).
    if session.arrived_at is None and session.no_driving_until > now:
        writer.add(session, Kind.NO_DRIVING, send_at=session.end, expires_at=session.no_driving_until)
    if session.review_due:
        writer.add(session, Kind.REVIEW_DUE, send_at=session.end)
        writer.add(session, Kind.REVIEW_DUE_CLINICIANS, send_at=session.end, audience=Audience.CLINICIANS)


def wake_dispatcher() -> None:
    """After commit: ask a worker to dispatch now, so a confirmation goes out at once rather
    than at the next beat. Failure is harmless (beat runs every minute and the rows are safe
    in the database), so a broker outage never fails a booking."""
    if not getattr(settings, "NOTIFICATION_DISPATCH_ON_COMMIT", True):
        return
    try:
        # One try on a connection of its own: kombu's default connection keeps retrying for the
        # broker's connect timeout and more (6 s), and a booking's response would wait that long
        # whenever Redis is down (the scale-out drill found it).
        with current_app.connection_for_write(transport_options=WAKE_TRANSPORT_OPTIONS) as connection:
            current_app.send_task(DISPATCH_TASK, retry=False, connection=connection)
    except Exception:  # noqa: BLE001 - broker down: beat will pick the rows up
        logger.warning("Could not wake the notification dispatcher; beat will send the messages.", exc_info=True)


def notifications_plan(*, sessions: Iterable[Session], reason: str = "booked") -> int:
    """Write the outbox rows for these sessions: the reminder, the optional morning reminder,
    the no-driving notice and, at review points, the symptom-review notices. "booked" adds one
    booking confirmation per course; "rescheduled" a "session moved" notice. Pending rows of
    these kinds for these sessions are cancelled first: planning again replaces, never
    duplicates. Returns rows written."""
    if reason not in ("booked", "rescheduled"):
        raise ValueError(f"Unknown planning reason {reason!r}: use 'booked' or 'rescheduled'.")
    sessions = [s for s in sessions if s.status != SessionStatus.CANCELLED]
    if not sessions:
        return 0
    clinic = ClinicSettings.load()
    now = timezone.now()
    Notification.objects.filter(
        session__in=sessions, status__in=UNSENT, kind__in=[*SESSION_SCHEDULE_KINDS, Kind.RESCHEDULED]
    ).update(status=Status.CANCELLED, last_error="Replaced by a newer message for this session.")
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
    transaction.on_commit(wake_dispatcher, robust=True)
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
    live_notices = Notification.objects.filter(session__isnull=True, course_id__in=course_ids, kind=Kind.CANCELLED)
    for named in live_notices.exclude(status=Status.CANCELLED).values_list("session_ids", flat=True):
        already.update(named or [])
    listed: dict[int, list[Session]] = defaultdict(list)
    for session in sorted(sessions, key=lambda s: (s.start, s.pk)):
        if session.pk not in already:
            listed[session.course_id].append(session)
    if not listed:
        return 0
    writer = _RowWriter([], course_patients={course_id: group[0].patient_id for course_id, group in listed.items()})
    for course_id, group in listed.items():
        # Worth sending while any session it names is still ahead.
        writer.add_course(
            course_id,
            group[0].patient_id,
            Kind.CANCELLED,
            send_at=now,
            expires_at=group[-1].start,
            session_ids=[s.pk for s in group],
        )
    written = writer.save()
    transaction.on_commit(wake_dispatcher, robust=True)
    return written


def notifications_review_sync(*, courses: Iterable) -> int:
    """Make the review-due notices of these courses follow ``Session.review_due`` (it is
    recomputed when a session is cancelled or moved), so a review point that moved gets its
    notices. Returns rows cancelled plus rows written."""
    course_ids = [getattr(c, "pk", c) for c in courses]
    if not course_ids:
        return 0
    now = timezone.now()
    reviews = Notification.objects.filter(session__course_id__in=course_ids, kind__in=REVIEW_KINDS)
    changed = (
        reviews.filter(status__in=UNSENT)
        .filter(Q(session__review_due=False) | Q(session__status=SessionStatus.CANCELLED))
        .update(status=Status.CANCELLED, last_error="The symptom review moved to another session.")
    )
    have = set(reviews.exclude(status__in=[Status.CANCELLED, Status.EXPIRED]).values_list("session_id", "audience"))
    due = list(Session.objects.filter(course_id__in=course_ids, review_due=True, end__gt=now, status__in=ATTENDED))
    writer = _RowWriter(due)
    for session in due:
        for audience in (Audience.PATIENT, Audience.CLINICIANS):
            if (session.pk, audience) not in have:
                writer.add(session, REVIEW_KIND_FOR[audience], send_at=session.end, audience=audience)
    return changed + writer.save()


def notifications_cancel(*, sessions: Iterable[Session]) -> int:
    """Cancel the unsent rows of these sessions (queued, or claimed by a dispatcher that has
    not sent them yet), so nothing stale is sent. For the sessions whose status is already
    ``cancelled``, also write the patient's "cancelled" notice and move the review notices.
    Course-level rows are left alone. Returns the number of rows cancelled."""
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


# --- The treatment day (scheduling.day) ---------------------------------------------------

RIDE_HOME_LEAD = dt.timedelta(minutes=20)


def _withdraw(session: Session, kinds, note: str) -> int:
    return Notification.objects.filter(session=session, kind__in=kinds, status__in=UNSENT).update(
        status=Status.CANCELLED, last_error=note
    )


def notifications_day_arrived(session: Session) -> int:
    """The patient is here: the notice planned for the booked end is withdrawn; it goes at
    discharge instead, naming the time from the recorded end."""
    return _withdraw(session, [Kind.NO_DRIVING], "The patient arrived: the notice goes at discharge.")


def notifications_discharged(session: Session) -> int:
    """Discharge: the no-driving notice goes now, and a ride-home text still waiting goes now too."""
    now = timezone.now()
    _withdraw(session, [Kind.NO_DRIVING], "Replaced by the notice sent at discharge.")
    Notification.objects.filter(session=session, kind=Kind.RIDE_HOME, status=Status.PENDING, send_at__gt=now).update(
        send_at=now
    )
    writer = _RowWriter([session])
    if session.no_driving_until > now:
        writer.add(session, Kind.NO_DRIVING, send_at=now, expires_at=session.no_driving_until)
    written = writer.save()
    transaction.on_commit(wake_dispatcher, robust=True)
    return written


def notifications_ride_home(session: Session) -> int:
    """The infusion ended: if the patient agreed, the person taking them home gets a text a
    little before the patient is expected to be ready (it names only the time)."""
    if not (session.ride_home_may_text and session.ride_home_phone):
        return 0
    now = timezone.now()
    ready = session.ready_at
    _withdraw(session, [Kind.RIDE_HOME], "Replaced by a newer message.")
    writer = _RowWriter([session])
    writer.add(
        session, Kind.RIDE_HOME, audience=Audience.RIDE_HOME, send_at=max(now, ready - RIDE_HOME_LEAD),
        expires_at=ready + dt.timedelta(hours=2),
    )
    written = writer.save()
    transaction.on_commit(wake_dispatcher, robust=True)
    return written


def no_driving_replan(*, hours: int) -> int:
    """The clinic changed its no-driving hours: every session whose infusion has not ended yet
    (not recorded, and not past its booked end without a record of starting) takes the new
    hours, and its unsent notice names the new time. Sessions already ended keep the time
    they were told. Two queries, whatever the number of sessions; returns sessions changed."""
    now = timezone.now()
    ahead = Session.objects.filter(status=SessionStatus.BOOKED, infusion_ended_at__isnull=True).filter(
        Q(end__gt=now) | Q(infusion_started_at__isnull=False)
    )
    changed = ahead.exclude(no_driving_until=F("end") + dt.timedelta(hours=hours))
    ids = list(changed.values_list("pk", flat=True))
    if not ids:
        return 0
    # The calendar entries name the time: a new SEQUENCE makes calendar apps take the change. The
    # filter is applied again, so an end recorded meanwhile keeps the time its discharge set.
    changed.filter(pk__in=ids).update(
        no_driving_until=F("end") + dt.timedelta(hours=hours), sequence=F("sequence") + 1, updated_at=now
    )
    Notification.objects.filter(session_id__in=ids, kind=Kind.NO_DRIVING, status__in=UNSENT).update(
        expires_at=Subquery(Session.objects.filter(pk=OuterRef("session_id")).values("no_driving_until")[:1])
    )
    return len(ids)
