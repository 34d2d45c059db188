"""Dispatching the outbox: claim due rows, deliver each one, mark it.

``notifications_dispatch`` claims due rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` in a
short transaction (status ``sending``, ``claimed_at``), sends outside any transaction over one
email connection for the run, and marks each row in its own write right after its own send,
so a worker killed mid-batch leaves at most the message in flight unaccounted for. Rows left
``sending`` longer than ``NOTIFICATION_RECLAIM_SECONDS`` (a killed worker) are claimed again.

Exactly once, with one limit SMTP cannot remove: if the worker dies after the mail server
accepted a message and before the row is marked, the message goes out again after the
reclaim delay. Never lost; duplicated at most then.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from contextlib import closing
from functools import cached_property
from time import monotonic

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import BadHeaderError, get_connection
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from portal.models import ClinicSettings, Role, User
from scheduling.models import Notification, Session, SessionStatus
from scheduling.notifications import render, sms
from scheduling.notifications.plan import ATTENDED, NO_CONTACT, REVIEW_KINDS, notifications_review_sync
from scheduling.notifications.render import CourseSessions

logger = logging.getLogger(__name__)

Kind, Status = Notification.Kind, Notification.Status
# Messages about the day itself, withdrawn when the patient leaves before discharge.
DAY_KINDS = (Kind.NO_DRIVING, Kind.RIDE_HOME, *REVIEW_KINDS)
Channel, Audience = Notification.Channel, Notification.Audience
# A cancellation may withdraw rows a dispatcher holds: it re-reads its claim every this many rows.
CLAIM_CHECK_EVERY = 20


class _Outbound:
    """The run's ways out: one email connection (opened at the first email, dropped after a
    transient error), the text-message backend, and the clinicians' addresses."""

    def __init__(self):
        self._email = None

    def send_email(self, message) -> None:
        if self._email is None:
            self._email = get_connection(fail_silently=False)
            self._email.open()
        self._email.send_messages([message])

    @cached_property
    def sms(self) -> sms.BaseSmsBackend:
        return sms.sms_backend()

    @cached_property
    def clinicians(self) -> list[str]:
        clinicians = User.objects.filter(groups__name=Role.CLINICIAN, is_active=True).exclude(email="")
        return list(clinicians.order_by("email").values_list("email", flat=True).distinct())

    def close(self) -> None:
        if self._email is not None:
            try:
                self._email.close()
            except Exception:  # noqa: BLE001 - a broken connection is dropped either way
                pass
            self._email = None


def _reclaim_stuck() -> int:
    """Rows a killed worker left in `sending` go back to the queue."""
    cutoff = timezone.now() - dt.timedelta(seconds=settings.NOTIFICATION_RECLAIM_SECONDS)
    stuck = Notification.objects.filter(status=Status.SENDING, claimed_at__lt=cutoff)
    return stuck.update(status=Status.PENDING, claimed_at=None)


def _review_heal(now: dt.datetime) -> None:
    """A review point that moved gets its notices even if the caller did not sync them:
    one query per run finds upcoming review sessions with no live notice."""
    live = Notification.objects.filter(session=OuterRef("pk"), kind=Kind.REVIEW_DUE).exclude(
        status__in=[Status.CANCELLED, Status.EXPIRED]
    )
    missing = Session.objects.filter(review_due=True, end__gt=now, status__in=ATTENDED).filter(~Exists(live))
    courses = set(missing.values_list("course_id", flat=True)[:500])
    if courses:
        try:
            with transaction.atomic():
                notifications_review_sync(courses=courses)
        except IntegrityError:
            pass  # another dispatcher wrote them at the same moment


def _claim(now: dt.datetime, limit: int) -> list[int]:
    """The short transaction: lock due rows other dispatchers have not locked, mark them ours."""
    with transaction.atomic():
        due = Notification.objects.due(now).order_by("send_at", "pk").select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        if ids:
            Notification.objects.filter(pk__in=ids).update(status=Status.SENDING, claimed_at=timezone.now())
    return ids


def _load_claimed(ids: list[int]) -> list[Notification]:
    # By primary key alone, the status checked here: a status condition could lead the
    # planner to the (status, send_at) index and through this run's earlier `sending` rows.
    rows = Notification.objects.filter(pk__in=ids).select_related(
        "session__patient", "session__course", "session__chair", "course__patient"
    )
    # A booking confirmation goes before a reminder due in the same run (a session booked inside
    # the reminder's lead time): "your sessions are booked" first, then "see you tomorrow".
    rows = [row for row in rows.order_by("send_at", "pk") if row.status == Status.SENDING]
    return sorted(rows, key=lambda row: row.kind != Kind.BOOKING_CONFIRMATION)


def _withdrawn(rows: list[Notification]) -> set[int]:
    """Those of `rows` that are no longer ours (a cancellation took them back)."""
    statuses = Notification.objects.filter(pk__in=[row.pk for row in rows]).values_list("pk", "status")
    return {row.pk for row in rows} - {pk for pk, status in statuses if status == Status.SENDING}


def _default_expiry(row: Notification, courses: CourseSessions, clinic: ClinicSettings) -> dt.datetime | None:
    """For rows written without expires_at: the rule planning would have applied."""
    if row.session_id is None:
        named = [courses.by_pk[pk].start for pk in row.session_ids or [] if pk in courses.by_pk]
        return max(named) if row.kind == Kind.CANCELLED and named else None
    if row.kind in (Kind.REMINDER, Kind.MORNING_REMINDER, Kind.RESCHEDULED, Kind.CANCELLED):
        return row.session.start
    if row.kind == Kind.NO_DRIVING:
        return row.session.no_driving_until
    return None


def _withheld(row: Notification, courses: CourseSessions, now: dt.datetime, clinic) -> tuple[str, str] | None:
    """Why this row must not go out now, as its (status, note); None when it may."""
    session = row.session
    # Whatever its kind: a message on a cancelled session is never sent.
    if session is not None and session.is_cancelled:
        return Status.CANCELLED, "The session was cancelled."
    expires_at = row.expires_at or _default_expiry(row, courses, clinic)
    if expires_at and now >= expires_at:
        return Status.EXPIRED, "Not sent in time: the session had started or the window had passed."
    if session is not None and row.kind in REVIEW_KINDS and not session.review_due:
        return Status.CANCELLED, "The symptom review moved to another session."
    if session is not None and session.status == SessionStatus.NO_SHOW and row.kind in (Kind.NO_DRIVING, *REVIEW_KINDS):
        return Status.CANCELLED, "The patient did not come to the session."
    if session is not None and session.status == SessionStatus.LEFT_EARLY and row.kind in DAY_KINDS:
        return Status.CANCELLED, "The patient left before discharge."
    if row.kind == Kind.NO_DRIVING and session.arrived_at and not session.discharged_at:
        # Never while an infusion recorded as started has no recorded end: it goes at discharge.
        return Status.CANCELLED, "The patient is still at the clinic: the notice goes at discharge."
    if row.kind == Kind.RIDE_HOME and not (session.ride_home_may_text and session.ride_home_phone):
        return Status.CANCELLED, "The patient did not agree to a message to the person taking them home."
    if row.kind == Kind.BOOKING_CONFIRMATION and not courses.live(render.course_id_of(row)):
        return Status.CANCELLED, "Every session of the course was cancelled."
    if render.anchor(row, courses, now) is None:
        return Status.CANCELLED, "The sessions this message was about no longer exist."
    return None


def _deliver(row: Notification, courses: CourseSessions, out: _Outbound, now: dt.datetime, clinic) -> tuple[str, str]:
    """Send one claimed row; returns its new (status, note). Raises when sending failed."""
    withheld = _withheld(row, courses, now, clinic)
    if withheld:
        return withheld
    patient = row.patient
    if row.audience == Audience.RIDE_HOME:
        context = render.message_context(row, courses, now=now, clinic=clinic)
        sms.sms_send(to=row.session.ride_home_phone, body=render.notification_text(row, context), backend=out.sms)
        return Status.SENT, ""
    if row.audience == Audience.CLINICIANS:
        to = out.clinicians
        if not to:
            return Status.UNDELIVERABLE, "No active clinician has an email address."
    elif row.channel == Channel.EMAIL and patient.email:
        to = [patient.email]
    elif row.channel == Channel.SMS and patient.phone:
        context = render.message_context(row, courses, now=now, clinic=clinic)
        sms.sms_send(to=patient.phone, body=render.notification_text(row, context), backend=out.sms)
        return Status.SENT, ""
    elif not (patient.email or patient.phone):
        return Status.UNDELIVERABLE, NO_CONTACT
    else:
        return Status.UNDELIVERABLE, "The patient's contact details changed; a member of staff can send it again."
    context = render.message_context(row, courses, now=now, clinic=clinic)
    calendar = courses.calendar(row.about_course) if row.kind in render.COURSE_KINDS else None
    out.send_email(render.notification_email(row, context, to=to, calendar=calendar))
    return Status.SENT, ""


def _is_transient(exc: BaseException) -> bool:
    # smtplib errors (4xx and 5xx alike: a refusal can be a full mailbox or a policy
    # hiccup; after NOTIFICATION_MAX_ATTEMPTS the row is failed and staff see it),
    # network errors (ConnectionError and timeouts are OSErrors) and SMS provider trouble.
    return isinstance(exc, smtplib.SMTPException | OSError | sms.SmsTransientError)


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(settings.NOTIFICATION_RETRY_SECONDS * 2 ** max(attempts - 1, 0), 3600))


def failure_note(exc: BaseException) -> str:
    """What the log and the staff's message log say of a failure. A header error quotes the
    header, and a subject can name the patient: its text is withheld."""
    if isinstance(exc, BadHeaderError):
        return "BadHeaderError: a subject or address contained a line break (its text is not recorded)."
    return f"{type(exc).__name__}: {exc}"[:500]


def _record_failure(row: Notification, exc: BaseException, now: dt.datetime) -> None:
    """Try again later with backoff, or give up: `failed`, for staff to resend."""
    attempts = row.attempts + 1
    note = failure_note(exc)
    ours = Notification.objects.filter(pk=row.pk, status=Status.SENDING)
    if _is_transient(exc) and attempts < settings.NOTIFICATION_MAX_ATTEMPTS:
        logger.warning("Notification %s not sent, attempt %s; will retry: %s", row.pk, attempts, note)
        ours.update(
            status=Status.PENDING, attempts=attempts, last_error=note, claimed_at=None, send_at=now + _backoff(attempts)
        )
    else:
        logger.error("Notification %s failed after %s attempts: %s", row.pk, attempts, note)
        ours.update(status=Status.FAILED, attempts=attempts, last_error=note, claimed_at=None)


def _mark(row: Notification, status: str, note: str, now: dt.datetime) -> None:
    """The outcome of one send, in its own write right after it."""
    done = {"status": status, "claimed_at": None, "last_error": note[:500]}
    if status == Status.SENT:
        done["sent_at"] = now
    Notification.objects.filter(pk=row.pk, status=Status.SENDING).update(**done)


def _attempt(row, courses, out: _Outbound, now, clinic) -> tuple[str, str] | None:
    """Deliver one row; None when sending failed (and the failure is recorded)."""
    try:
        return _deliver(row, courses, out, now, clinic)
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:  # noqa: BLE001 - one bad row never stops the batch
        if _is_transient(exc):
            out.close()  # the SMTP connection may be broken: the next email opens a new one
        elif isinstance(exc, BadHeaderError):
            logger.error("Notification %s failed: %s", row.pk, failure_note(exc))
        else:
            logger.exception("Notification %s failed", row.pk)
        _record_failure(row, exc, now)
        return None


def _send_batch(ids: list[int], now: dt.datetime, out: _Outbound, deadline: float) -> tuple[int, bool]:
    """Send one claimed batch in order; returns (how many were sent, whether the run stops).
    What was claimed but not tried (time budget spent, a failed mark, an interruption such
    as the task's time limit) goes back to pending."""
    unsent = set(ids)
    sent = 0
    clinic = ClinicSettings.load()
    try:
        rows = _load_claimed(ids)
        courses = CourseSessions(rows)
        for index, row in enumerate(rows):
            if index and index % CLAIM_CHECK_EVERY == 0:
                unsent -= _withdrawn(rows[index : index + CLAIM_CHECK_EVERY])
            if row.pk not in unsent:
                continue
            if monotonic() > deadline:
                # Slow sends (an SMTP server timing out) must not stretch a run towards the
                # reclaim delay, when another worker would take these rows and send them too.
                return sent, True
            outcome = _attempt(row, courses, out, now, clinic)
            # Out of `unsent` before the mark: a message that went out is never given back
            # for the next beat to send again, even if marking it fails.
            unsent.discard(row.pk)
            if outcome is None:
                continue
            try:
                _mark(row, *outcome, now)
            except DatabaseError:
                # It stays `sending` for the reclaimer, and nothing more goes out on a
                # connection that cannot record what it sent.
                logger.exception("Notification %s was %s but could not be marked", row.pk, outcome[0])
                return sent, True
            sent += outcome[0] == Status.SENT
    finally:
        if unsent:
            Notification.objects.filter(pk__in=unsent, status=Status.SENDING).update(
                status=Status.PENDING, claimed_at=None
            )
    return sent, False


def notifications_dispatch(*, now: dt.datetime | None = None, batch_size: int | None = None) -> int:
    """Send what is due at `now` (default: the real clock); record `now` as sent_at; return
    how many were sent. Safe to run in several workers at once."""
    now = now or timezone.now()
    batch_size = batch_size or settings.NOTIFICATION_BATCH_SIZE
    # Inside the task's soft time limit, and far from the reclaim delay.
    deadline = monotonic() + getattr(settings, "NOTIFICATION_TIME_BUDGET_SECONDS", 40)
    _reclaim_stuck()
    _review_heal(now)
    sent = 0
    with closing(_Outbound()) as out:
        while ids := _claim(now, batch_size):
            batch_sent, stop = _send_batch(ids, now, out, deadline)
            sent += batch_sent
            if stop or len(ids) < batch_size or monotonic() > deadline:
                break
    return sent
