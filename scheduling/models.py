"""Opening hours, closed days, chairs, courses, sessions, and the notification outbox."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from datetime import time

from django.conf import settings
from django.contrib.postgres.fields import DateTimeRangeField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import OwnedByPatientQuerySet


class TsTzRange(Func):
    """PostgreSQL's tstzrange(start, end): the time a session holds its chair."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class OpeningHours(models.Model):
    """Opening hours for one weekday (0 = Monday). A weekday with no row is closed."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    clinic = models.ForeignKey("portal.ClinicSettings", on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField(default=time(8, 0))
    closes = models.TimeField(default=time(18, 0))

    class Meta:
        ordering = ["weekday"]
        verbose_name_plural = _("opening hours")
        constraints = [
            models.UniqueConstraint(fields=["clinic", "weekday"], name="one_opening_row_per_weekday"),
            models.CheckConstraint(condition=Q(opens__lt=models.F("closes")), name="opens_before_closes"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class ClosedDay(models.Model):
    """A holiday or other day the clinic is closed."""

    clinic = models.ForeignKey("portal.ClinicSettings", on_delete=models.CASCADE, related_name="closed_days")
    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["clinic", "date"], name="one_closed_row_per_date")]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.reason}".strip()


class ChairQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Chair(models.Model):
    name = models.CharField(max_length=50, unique=True)
    active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    objects = ChairQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class CourseQuerySet(OwnedByPatientQuerySet):
    def with_calendar_token(self, token: str):
        """The course whose private subscription address carries `token` (only its hash is stored)."""
        if not token or len(token) > 100:
            return self.none()
        return self.filter(calendar_token=Course.calendar_token_hash(token))


class Course(models.Model):
    """A course of treatment: 2 or 3 sessions a week for 1 to 6 weeks."""

    patient = models.ForeignKey("portal.Patient", on_delete=models.PROTECT, related_name="courses")
    first_day = models.DateField()
    sessions_per_week = models.PositiveSmallIntegerField(validators=[MinValueValidator(2), MaxValueValidator(3)])
    weeks = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(6)])
    start_time = models.TimeField(help_text=_("Clinic wall-clock time of the infusion's start."))
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    calendar_token = models.CharField(max_length=64, blank=True, default="", db_index=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["-first_day", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(sessions_per_week__in=[2, 3]), name="course_two_or_three_a_week"),
            models.CheckConstraint(condition=Q(weeks__gte=1, weeks__lte=6), name="course_one_to_six_weeks"),
        ]

    def __str__(self):
        return f"{self.patient}: {self.sessions_per_week}/week x {self.weeks} from {self.first_day}"

    @staticmethod
    def calendar_token_hash(token: str) -> str:
        """What is stored of a private calendar address: a database leak does not leak live addresses."""
        return hashlib.sha256(token.encode()).hexdigest()


def no_driving_after(end: dt.datetime, *, hours: int) -> dt.datetime:
    """The end of the no-driving window after an infusion ending at `end`. Added in UTC:
    Python adds a timedelta to the wall clock within a zone, which would make a 12-hour
    window 11 or 13 hours long across a daylight-saving change."""
    return end.astimezone(dt.UTC) + dt.timedelta(hours=hours)
class CalendarSubscriptionQuerySet(models.QuerySet):
    def with_token(self, token: str):
        """The subscription whose private address carries `token` (only its hash is stored)."""
        if not token or len(token) > 100:
            return self.none()
        return self.filter(token_hash=Course.calendar_token_hash(token))


class CalendarSubscription(models.Model):
    """A patient's one private calendar address: every course, past and future, so a new
    course appears in the calendar app without a new subscription. It replaces the per-course
    addresses (Course.calendar_token), which keep working until the patient stops them."""

    patient = models.OneToOneField("portal.Patient", on_delete=models.CASCADE, related_name="calendar_subscription")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CalendarSubscriptionQuerySet.as_manager()

    def __str__(self):
        return f"Calendar subscription of {self.patient}"


class SessionStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")
    LEFT_EARLY = "left_early", _("Left before discharge")
    CANCELLED = "cancelled", _("Cancelled")


class DayStage(models.TextChoices):
    """Where a session is on its day. Not stored: read from `status` (how the session ended
    up: booked, completed, no-show, left before discharge, cancelled) and the recorded times
    (how far the day went), so the two can never disagree (Session.day_stage)."""

    BOOKED = "booked", _("Booked")
    ARRIVED = "arrived", _("Arrived")
    INFUSING = "infusing", _("Infusing")
    RECOVERING = "recovering", _("Recovering")
    READY = "ready", _("Ready to go")
    DISCHARGED = "discharged", _("Discharged")
    COMPLETED = "completed", _("Completed (times not recorded)")
    NO_SHOW = "no_show", _("No-show")
    LEFT_EARLY = "left_early", _("Left before discharge")
    CANCELLED = "cancelled", _("Cancelled")


class SessionQuerySet(OwnedByPatientQuerySet):
    def not_cancelled(self):
        return self.exclude(status=SessionStatus.CANCELLED)

    def changeable(self):
        """Sessions the front desk can still move or cancel (see Session.is_changeable)."""
        return self.filter(status=SessionStatus.BOOKED, arrived_at__isnull=True)

    def upcoming(self, now=None):
        return self.not_cancelled().filter(start__gte=now or timezone.now())

    def past(self, now=None):
        return self.filter(start__lt=now or timezone.now())

    def on_day(self, day, tz):
        """Sessions starting on `day` in the clinic's time zone `tz`."""
        start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
        return self.filter(start__gte=start, start__lt=dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz))

    def holding_chair_between(self, start, end):
        """Sessions (not cancelled) whose chair time overlaps [start, end)."""
        return self.not_cancelled().filter(start__lt=end, occupied_until__gt=start)


class Session(models.Model):
    """One infusion. `start`/`end` are the infusion itself; the chair is held
    until `occupied_until` (end of recovery)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sessions")
    # Copied from the course so the database can forbid one patient in two places at once.
    patient = models.ForeignKey("portal.Patient", on_delete=models.PROTECT, related_name="sessions")
    chair = models.ForeignKey(Chair, on_delete=models.PROTECT, related_name="sessions")
    start = models.DateTimeField()
    end = models.DateTimeField()
    occupied_until = models.DateTimeField()
    status = models.CharField(max_length=20, choices=SessionStatus.choices, default=SessionStatus.BOOKED)
    status_reason = models.CharField(max_length=300, blank=True, default="")
    review_due = models.BooleanField(default=False)
    # iCalendar SEQUENCE: rises with every change the patient should see.
    sequence = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    # The day as it happened (scheduling.day): None until recorded, each with who recorded it.
    arrived_at = models.DateTimeField(null=True, blank=True)
    arrived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    infusion_started_at = models.DateTimeField(null=True, blank=True)
    infusion_started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    infusion_ended_at = models.DateTimeField(null=True, blank=True)
    infusion_ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The checks at arrival, as answered: True yes, False no (flags the session for the
    # clinician: it does not block), None not asked.
    bladder_emptied = models.BooleanField(null=True, blank=True)
    no_alcohol_or_drugs = models.BooleanField(
        _("no alcohol or recreational drugs in the last 12 hours"), null=True, blank=True
    )
    ride_home_name = models.CharField(max_length=100, blank=True, default="")
    ride_home_phone = models.CharField(max_length=30, blank=True, default="")
    # The patient agreed that the person taking them home gets a text when they are nearly ready.
    ride_home_may_text = models.BooleanField(default=False)
    # The one no-driving time every page, message and calendar shows: the infusion's end (the
    # recorded end, else the booked end) plus the clinic's no-driving hours. Written at booking,
    # again when the infusion ends, and when the clinic changes its hours before the end.
    no_driving_until = models.DateTimeField()

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["start", "pk"]
        indexes = [
            models.Index(fields=["chair", "start"]),
            models.Index(fields=["patient", "start"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="session_starts_before_it_ends"),
            models.CheckConstraint(
                condition=Q(end__lte=models.F("occupied_until")), name="session_recovery_after_infusion"
            ),
            # The day's steps in order; a step is recorded only after the one before it.
            models.CheckConstraint(
                condition=Q(infusion_started_at__isnull=True)
                | Q(arrived_at__isnull=False, arrived_at__lte=models.F("infusion_started_at")),
                name="session_infusion_starts_after_arrival",
            ),
            models.CheckConstraint(
                condition=Q(infusion_ended_at__isnull=True)
                | Q(infusion_started_at__isnull=False, infusion_started_at__lt=models.F("infusion_ended_at")),
                name="session_infusion_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=Q(discharged_at__isnull=True)
                | Q(infusion_ended_at__isnull=False, infusion_ended_at__lte=models.F("discharged_at")),
                name="session_discharge_after_infusion_end",
            ),
            models.CheckConstraint(
                condition=Q(discharged_at__isnull=True) | Q(status="completed"),
                name="session_discharged_is_completed",
            ),
            models.CheckConstraint(
                condition=~Q(status="no_show") | Q(arrived_at__isnull=True), name="session_no_show_never_arrived"
            ),
            models.CheckConstraint(
                condition=~Q(status="left_early") | Q(arrived_at__isnull=False, discharged_at__isnull=True),
                name="session_left_early_arrived_not_discharged",
            ),
        ]

    def __str__(self):
        return f"{self.patient} {timezone.localtime(self.start):%Y-%m-%d %H:%M} {self.chair}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    @property
    def is_changeable(self) -> bool:
        """Whether the session can still be moved or cancelled: only while it is booked. Once it
        is marked completed or no-show, or cancelled, it stays as it is (a wrong mark is changed
        by marking it again). Once the patient has arrived, the chair board records the rest."""
        return self.status == SessionStatus.BOOKED and self.arrived_at is None

    @property
    def ready_at(self) -> dt.datetime | None:
        """When a patient whose infusion has ended is expected to be ready to go: the recorded
        end plus the booked recovery time."""
        if self.infusion_ended_at is None:
            return None
        return self.infusion_ended_at + (self.occupied_until - self.end)

    def day_stage_at(self, now: dt.datetime) -> str:
        if self.status in (SessionStatus.CANCELLED, SessionStatus.NO_SHOW, SessionStatus.LEFT_EARLY):
            return DayStage(self.status)
        if self.discharged_at:
            return DayStage.DISCHARGED
        if self.infusion_ended_at:
            return DayStage.READY if now >= self.ready_at else DayStage.RECOVERING
        if self.infusion_started_at:
            return DayStage.INFUSING
        if self.arrived_at:
            return DayStage.ARRIVED
        return DayStage.COMPLETED if self.status == SessionStatus.COMPLETED else DayStage.BOOKED

    @property
    def day_stage(self) -> str:
        return self.day_stage_at(timezone.now())

    def get_day_stage_display(self) -> str:
        return DayStage(self.day_stage).label

    @property
    def pre_check_flags(self) -> list[str]:
        """What the clinician should look at before the infusion: each "no" at arrival."""
        if self.arrived_at is None:
            return []
        flags = []
        if self.bladder_emptied is False:
            flags.append(str(_("Bladder not emptied yet")))
        if self.no_alcohol_or_drugs is False:
            flags.append(str(_("Alcohol or recreational drugs in the last 12 hours")))
        if not (self.ride_home_name and self.ride_home_phone):
            flags.append(str(_("No ride home recorded")))
        return flags


class NotificationQuerySet(models.QuerySet):
    def due(self, now):
        return self.filter(status=Notification.Status.PENDING, send_at__lte=now)

    def for_user(self, user):
        if getattr(user, "is_clinic_staff", False):
            return self
        if getattr(user, "is_authenticated", False):
            # Session-level rows reach the patient through their session, course-level rows
            # (booking confirmation, cancellation notice) through their course.
            return self.filter(Q(session__patient__user=user) | Q(course__patient__user=user))
        return self.none()

    def for_patient(self, patient):
        return self.filter(Q(session__patient=patient) | Q(course__patient=patient))


class Notification(models.Model):
    """The outbox: one row per message to send, written in the same transaction
    as the booking, change or cancellation that causes it. The dispatcher sends
    due rows; nothing waits in Celery.

    A row belongs either to a session (reminders, no-driving and review notices, the
    "session moved" notice: ``session`` set, ``course`` empty) or to a course (the booking
    confirmation and the "cancelled" notice, which are about the course and must go out
    even when a session is cancelled: ``session`` empty, ``course`` set). A row whose
    session is cancelled is never sent. For course-level rows ``session_sequence`` numbers
    the course's messages of that kind, and ``session_ids`` lists the sessions the message
    is about (the sessions a cancellation notice names)."""

    class Kind(models.TextChoices):
        BOOKING_CONFIRMATION = "booking_confirmation", _("Booking confirmation")
        REMINDER = "reminder", _("Reminder")
        MORNING_REMINDER = "morning_reminder", _("Morning reminder")
        NO_DRIVING = "no_driving", _("No-driving notice")
        REVIEW_DUE = "review_due", _("Symptom review due")
        # The clinicians' copy of a review point is its own kind, so each review point
        # has exactly one "review_due" row (the patient's), as the contract counts them.
        REVIEW_DUE_CLINICIANS = "review_due_clinicians", _("Symptom review due (clinicians)")
        RESCHEDULED = "rescheduled", _("Session moved")
        CANCELLED = "cancelled", _("Session cancelled")
        # To the person taking the patient home, with the patient's consent: nothing medical.
        RIDE_HOME = "ride_home", _("Ready to be collected")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("Text message")

    class Audience(models.TextChoices):
        PATIENT = "patient", _("Patient")
        CLINICIANS = "clinicians", _("Clinicians")
        RIDE_HOME = "ride_home", _("Person taking the patient home")

    class Status(models.TextChoices):
        PENDING = "pending", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")
        UNDELIVERABLE = "undeliverable", _("Undeliverable")

    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    course = models.ForeignKey(Course, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    audience = models.CharField(max_length=12, choices=Audience.choices, default=Audience.PATIENT)
    send_at = models.DateTimeField(db_index=True)
    # A no-driving notice is still worth sending late; a reminder after the session started is not.
    expires_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Which version of the session (Session.sequence) this message describes; on a
    # course-level row, the number of the course's message of this kind.
    session_sequence = models.PositiveIntegerField(default=0)
    # Course-level rows: the sessions the message is about (a cancellation notice's sessions).
    session_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["send_at", "pk"]
        indexes = [models.Index(fields=["status", "send_at"])]
        constraints = [
            # Idempotency: one live message per session, kind, channel, audience and
            # session version; replacing a message cancels the old row first.
            models.UniqueConstraint(
                fields=["session", "kind", "channel", "audience", "session_sequence"],
                name="notification_once_per_session_kind_channel",
            ),
            # The same for course-level rows, numbered per course and kind (several
            # cancellations in one course each get their own notice).
            models.UniqueConstraint(
                fields=["course", "kind", "channel", "audience", "session_sequence"],
                condition=Q(session__isnull=True),
                name="notification_once_per_course_kind_channel",
            ),
            models.CheckConstraint(
                condition=Q(session__isnull=False) | Q(course__isnull=False),
                name="notification_has_session_or_course",
            ),
        ]

    def __str__(self):
        about = f"session {self.session_id}" if self.session_id else f"course {self.course_id}"
        return f"{self.get_kind_display()} ({self.channel}) for {about} at {timezone.localtime(self.send_at):%Y-%m-%d %H:%M}"

    @property
    def is_course_level(self) -> bool:
        return self.session_id is None

    @property
    def about_course(self):
        """The course the message is about (a session-level row: its session's course)."""
        return self.course if self.session_id is None else self.session.course

    @property
    def patient(self):
        """The patient the message is about (select_related session__patient / course__patient)."""
        return self.course.patient if self.session_id is None else self.session.patient

    @property
    def patient_id(self):
        return self.course.patient_id if self.session_id is None else self.session.patient_id

