"""What the planner reads: when the clinic is open and which chairs are taken.

`Clinic` holds the clinic's settings, opening hours, closed days and chairs for a
date range (four queries); `Occupancy` holds the chair bookings that could
collide with a course (one query, an OR of the course's time windows). Every
wall-clock rule is computed in the clinic's time zone (ClinicSettings.tz): a
session is a date plus a clinic wall-clock time, turned into an aware datetime
with zoneinfo, so 10:00 stays 10:00 across a daylight-saving change.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import Q
from django.utils.formats import date_format

from portal.clock import local_date
from portal.models import ClinicSettings, Patient
from scheduling.models import Chair, ClosedDay, OpeningHours, Session, TsTzRange

# How far apart alternative start times are offered on the booking page.
ALTERNATIVE_STEP_MINUTES = 30


def day_label(day: dt.date) -> str:
    """'Wednesday, December 9, 2026 (2026-12-09)': the date as the front desk says it, and
    the ISO date for certainty (it is what they type in the date fields)."""
    return f"{date_format(day, 'l, F j, Y')} ({day.isoformat()})"


def count_label(n: int, word: str) -> str:
    """'1 clear day', '2 weeks': never 'week(s)'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def time_label(value: dt.time) -> str:
    return value.strftime("%H:%M")


@dataclass
class Clinic:
    """The clinic's settings, opening hours, closed days and chairs for one date range."""

    settings: ClinicSettings
    hours: dict[int, tuple[dt.time, dt.time]]
    closed: dict[dt.date, str]
    chairs: list[Chair]

    @property
    def tz(self):
        return self.settings.tz

    @property
    def gap_days(self) -> int:
        """Two sessions of one patient must be at least this many days apart (1 + clear days)."""
        return self.settings.min_clear_days + 1

    @property
    def active_chairs(self) -> list[Chair]:
        return [chair for chair in self.chairs if chair.active]

    def chair(self, pk) -> Chair | None:
        for chair in self.chairs:
            if str(chair.pk) == str(pk):
                return chair
        return None

    def window(self, day: dt.date, start_time: dt.time) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
        """(infusion start, infusion end, end of recovery) as aware datetimes."""
        start = dt.datetime.combine(day, start_time, tzinfo=self.tz)
        # Arithmetic on the absolute instant: a session is 180 real minutes even on a DST night.
        start_utc = start.astimezone(dt.UTC)
        end = (start_utc + dt.timedelta(minutes=self.settings.infusion_minutes)).astimezone(self.tz)
        until = (start_utc + dt.timedelta(minutes=self.settings.chair_minutes)).astimezone(self.tz)
        return start, end, until

    def local_date(self, moment: dt.datetime) -> dt.date:
        return local_date(moment, self.tz)

    def day_problem(self, day: dt.date) -> str | None:
        if day in self.closed:
            reason = self.closed[day]
            return (
                f"the clinic is closed on {day_label(day)}" + (f" ({reason})" if reason else "")
            )
        if day.weekday() not in self.hours:
            return f"the clinic does not open on {date_format(day, 'l')}s"
        return None

    def hours_problem(self, day: dt.date, start_time: dt.time) -> str | None:
        opens, closes = self.hours[day.weekday()]
        start, _end, until = self.window(day, start_time)
        if start_time < opens:
            return f"a {time_label(start_time)} start is before the clinic opens ({time_label(opens)})"
        closing = dt.datetime.combine(day, closes, tzinfo=self.tz)
        if until > closing:
            return (
                f"a {time_label(start_time)} start ends recovery at {time_label(until.astimezone(self.tz).time())}, "
                f"after the clinic closes ({time_label(closes)})"
            )
        return None

    def start_times(self, day: dt.date) -> list[dt.time]:
        """Every start time on `day` (on the alternative grid) whose recovery ends by closing."""
        if day.weekday() not in self.hours:
            return []
        opens, closes = self.hours[day.weekday()]
        moment = dt.datetime.combine(day, opens)
        last = dt.datetime.combine(day, closes) - dt.timedelta(minutes=self.settings.chair_minutes)
        found = []
        while moment <= last:
            found.append(moment.time())
            moment += dt.timedelta(minutes=ALTERNATIVE_STEP_MINUTES)
        return found


def clinic_load(*, first_day: dt.date, last_day: dt.date) -> Clinic:
    settings = ClinicSettings.load()
    hours = {
        row.weekday: (row.opens, row.closes) for row in OpeningHours.objects.filter(clinic=settings)
    }
    closed = {
        row.date: row.reason
        for row in ClosedDay.objects.filter(clinic=settings, date__gte=first_day, date__lte=last_day)
    }
    return Clinic(settings=settings, hours=hours, closed=closed, chairs=list(Chair.objects.all()))


@dataclass
class Busy:
    pk: int
    course_id: int
    chair_id: int
    patient_id: int
    start: dt.datetime
    until: dt.datetime


BUSY_FIELDS = ("pk", "course_id", "chair_id", "patient_id", "start", "occupied_until")


class Occupancy:
    """Chair bookings (not cancelled) that may collide with a course, plus the
    sessions this plan has already placed."""

    def __init__(self, rows: list[Busy] | None = None):
        self.by_chair: dict[int, list[Busy]] = defaultdict(list)
        for row in rows or []:
            self.add(row)

    def add(self, row: Busy) -> None:
        self.by_chair[row.chair_id].append(row)

    def chair_free(self, chair_id: int, start: dt.datetime, until: dt.datetime, *, ignore_pk=None) -> bool:
        return self.clash(chair_id, start, until, ignore_pk=ignore_pk) is None

    def clash(self, chair_id: int, start: dt.datetime, until: dt.datetime, *, ignore_pk=None) -> Busy | None:
        """The earliest booking holding the chair within start..until, if any: a refusal names when
        the chair is taken (by the other booking), not the window that was asked for."""
        rows = [row for row in self.by_chair.get(chair_id, []) if row.start < until and row.until > start
                and row.pk != ignore_pk]
        return min(rows, key=lambda row: row.start, default=None)

    def free_chair(self, chairs: list[Chair], start, until, *, ignore_pk=None) -> Chair | None:
        """The first free active chair in the clinic's order: deterministic, lowest `order` first."""
        for chair in chairs:
            if chair.active and self.chair_free(chair.pk, start, until, ignore_pk=ignore_pk):
                return chair
        return None


def occupancy_fetch(*, windows: list[tuple[dt.datetime, dt.datetime]]) -> Occupancy:
    """Every live chair booking overlapping any of `windows`, in one query."""
    if not windows:
        return Occupancy()
    query = Session.objects.not_cancelled()
    if connection.vendor == "postgresql":
        # Range overlaps (&&) on tstzrange(start, occupied_until), the very expression of the exclusion
        # constraints, so PostgreSQL answers from their GiST index instead of scanning the whole book.
        from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

        condition = reduce(or_, (Q(held__overlap=DateTimeTZRange(start, until, "[)")) for start, until in windows))
        query = query.annotate(held=TsTzRange("start", "occupied_until")).filter(condition)
    else:  # the embedded SQLite default: same rule, plain comparisons
        query = query.filter(reduce(or_, (Q(start__lt=until, occupied_until__gt=start) for start, until in windows)))
    rows = query.order_by().values_list(*BUSY_FIELDS)
    return Occupancy([Busy(*row) for row in rows])


def patient_sessions_fetch(*, patient: Patient, exclude_pk=None) -> list[Busy]:
    """All of the patient's live sessions: a patient has tens, never thousands."""
    query = Session.objects.not_cancelled().filter(patient=patient)
    if exclude_pk is not None:
        query = query.exclude(pk=exclude_pk)
    return [Busy(*row) for row in query.values_list(*BUSY_FIELDS)]
