"""The planner: where every session of a course (or one moved session) can go,
and what stands in the way. Reads only; `scheduling.services` writes.

The facts it reads come from `scheduling.availability`: the clinic (settings,
opening hours, closed days, chairs) is four queries, the patient's own sessions
one, and every chair booking that could collide with the course one more (an OR
of the course's time windows). So the query count never depends on the course
length or on how many sessions are already booked.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import date_format

from portal.clock import local_date
from portal.models import Patient
from scheduling.availability import (
    Busy,
    Clinic,
    Occupancy,
    clinic_load,
    count_label,
    day_label,
    occupancy_fetch,
    patient_sessions_fetch,
    time_label,
)
from scheduling.models import Chair, Session

NON_FIELD = "__all__"


@dataclass(frozen=True)
class Alternative:
    day: dt.date
    start_time: dt.time
    chair: Chair
    kind: str  # "chair" | "time" | "day"

    @property
    def value(self) -> str:
        return f"{self.day.isoformat()}|{time_label(self.start_time)}|{self.chair.pk}"

    @property
    def label(self) -> str:
        return f"{day_label(self.day)} at {time_label(self.start_time)}, {self.chair.name}"


@dataclass
class PlannedSession:
    number: int
    week: int
    day: dt.date
    start_time: dt.time
    requested_chair: Chair | None = None
    chair: Chair | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    until: dt.datetime | None = None
    problems: list[str] = field(default_factory=list)
    alternatives: list[Alternative] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.chair is not None


@dataclass
class Plan:
    patient: Patient | None
    first_day: dt.date | None
    sessions_per_week: int | None
    weeks: int | None
    start_time: dt.time | None
    sessions: list[PlannedSession] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    clinic: Clinic | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.sessions) and all(s.ok for s in self.sessions)

    def error(self, key: str, message: str) -> None:
        self.errors[key].append(message)

    def problem_dates(self) -> list[str]:
        return [f"{day_label(s.day)}: {'; '.join(s.problems)}" for s in self.sessions if s.problems]


def _check_inputs(plan: Plan, *, now: dt.datetime, clinic: Clinic, weekdays, slots, cleared: bool) -> None:
    _check_course_shape(plan, clinic=clinic, cleared=cleared)
    if plan.first_day is None:
        plan.error("first_day", "Enter the date of the first session.")
    if plan.start_time is None:
        plan.error("start_time", "Enter the start time of the infusions.")
    if plan.first_day is None or plan.start_time is None:
        return
    _check_first_day(plan, now=now, clinic=clinic)
    if weekdays is not None and plan.sessions_per_week in (2, 3) and slots is None:
        _check_weekdays(plan, weekdays=weekdays)


def _check_course_shape(plan: Plan, *, clinic: Clinic, cleared: bool) -> None:
    """Who, how many a week, how many weeks, and a chair to book on at all."""
    if plan.patient is None:
        plan.error("patient", "Choose the patient to book.")
    elif not cleared:
        plan.error(
            "patient",
            f"{plan.patient.full_name} is not cleared for treatment yet. A clinician must review their "
            "screening and record a clearance before a course can be booked.",
        )
    if plan.sessions_per_week not in (2, 3):
        plan.error(
            "sessions_per_week",
            "A course has 2 or 3 sessions a week. Choose 2 or 3; for more treatment, book a longer course.",
        )
    if plan.weeks is None or not 1 <= plan.weeks <= 6:
        plan.error(
            "weeks",
            "A course lasts 1 to 6 weeks (at most 18 sessions). Choose 6 weeks or fewer; "
            "a clinician can plan a new course after the review.",
        )
    if not clinic.active_chairs:
        plan.error(
            NON_FIELD,
            "No chair is in use: every chair is switched off. Switch a chair on in the clinic settings "
            "(admin, Chairs) before booking.",
        )


def _check_first_day(plan: Plan, *, now: dt.datetime, clinic: Clinic) -> None:
    """The first day is an opening day in the future, and the start time fits its hours."""
    today = local_date(now, clinic.tz)
    first_start = clinic.window(plan.first_day, plan.start_time)[0]
    if plan.first_day < today or first_start <= now:
        plan.error(
            "first_day",
            f"{day_label(plan.first_day)} at {time_label(plan.start_time)} is in the past. "
            "Choose a first day from tomorrow on.",
        )
    elif plan.first_day == today:
        # The contract: the first day is an opening day in the future, so not today, whatever the hour.
        plan.error(
            "first_day",
            f"{day_label(plan.first_day)} is today; a course starts on a day in the future. "
            "Choose a first day from tomorrow on.",
        )
    elif problem := clinic.day_problem(plan.first_day):
        plan.error(
            "first_day",
            f"The first day must be an opening day: {problem} ({day_label(plan.first_day)}). "
            "Choose another first day.",
        )
    elif problem := clinic.hours_problem(plan.first_day, plan.start_time):
        plan.error(
            "start_time",
            f"Sessions must fit inside opening hours, recovery included: on {day_label(plan.first_day)} {problem}. "
            "Choose an earlier start time.",
        )


def _check_weekdays(plan: Plan, *, weekdays: list[int]) -> None:
    if len(set(weekdays)) != plan.sessions_per_week:
        plan.error(
            "weekdays",
            f"Pick exactly {plan.sessions_per_week} weekdays, or none to use the earliest days that fit.",
        )
    elif plan.first_day.weekday() not in weekdays:
        plan.error(
            "weekdays",
            f"The first day is a {date_format(plan.first_day, 'l')}: include it in the preferred weekdays.",
        )


def _pick_days(plan: Plan, *, clinic: Clinic, weekdays, taken: list[dt.date]) -> list[tuple[int, dt.date]]:
    """(week, day) for every session. Without weekdays each 7-day block takes the
    earliest opening days that keep the clear-day rule (greedy earliest is optimal
    for spacing points on a line, so it fails only when no choice would work)."""
    chosen: list[tuple[int, dt.date]] = []
    for week in range(plan.weeks):
        block_start = plan.first_day + dt.timedelta(days=7 * week)
        block = [block_start + dt.timedelta(days=offset) for offset in range(7)]
        if weekdays is not None:
            chosen.extend((week + 1, day) for day in block if day.weekday() in weekdays)
            continue
        picks: list[dt.date] = []
        for day in block:
            if len(picks) == plan.sessions_per_week:
                break
            if week == 0 and not picks and day != plan.first_day:
                break  # the first session is on the first day, or the course cannot start
            if clinic.day_problem(day) or clinic.hours_problem(day, plan.start_time):
                continue
            earlier = [d for _w, d in chosen] + picks + taken
            close = sorted(other for other in earlier if abs((day - other).days) < clinic.gap_days)
            if close:
                if day == plan.first_day:
                    plan.error(
                        "first_day",
                        f"The patient has another session on {day_label(close[-1])}; leave "
                        f"{count_label(clinic.settings.min_clear_days, 'clear day')} between sessions. Choose a first day "
                        f"from {day_label(close[-1] + dt.timedelta(days=clinic.gap_days))} on.",
                    )
                    return chosen
                continue
            picks.append(day)
        chosen.extend((week + 1, day) for day in picks)
        if len(picks) < plan.sessions_per_week:
            plan.error(
                NON_FIELD,
                f"Week {week + 1} ({day_label(block[0])} to {day_label(block[-1])}) has only {len(picks)} "
                f"opening days that keep {count_label(clinic.settings.min_clear_days, 'clear day')} between sessions at "
                f"{time_label(plan.start_time)}; it needs {plan.sessions_per_week}. Choose another first day "
                "or start time, or pick the days on the booking page.",
            )
    return chosen


def _check_session(
    session: PlannedSession,
    *,
    clinic: Clinic,
    now: dt.datetime,
    others: list[PlannedSession],
    patient_days: dict[dt.date, list[Busy]],
    occupancy: Occupancy,
    ignore_pk=None,
) -> None:
    day, start_time = session.day, session.start_time
    if problem := clinic.day_problem(day):
        session.problems.append(problem)
        return
    if problem := clinic.hours_problem(day, start_time):
        session.problems.append(problem)
        return
    session.start, session.end, session.until = clinic.window(day, start_time)
    if session.start <= now:
        session.problems.append("this time is in the past")
    for other in others:
        if other is not session and abs((other.day - day).days) < clinic.gap_days and other.day <= day:
            if other.day == day:
                session.problems.append(f"session {other.number} is on the same day")
            else:
                session.problems.append(
                    f"too close to session {other.number} on {day_label(other.day)}: leave at least "
                    f"{count_label(clinic.settings.min_clear_days, 'clear day')} between sessions"
                )
    near = [
        busy_day for busy_day in patient_days if abs((busy_day - day).days) < clinic.gap_days
    ]
    for busy_day in sorted(near):
        session.problems.append(
            f"the patient has another session on {day_label(busy_day)}"
            + ("" if busy_day == day else f" (leave {count_label(clinic.settings.min_clear_days, 'clear day')} between sessions)")
        )
    if session.requested_chair is not None:
        chair = session.requested_chair
        if not chair.active:
            session.problems.append(f"{chair.name} is not in use (inactive); choose an active chair")
        elif clash := occupancy.clash(chair.pk, session.start, session.until, ignore_pk=ignore_pk):
            session.problems.append(
                f"{chair.name} is taken from {time_label(clash.start.astimezone(clinic.tz).time())} to "
                f"{time_label(clash.until.astimezone(clinic.tz).time())} by another booking"
            )
        else:
            session.chair = chair
    else:
        session.chair = occupancy.free_chair(clinic.chairs, session.start, session.until, ignore_pk=ignore_pk)
        if session.chair is None:
            session.problems.append(
                f"no chair is free from {time_label(start_time)} to "
                f"{time_label(session.until.astimezone(clinic.tz).time())}"
            )
    if session.chair is not None and not session.problems:
        # Later sessions of this plan see this chair as taken.
        occupancy.add(Busy(-session.number, 0, session.chair.pk, 0, session.start, session.until))


def _alternatives(
    session: PlannedSession,
    *,
    plan: Plan,
    clinic: Clinic,
    now: dt.datetime,
    patient_days: dict[dt.date, list[Busy]],
    occupancy: Occupancy,
) -> list[Alternative]:
    """The nearest ways out: another chair, another time that day, another day in the same week."""
    found: list[Alternative] = []
    others = [s for s in plan.sessions if s is not session]

    def day_keeps_rules(day: dt.date) -> bool:
        if clinic.day_problem(day):
            return False
        close = [s.day for s in others] + list(patient_days)
        return not any(abs((day - other).days) < clinic.gap_days for other in close)

    def free(day: dt.date, start_time: dt.time) -> Chair | None:
        if clinic.hours_problem(day, start_time):
            return None
        start, _end, until = clinic.window(day, start_time)
        if start <= now:
            return None
        return occupancy.free_chair(clinic.chairs, start, until)

    day, start_time = session.day, session.start_time
    if day_keeps_rules(day):
        chair = free(day, start_time)
        if chair is not None:
            found.append(Alternative(day, start_time, chair, "chair"))
        else:
            wanted = dt.datetime.combine(day, start_time)
            times = sorted(
                (t for t in clinic.start_times(day) if t != start_time),
                key=lambda t: abs((dt.datetime.combine(day, t) - wanted).total_seconds()),
            )
            for other_time in times:
                chair = free(day, other_time)
                if chair is not None:
                    found.append(Alternative(day, other_time, chair, "time"))
                if len([a for a in found if a.kind == "time"]) == 2:
                    break
    block_start = plan.first_day + dt.timedelta(days=7 * (session.week - 1))
    block = [block_start + dt.timedelta(days=offset) for offset in range(7)]
    for other_day in sorted(block, key=lambda d: (abs((d - day).days), d)):
        if other_day == day or (session.number == 1 and other_day != plan.first_day):
            continue
        if not day_keeps_rules(other_day):
            continue
        chair = free(other_day, start_time)
        if chair is not None:
            found.append(Alternative(other_day, start_time, chair, "day"))
        if len([a for a in found if a.kind == "day"]) == 2:
            break
    return found


def course_plan(
    *,
    patient: Patient | None,
    first_day: dt.date | None,
    sessions_per_week: int | None,
    weeks: int | None,
    start_time: dt.time | None,
    weekdays: list[int] | None = None,
    slots: list[tuple[dt.date, dt.time, Chair | int | None]] | None = None,
    with_alternatives: bool = False,
    now: dt.datetime | None = None,
    cleared: bool | None = None,
) -> Plan:
    """Place every session of a course, without writing anything.

    `slots` (date, time, chair or None) are sessions chosen one by one on the
    booking page; without them the course runs at `start_time` on `weekdays`
    (or, without weekdays, on the earliest days of each week that keep the
    rules). The returned Plan names every problem; `plan.ok` is True only when
    the whole course can be booked.
    """
    now = now or timezone.now()
    first_day, sessions_per_week, weeks, start_time = _coerce(first_day, sessions_per_week, weeks, start_time)
    plan = Plan(patient, first_day, sessions_per_week, weeks, start_time)
    if problem := _first_day_out_of_range(first_day, now=now):
        plan.error("first_day", problem)
        return plan
    weeks_for_range = weeks if weeks and 1 <= weeks <= 6 else 6
    last_day = first_day + dt.timedelta(days=7 * weeks_for_range + 7)
    clinic = plan.clinic = clinic_load(first_day=first_day - dt.timedelta(days=7), last_day=last_day)
    if cleared is None:
        cleared = patient is not None and Patient.objects.cleared().filter(pk=patient.pk).exists()
    if weekdays is not None:
        weekdays = sorted({int(day) for day in weekdays}) or None
    _check_inputs(plan, now=now, clinic=clinic, weekdays=weekdays, slots=slots, cleared=cleared)
    if plan.errors:
        return plan

    theirs = patient_sessions_fetch(patient=patient) if patient is not None else []
    patient_days = _days_of(theirs, clinic=clinic)
    nominal_last = first_day + dt.timedelta(days=7 * weeks - 1)
    _check_other_courses(plan, clinic=clinic, theirs=theirs, first=first_day, last=nominal_last)
    if plan.errors:
        return plan

    if slots is None:
        picked = _pick_days(plan, clinic=clinic, weekdays=weekdays, taken=list(patient_days))
        plan.sessions = [
            PlannedSession(number=n, week=week, day=day, start_time=start_time)
            for n, (week, day) in enumerate(picked, start=1)
        ]
    else:
        plan.sessions = _sessions_from_slots(plan, clinic=clinic, slots=slots)
    _check_sessions(plan, clinic=clinic, now=now, patient_days=patient_days, with_alternatives=with_alternatives)
    return plan


def _first_day_out_of_range(first_day: dt.date | None, *, now: dt.datetime) -> str | None:
    if first_day is None:
        return "Enter the date of the first session."
    today = now.date()
    if not today - dt.timedelta(days=366) <= first_day <= today + dt.timedelta(days=731):
        # Far outside any bookable range (and near date.min/max the date arithmetic overflows).
        return (
            f"{first_day.isoformat()} is not a day we can book: choose a first day from tomorrow "
            "up to two years ahead."
        )
    return None


def _days_of(theirs: list[Busy], *, clinic: Clinic) -> dict[dt.date, list[Busy]]:
    """The patient's sessions by clinic day."""
    days: dict[dt.date, list[Busy]] = defaultdict(list)
    for busy in theirs:
        days[clinic.local_date(busy.start)].append(busy)
    return days


def _windows(clinic: Clinic, sessions: list[PlannedSession]) -> list[tuple[dt.datetime, dt.datetime]]:
    """The chair time of every session that falls inside opening hours."""
    windows = []
    for session in sessions:
        if not clinic.day_problem(session.day) and not clinic.hours_problem(session.day, session.start_time):
            start, _end, until = clinic.window(session.day, session.start_time)
            windows.append((start, until))
    return windows


def _check_sessions(plan: Plan, *, clinic: Clinic, now, patient_days, with_alternatives: bool) -> None:
    if with_alternatives:
        # The booking page needs every booking in the course's weeks to suggest alternatives.
        span_end = plan.first_day + dt.timedelta(days=7 * plan.weeks)
        windows = [
            (
                dt.datetime.combine(plan.first_day, dt.time.min, tzinfo=clinic.tz),
                dt.datetime.combine(span_end, dt.time.min, tzinfo=clinic.tz),
            )
        ]
    else:
        windows = _windows(clinic, plan.sessions)
    occupancy = occupancy_fetch(windows=windows)
    for session in plan.sessions:
        _check_session(
            session, clinic=clinic, now=now, others=plan.sessions, patient_days=patient_days, occupancy=occupancy
        )
    if with_alternatives:
        for session in plan.sessions:
            if session.problems:
                session.alternatives = _alternatives(
                    session, plan=plan, clinic=clinic, now=now, patient_days=patient_days, occupancy=occupancy
                )


def _coerce(first_day, sessions_per_week, weeks, start_time):
    """Accept ISO strings and numeric strings as well as dates, times and ints (forms, shells, scripts)."""
    if isinstance(first_day, dt.datetime):
        first_day = first_day.date()
    elif isinstance(first_day, str):
        try:
            first_day = dt.date.fromisoformat(first_day.strip())
        except ValueError:
            first_day = None
    if isinstance(start_time, str):
        try:
            start_time = dt.time.fromisoformat(start_time.strip())
        except ValueError:
            start_time = None
    # Anything else (a number, a bool, a list) is no date or time: refused by the rules, not crashed on.
    if not isinstance(first_day, dt.date):
        first_day = None
    if not isinstance(start_time, dt.time):
        start_time = None
    converted = []
    for value in (sessions_per_week, weeks):
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            # int() would turn 2.5 sessions a week into 2 and True into 1: refuse them instead.
            converted.append(None)
            continue
        try:
            converted.append(int(value) if value is not None else None)
        except (TypeError, ValueError, OverflowError):
            converted.append(None)
    return first_day, converted[0], converted[1], start_time


def _sessions_from_slots(plan: Plan, *, clinic: Clinic, slots) -> list[PlannedSession]:
    sessions: list[PlannedSession] = []
    ordered = sorted(slots, key=lambda slot: (slot[0], slot[1]))
    for number, (day, start_time, chair) in enumerate(ordered, start=1):
        if chair is not None and not isinstance(chair, Chair):
            chair = clinic.chair(chair)
            if chair is None:
                plan.error(NON_FIELD, f"Session {number} names a chair that does not exist; choose one from the list.")
        week = (day - plan.first_day).days // 7 + 1
        sessions.append(
            PlannedSession(number=number, week=week, day=day, start_time=start_time, requested_chair=chair)
        )
    expected = plan.sessions_per_week * plan.weeks
    if len(sessions) != expected:
        plan.error(
            NON_FIELD,
            f"A course of {plan.sessions_per_week} a week for {count_label(plan.weeks, 'week')} has {expected} sessions; "
            f"{len(sessions)} were given. Propose the course again.",
        )
    if sessions and sessions[0].day != plan.first_day:
        plan.error(NON_FIELD, f"The first session must be on the first day, {day_label(plan.first_day)}.")
    for session in sessions:
        if not 1 <= session.week <= plan.weeks:
            plan.error(
                NON_FIELD,
                f"Session {session.number} on {day_label(session.day)} falls outside the course's "
                f"{count_label(plan.weeks, 'week')}; choose a day between {day_label(plan.first_day)} and "
                f"{day_label(plan.first_day + dt.timedelta(days=7 * plan.weeks - 1))}.",
            )
    counts = defaultdict(int)
    for session in sessions:
        counts[session.week] += 1
    for week in range(1, plan.weeks + 1):
        if counts[week] != plan.sessions_per_week:
            block_start = plan.first_day + dt.timedelta(days=7 * (week - 1))
            plan.error(
                NON_FIELD,
                f"Week {week} (from {day_label(block_start)}) has {count_label(counts[week], 'session')}; each week of the "
                f"course needs exactly {plan.sessions_per_week}. Move a session into or out of that week.",
            )
    return sessions


def _check_other_courses(plan: Plan, *, clinic: Clinic, theirs: list[Busy], first: dt.date, last: dt.date) -> None:
    """One course at a time: a new course must not run during another course's weeks."""
    if not theirs:
        return
    spans: dict[int, list[dt.date]] = defaultdict(list)
    for busy in theirs:
        spans[busy.course_id].append(local_date(busy.start, clinic.tz))
    for days in spans.values():
        other_first, other_last = min(days), max(days)
        if other_first <= last and other_last >= first:
            plan.error(
                NON_FIELD,
                f"This course would overlap the patient's other course ({day_label(other_first)} to "
                f"{day_label(other_last)}). Start after {day_label(other_last)}, or cancel the rest of "
                "the other course first.",
            )


@dataclass
class Move:
    """One booked session placed at another day, time or chair (`session_move_plan`)."""

    session: PlannedSession
    week: int
    week_first: dt.date
    week_last: dt.date

    @property
    def in_week(self) -> bool:
        return self.week_first <= self.session.day <= self.week_last


def session_move_plan(
    *, session: Session, day: dt.date, start_time: dt.time, chair: Chair | None = None, now: dt.datetime
) -> Move:
    """Place a booked session at `day` and `start_time` (on `chair`, or the lowest free one) by the
    booking rules, without writing anything. A session stays in its week of the course, so every
    week keeps its number of sessions; a day outside that week is not checked further.
    Problems are in `move.session.problems`."""
    clinic = clinic_load(first_day=day, last_day=day)
    course = session.course
    week = (clinic.local_date(session.start) - course.first_day).days // 7
    week_first = course.first_day + dt.timedelta(days=7 * week)
    planned = PlannedSession(number=0, week=week + 1, day=day, start_time=start_time, requested_chair=chair)
    move = Move(planned, week + 1, week_first, week_first + dt.timedelta(days=6))
    if not move.in_week:
        return move
    theirs = patient_sessions_fetch(patient=session.patient, exclude_pk=session.pk)
    _check_session(
        planned,
        clinic=clinic,
        now=now,
        others=[],
        patient_days=_days_of(theirs, clinic=clinic),
        occupancy=occupancy_fetch(windows=_windows(clinic, [planned])),
        ignore_pk=session.pk,
    )
    return move
