"""The scheduling contract, driven only through what /work/shared/CONTRACT.md names.

These tests play the hidden acceptance tests: they book through
`scheduling.services.course_book`, cancel through `session_cancel`, send through
`notifications_dispatch`, register people through `portal.services` and clear them
through `screening.services.clearance_record`, and read only the documented model
fields (`Chair.name/active`, `Course.patient/sessions`, `Session.course/chair/start/
end/status/review_due`, `Notification.session/kind/send_at/sent_at/status`). The
clinic is what a fresh database holds (its defaults: America/New_York, Monday to
Friday 08:00-18:00, 60 + 120 minutes, one clear day, reminders 24 h ahead, 12 h
without driving); only the chairs are created here.
"""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from portal.services import patient_register, staff_create
from scheduling.models import Chair, Course, Notification, Session
from scheduling.services import course_book, notifications_dispatch, session_cancel
from screening.services import clearance_record
from tests.race import failures, race, successes

pytestmark = pytest.mark.django_db

NY = zoneinfo.ZoneInfo("America/New_York")
# "Now" for most tests: Monday 7 December 2026, 09:00 in the clinic.
NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=NY)
TODAY = NOW.date()
TUESDAY = dt.date(2026, 12, 8)
WEDNESDAY = dt.date(2026, 12, 9)
THURSDAY = dt.date(2026, 12, 10)
FRIDAY = dt.date(2026, 12, 11)
SATURDAY = dt.date(2026, 12, 12)
SUNDAY = dt.date(2026, 12, 13)
MONDAY = dt.date(2026, 12, 14)
TEN = dt.time(10, 0)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


# --- Fixtures: the people and chairs, made through the contract -------------------------


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def chairs(db):
    return [Chair.objects.create(name=f"Chair {n}", active=True) for n in (1, 2, 3)]


@pytest.fixture
def one_chair(db):
    return Chair.objects.create(name="Only chair", active=True)


@pytest.fixture
def doctor(db):
    return staff_create(email="dr.contract@clinic.example", role="clinician", first_name="Dora", last_name="Doc")


@pytest.fixture
def desk(db):
    return staff_create(email="desk.contract@clinic.example", role="front_desk", first_name="Dee", last_name="Desk")


def new_patient(n: int, doctor=None):
    patient = patient_register(
        first_name=f"Pat{n}", last_name="Contract", email=f"pat{n}@contract.example", phone=""
    )
    if doctor is not None:
        clearance_record(patient=patient, clinician=doctor, note="Cleared by the contract test.")
    return patient


@pytest.fixture
def amy(doctor):
    return new_patient(1, doctor)


@pytest.fixture
def ben(doctor):
    return new_patient(2, doctor)


def book(patient, first_day=MONDAY, sessions_per_week=3, weeks=1, start_time=TEN, **extra):
    return course_book(
        patient=patient,
        first_day=first_day,
        sessions_per_week=sessions_per_week,
        weeks=weeks,
        start_time=start_time,
        **extra,
    )


def refusal(patient, **options) -> str:
    """Book, expect a ValidationError, and return its words."""
    with pytest.raises(ValidationError) as excinfo:
        book(patient, **options)
    return " ".join(excinfo.value.messages)


def counts():
    return (Course.objects.count(), Session.objects.count(), Notification.objects.count())


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(NY)


def days_of(course) -> list[dt.date]:
    return [local(s.start).date() for s in course.sessions.all()]


def live(course) -> list[Session]:
    return [s for s in course.sessions.all() if "cancelled" not in s.status]


# --- The first day -------------------------------------------------------------------


def test_a_course_starts_on_its_first_day_at_the_wall_clock_start_time(now, chairs, amy, desk):
    course = book(amy, first_day=MONDAY, booked_by=desk)

    assert isinstance(course, Course)
    assert course.patient == amy
    sessions = list(course.sessions.all())
    assert len(sessions) == 3
    assert local(sessions[0].start).date() == MONDAY
    assert all(local(s.start).time() == TEN for s in sessions)
    assert all(s.course == course for s in sessions)
    assert all(s.chair.active for s in sessions)
    assert all(s.start.tzinfo is not None and s.end.tzinfo is not None for s in sessions)
    assert all("cancelled" not in s.status for s in sessions)


def test_course_book_works_without_booked_by(now, chairs, amy):
    assert book(amy).sessions.count() == 3


def test_tomorrow_is_a_valid_first_day(now, chairs, amy):
    course = book(amy, first_day=TUESDAY, sessions_per_week=2)
    assert days_of(course)[0] == TUESDAY


@pytest.mark.parametrize("start_time", [dt.time(8, 0), dt.time(15, 0)])
def test_today_is_not_in_the_future_even_for_a_later_hour(now, chairs, amy, start_time):
    before = counts()
    message = refusal(amy, first_day=TODAY, start_time=start_time)
    assert TODAY.isoformat() in message
    assert counts() == before


def test_a_first_day_in_the_past_is_refused(now, chairs, amy):
    before = counts()
    message = refusal(amy, first_day=FRIDAY - dt.timedelta(days=7))
    assert "2026-12-04" in message
    assert counts() == before


@pytest.mark.parametrize("weekend_day", [SATURDAY, SUNDAY])
def test_a_first_day_on_a_weekend_is_refused_because_the_clinic_is_closed(now, chairs, amy, weekend_day):
    before = counts()
    message = refusal(amy, first_day=weekend_day)
    assert weekend_day.isoformat() in message
    assert counts() == before


# --- Course shape: 2-3 a week, 1-6 weeks, exactly n per 7-day block --------------------


@pytest.mark.parametrize("per_week", [0, 1, 4, 7, 2.5, None])
def test_sessions_per_week_other_than_two_or_three_is_refused(now, chairs, amy, per_week):
    before = counts()
    with pytest.raises(ValidationError):
        book(amy, sessions_per_week=per_week)
    assert counts() == before


@pytest.mark.parametrize("weeks", [0, 7, -1, 1.5, None])
def test_weeks_outside_one_to_six_is_refused(now, chairs, amy, weeks):
    before = counts()
    with pytest.raises(ValidationError):
        book(amy, weeks=weeks)
    assert counts() == before


@pytest.mark.parametrize(
    ("first_day", "per_week", "weeks"),
    [
        (MONDAY, 2, 1),
        (MONDAY, 3, 6),
        (TUESDAY, 3, 4),
        (WEDNESDAY, 2, 6),
        (THURSDAY, 3, 6),
        (FRIDAY, 3, 5),
        (FRIDAY, 2, 3),
    ],
)
def test_each_seven_day_block_from_the_first_day_holds_exactly_sessions_per_week(
    now, chairs, amy, first_day, per_week, weeks
):
    course = book(amy, first_day=first_day, sessions_per_week=per_week, weeks=weeks)
    days = days_of(course)

    assert len(days) == per_week * weeks
    assert days[0] == first_day
    blocks = [(day - first_day).days // 7 for day in days]
    assert [blocks.count(week) for week in range(weeks)] == [per_week] * weeks
    assert max(blocks) == weeks - 1  # nothing spills out of the last block
    # One a day, and at least one clear day in between.
    assert all((later - earlier).days >= 2 for earlier, later in zip(days, days[1:], strict=False))
    # Opening days only.
    assert all(day.weekday() < 5 for day in days)


@pytest.mark.parametrize(
    ("first_day", "per_week", "weeks", "expected"),
    [
        # Monday, 3 a week: Mon, Wed, Fri.
        (MONDAY, 3, 2, ["2026-12-14", "2026-12-16", "2026-12-18", "2026-12-21", "2026-12-23", "2026-12-25"]),
        # Monday, 2 a week: Mon, Wed (the earliest days that keep a clear day), then the same next block.
        (MONDAY, 2, 2, ["2026-12-14", "2026-12-16", "2026-12-21", "2026-12-23"]),
        # Tuesday, 3 a week: Tue, Thu, then Monday (Sat and Sun are closed), all in Tue..Mon.
        (TUESDAY, 3, 1, ["2026-12-08", "2026-12-10", "2026-12-14"]),
        # Thursday, 3 a week: Thu, Mon, Wed; next block (Thu..Wed): Thursday is too close, so Fri, Mon, Wed.
        (THURSDAY, 3, 2, ["2026-12-10", "2026-12-14", "2026-12-16", "2026-12-18", "2026-12-21", "2026-12-23"]),
        # Friday, 2 a week: Fri, Mon; then Fri, Mon.
        (FRIDAY, 2, 2, ["2026-12-11", "2026-12-14", "2026-12-18", "2026-12-21"]),
        # Wednesday, 3 a week: Wed, Fri, Mon; then Wed, Fri, Mon.
        (WEDNESDAY, 3, 2, ["2026-12-09", "2026-12-11", "2026-12-14", "2026-12-16", "2026-12-18", "2026-12-21"]),
    ],
)
def test_without_preferred_weekdays_each_block_takes_the_earliest_opening_days_that_keep_the_rules(
    now, chairs, amy, first_day, per_week, weeks, expected
):
    course = book(amy, first_day=first_day, sessions_per_week=per_week, weeks=weeks)
    assert [day.isoformat() for day in days_of(course)] == expected


# --- Opening hours, recovery included --------------------------------------------------


def test_a_start_whose_recovery_ends_exactly_at_closing_is_allowed(now, chairs, amy):
    course = book(amy, start_time=dt.time(15, 0))
    for session in course.sessions.all():
        assert local(session.start).time() == dt.time(15, 0)
        assert local(session.end).time() == dt.time(16, 0)


@pytest.mark.parametrize("start_time", [dt.time(15, 1), dt.time(15, 30), dt.time(17, 0), dt.time(18, 0)])
def test_a_start_whose_recovery_runs_past_closing_is_refused(now, chairs, amy, start_time):
    before = counts()
    message = refusal(amy, start_time=start_time)
    assert MONDAY.isoformat() in message
    assert counts() == before


def test_opening_time_is_the_earliest_start(now, chairs, amy):
    course = book(amy, start_time=dt.time(8, 0))
    assert {local(s.start).time() for s in course.sessions.all()} == {dt.time(8, 0)}


@pytest.mark.parametrize("start_time", [dt.time(7, 59), dt.time(6, 0), dt.time(0, 0)])
def test_a_start_before_opening_is_refused(now, chairs, amy, start_time):
    before = counts()
    with pytest.raises(ValidationError):
        book(amy, start_time=start_time)
    assert counts() == before


# --- Daylight saving: the wall clock stays put -------------------------------------------


@pytest.mark.parametrize(
    ("frozen_at", "first_day", "offsets"),
    [
        # Second Sunday of March 2027 is the 14th: EST (-5) before, EDT (-4) after.
        (dt.datetime(2027, 3, 5, 12, 0, tzinfo=NY), dt.date(2027, 3, 8), (-5, -4)),
        # First Sunday of November 2026 is the 1st: EDT (-4) before, EST (-5) after.
        (dt.datetime(2026, 10, 23, 12, 0, tzinfo=NY), dt.date(2026, 10, 26), (-4, -5)),
    ],
)
def test_the_wall_clock_start_stays_the_same_across_a_daylight_saving_change(
    chairs, amy, frozen_at, first_day, offsets
):
    with time_machine.travel(frozen_at, tick=False):
        course = book(amy, first_day=first_day, sessions_per_week=3, weeks=2, start_time=TEN)
    sessions = list(course.sessions.all())
    assert len(sessions) == 6
    assert {local(s.start).time() for s in sessions} == {TEN}
    assert {local(s.end).time() for s in sessions} == {dt.time(11, 0)}
    assert all(s.end - s.start == HOUR for s in sessions)
    # The absolute instant moves by an hour: the first week in one offset, the second in the other.
    utc_offsets = [local(s.start).utcoffset() / HOUR for s in sessions]
    assert utc_offsets[:3] == [offsets[0]] * 3
    assert utc_offsets[3:] == [offsets[1]] * 3
    assert {s.start.astimezone(dt.UTC).hour for s in sessions} == {10 - offsets[0], 10 - offsets[1]}


# --- Chairs: 60 minutes of infusion plus 120 of recovery ---------------------------------


def test_a_session_end_is_one_hour_after_its_start(now, chairs, amy):
    course = book(amy, weeks=2)
    assert all(s.end - s.start == HOUR for s in course.sessions.all())


def test_a_chair_is_held_through_recovery_so_the_next_patient_waits_three_hours(now, one_chair, amy, ben):
    book(amy, sessions_per_week=2)
    before = counts()
    message = refusal(ben, sessions_per_week=2, start_time=dt.time(12, 59))
    assert MONDAY.isoformat() in message
    assert counts() == before

    course = book(ben, sessions_per_week=2, start_time=dt.time(13, 0))
    assert {s.chair for s in course.sessions.all()} == {one_chair}


def test_an_earlier_booking_that_ends_recovery_after_the_start_also_blocks_the_chair(now, one_chair, amy, ben):
    book(amy, sessions_per_week=2, start_time=dt.time(13, 0))
    before = counts()
    message = refusal(ben, sessions_per_week=2, start_time=dt.time(10, 1))
    assert MONDAY.isoformat() in message
    assert counts() == before
    assert book(ben, sessions_per_week=2, start_time=TEN).sessions.count() == 2


def test_a_second_patient_at_the_same_time_gets_another_free_chair(now, chairs, amy, ben):
    first = book(amy)
    second = book(ben)
    for mine, theirs in zip(first.sessions.all(), second.sessions.all(), strict=True):
        assert mine.start == theirs.start
        assert mine.chair != theirs.chair


def test_no_two_sessions_ever_hold_one_chair_at_the_same_moment(now, chairs, doctor):
    patients = [new_patient(n, doctor) for n in range(10, 14)]
    booked = 0
    for patient in patients:
        try:
            booked += book(patient, weeks=2).sessions.count()
        except ValidationError:
            pass
    assert booked == 18  # three chairs: three patients fit, the fourth does not
    sessions = list(Session.objects.all())
    for a in sessions:
        for b in sessions:
            if a.pk < b.pk and a.chair_id == b.chair_id:
                a_until = a.start + dt.timedelta(minutes=180)
                b_until = b.start + dt.timedelta(minutes=180)
                assert not (a.start < b_until and b.start < a_until), (a, b)


def test_an_inactive_chair_is_never_booked(now, amy, ben):
    used = Chair.objects.create(name="In use", active=True)
    Chair.objects.create(name="Switched off", active=False)
    book(amy)
    before = counts()
    message = refusal(ben)
    assert MONDAY.isoformat() in message
    assert counts() == before
    assert set(Session.objects.values_list("chair", flat=True)) == {used.pk}


def test_with_no_chair_at_all_booking_is_refused(now, amy):
    before = counts()
    with pytest.raises(ValidationError):
        book(amy)
    assert counts() == before


# --- The patient: one session a day, a clear day between, never two at once --------------


def test_a_patient_is_never_double_booked_by_a_second_course(now, chairs, amy):
    book(amy, weeks=2)
    before = counts()
    with pytest.raises(ValidationError):
        book(amy, weeks=1)
    with pytest.raises(ValidationError):
        book(amy, first_day=WEDNESDAY + dt.timedelta(days=7), weeks=1, start_time=dt.time(14, 0))
    assert counts() == before


def test_a_second_course_the_day_after_the_last_session_is_refused_for_the_clear_day(now, chairs, amy):
    first = book(amy, sessions_per_week=2, weeks=1)  # Mon 14, Wed 16
    last_day = days_of(first)[-1]
    before = counts()
    message = refusal(amy, first_day=last_day + DAY, sessions_per_week=2)
    assert (last_day + DAY).isoformat() in message or last_day.isoformat() in message
    assert counts() == before
    # Two days after: one clear day in between, allowed.
    second = book(amy, first_day=last_day + 2 * DAY, sessions_per_week=2)
    assert days_of(second)[0] == last_day + 2 * DAY


# --- Whole course or nothing, and never moved by itself ---------------------------------


def test_slots_taken_in_week_two_refuse_the_whole_course_and_name_their_dates(now, one_chair, amy, ben):
    # Ben holds the only chair at 10:00 on Wednesday and Friday of Amy's second week.
    book(ben, first_day=dt.date(2026, 12, 23), sessions_per_week=2, weeks=1)  # Wed 23, Fri 25
    before = counts()

    message = refusal(amy, first_day=MONDAY, sessions_per_week=3, weeks=2)

    assert "2026-12-23" in message  # the Wednesday of Amy's second week
    assert "2026-12-14" not in message and "2026-12-16" not in message  # the free dates are not blamed
    assert counts() == before
    assert not Course.objects.filter(patient=amy).exists()
    assert not Session.objects.filter(course__patient=amy).exists()


def test_every_date_that_cannot_be_booked_is_named(now, one_chair, amy, ben):
    book(ben, first_day=dt.date(2026, 12, 23), sessions_per_week=2, weeks=1)  # Wed 23, Fri 25
    message = refusal(amy, first_day=MONDAY, sessions_per_week=3, weeks=2)
    assert "2026-12-23" in message and "2026-12-25" in message
    assert "December 23" in message and "December 25" in message


def test_a_conflict_is_never_resolved_by_moving_the_session_to_another_time_or_day(now, one_chair, amy, ben):
    book(ben, first_day=dt.date(2026, 12, 23), sessions_per_week=2, weeks=1)
    with pytest.raises(ValidationError):
        book(amy, first_day=MONDAY, sessions_per_week=3, weeks=2)
    # Not at 10:30, not on Thursday, not anywhere.
    assert Session.objects.filter(course__patient=amy).count() == 0


def test_a_refused_booking_writes_no_notification(now, one_chair, amy, ben):
    book(ben, first_day=dt.date(2026, 12, 23), sessions_per_week=2, weeks=1)
    notifications = Notification.objects.count()
    with pytest.raises(ValidationError):
        book(amy, first_day=MONDAY, sessions_per_week=3, weeks=2)
    assert Notification.objects.count() == notifications


# --- Clearance ---------------------------------------------------------------------------


def test_an_uncleared_patient_cannot_be_booked(now, chairs):
    patient = new_patient(20)
    before = counts()
    with pytest.raises(ValidationError):
        book(patient)
    assert counts() == before


def test_a_clinicians_clearance_lets_the_patient_be_booked(now, chairs, doctor):
    patient = new_patient(21)
    with pytest.raises(ValidationError):
        book(patient)
    clearance_record(patient=patient, clinician=doctor)
    assert book(patient).sessions.count() == 3


def test_only_a_clinician_can_clear_a_patient(now, chairs, desk):
    patient = new_patient(22)
    with pytest.raises(PermissionDenied):
        clearance_record(patient=patient, clinician=desk)
    with pytest.raises(ValidationError):
        book(patient)


# --- Review points -------------------------------------------------------------------------


def review_points(course) -> list[int]:
    return [n for n, s in enumerate(course.sessions.all(), start=1) if s.review_due]


def test_the_fifth_tenth_and_fifteenth_sessions_are_review_points(now, chairs, amy):
    course = book(amy, sessions_per_week=3, weeks=6)
    assert course.sessions.count() == 18
    assert review_points(course) == [5, 10, 15]


def test_a_short_course_has_no_review_point_before_the_fifth_session(now, chairs, amy):
    course = book(amy, sessions_per_week=2, weeks=2)
    assert review_points(course) == []


def test_cancelling_an_earlier_session_moves_the_review_points_to_the_sessions_that_still_count(
    now, chairs, amy
):
    course = book(amy, sessions_per_week=3, weeks=6)
    sessions = list(course.sessions.all())

    session_cancel(session=sessions[1])

    assert review_points(course) == [6, 11, 16]
    counted = live(course)
    assert [n for n, s in enumerate(counted, start=1) if s.review_due] == [5, 10, 15]
    assert not Session.objects.get(pk=sessions[1].pk).review_due


def test_cancelling_the_review_session_itself_moves_the_review_to_the_next(now, chairs, amy):
    course = book(amy, sessions_per_week=3, weeks=2)
    fifth = list(course.sessions.all())[4]
    session_cancel(session=fifth)
    assert review_points(course) == [6]


def test_cancelling_enough_sessions_drops_a_review_point(now, chairs, amy):
    course = book(amy, sessions_per_week=3, weeks=2)  # 6 sessions: review at 5
    sessions = list(course.sessions.all())
    session_cancel(session=sessions[0])
    session_cancel(session=sessions[1])
    assert review_points(course) == []


# --- Cancelling ------------------------------------------------------------------------------


def test_cancelling_marks_the_session_cancelled_and_frees_its_chair(now, one_chair, amy, ben):
    course = book(amy, sessions_per_week=2)
    first = course.sessions.first()
    assert session_cancel(session=first) is None
    first.refresh_from_db()
    assert "cancelled" in first.status

    # The only chair is free again on Monday at 10:00 (Ben still cannot have Wednesday).
    with pytest.raises(ValidationError) as excinfo:
        book(ben, first_day=MONDAY, sessions_per_week=2)
    message = " ".join(excinfo.value.messages)
    assert "2026-12-16" in message and "2026-12-14" not in message


def test_cancelling_a_cancelled_session_does_nothing(now, chairs, amy, desk):
    course = book(amy, sessions_per_week=3, weeks=2)
    second = list(course.sessions.all())[1]
    stale = Session.objects.get(pk=second.pk)  # read before the cancel: still "booked" in memory
    session_cancel(session=second, by=desk)
    snapshot = sorted(Notification.objects.values_list("pk", "status", "send_at", "sent_at"))
    flags = review_points(course)
    status = Session.objects.get(pk=second.pk).status

    assert session_cancel(session=second, by=desk) is None
    assert session_cancel(session=Session.objects.get(pk=second.pk)) is None
    assert session_cancel(session=stale) is None

    assert sorted(Notification.objects.values_list("pk", "status", "send_at", "sent_at")) == snapshot
    assert review_points(course) == flags
    assert Session.objects.get(pk=second.pk).status == status
    assert Session.objects.filter(course=course).exclude(status__contains="cancelled").count() == 5


# --- Notifications: reminders ----------------------------------------------------------------


def test_each_session_gets_a_reminder_24_hours_before_it(now, chairs, amy):
    course = book(amy, sessions_per_week=3, weeks=2)
    for session in course.sessions.all():
        reminder = Notification.objects.get(session=session, kind="reminder")
        assert reminder.send_at == session.start - dt.timedelta(hours=24)
        assert reminder.sent_at is None


def test_a_reminder_is_sent_when_it_is_due_not_before(now, chairs, amy, mailoutbox):
    course = book(amy, sessions_per_week=2, weeks=1)
    first = course.sessions.first()
    due = first.start - dt.timedelta(hours=24)

    notifications_dispatch(now=due - dt.timedelta(minutes=1))
    assert Notification.objects.get(session=first, kind="reminder").sent_at is None

    sent = notifications_dispatch(now=due)
    reminder = Notification.objects.get(session=first, kind="reminder")
    assert reminder.sent_at == due
    assert "sent" in reminder.status
    assert sent >= 1
    assert sent == Notification.objects.filter(sent_at=due).count()
    assert any(amy.email in message.to for message in mailoutbox)
    # The second session's reminder is not due yet.
    assert Notification.objects.get(session=list(course.sessions.all())[1], kind="reminder").sent_at is None


def test_a_session_booked_less_than_24_hours_ahead_is_reminded_at_the_next_dispatch(now, chairs, amy):
    # Now is Monday 09:00; Tuesday 08:00 is 23 hours away.
    course = book(amy, first_day=TUESDAY, sessions_per_week=2, start_time=dt.time(8, 0))
    first = course.sessions.first()
    reminder = Notification.objects.get(session=first, kind="reminder")
    assert reminder.send_at <= NOW

    dispatch_at = NOW + dt.timedelta(minutes=1)
    notifications_dispatch(now=dispatch_at)

    reminder.refresh_from_db()
    assert reminder.sent_at == dispatch_at
    assert "sent" in reminder.status


def test_dispatch_with_no_argument_uses_the_real_clock(chairs, amy):
    with time_machine.travel(NOW, tick=False):
        course = book(amy, first_day=TUESDAY, sessions_per_week=2, start_time=dt.time(8, 0))
    first = course.sessions.first()
    later = NOW + dt.timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        sent = notifications_dispatch()
    reminder = Notification.objects.get(session=first, kind="reminder")
    assert reminder.sent_at == later
    assert sent == Notification.objects.filter(sent_at=later).count() >= 1


def test_dispatch_returns_how_many_it_sent_and_sends_nothing_twice(now, chairs, amy):
    book(amy, sessions_per_week=2, weeks=1)
    at = NOW + dt.timedelta(days=30)  # after everything, within no window: only what does not expire goes
    first_run = notifications_dispatch(now=NOW + dt.timedelta(minutes=1))
    assert first_run == Notification.objects.filter(sent_at=NOW + dt.timedelta(minutes=1)).count()
    assert notifications_dispatch(now=NOW + dt.timedelta(minutes=1)) == 0
    notifications_dispatch(now=at)
    assert notifications_dispatch(now=at) == 0


# --- Notifications: no driving -----------------------------------------------------------------


def test_the_no_driving_notice_goes_out_at_the_end_of_the_infusion(now, chairs, amy, mailoutbox):
    course = book(amy, sessions_per_week=2, weeks=1)
    first = course.sessions.first()
    notice = Notification.objects.get(session=first, kind="no_driving")
    assert notice.send_at == first.end

    notifications_dispatch(now=first.end - dt.timedelta(minutes=1))
    notice.refresh_from_db()
    assert notice.sent_at is None

    mailoutbox.clear()
    notifications_dispatch(now=first.end)
    notice.refresh_from_db()
    assert notice.sent_at == first.end
    assert "sent" in notice.status

    # The session ends 11:00 on Monday 14 December; 12 hours later is 23:00 that day, in New York.
    texts = [
        " ".join([m.subject, m.body, *[alt[0] for alt in getattr(m, "alternatives", [])]])
        for m in mailoutbox
        if amy.email in m.to
    ]
    notice_texts = [t for t in texts if "11:00 PM" in t or "23:00" in t or "11 PM" in t or "11:00 p.m." in t]
    assert notice_texts, texts


def test_the_no_driving_time_is_in_the_clinics_zone_across_daylight_saving(chairs, amy, mailoutbox):
    # Late October 2026: EDT. The 15:00 session ends 16:00 EDT; 12 hours later is 04:00 EDT.
    with time_machine.travel(dt.datetime(2026, 10, 23, 12, 0, tzinfo=NY), tick=False):
        course = book(amy, first_day=dt.date(2026, 10, 26), sessions_per_week=2, start_time=dt.time(15, 0))
    first = course.sessions.first()
    notifications_dispatch(now=first.end)
    texts = [" ".join([m.subject, m.body]) for m in mailoutbox if amy.email in m.to]
    assert any("4:00 AM" in t or "04:00" in t for t in texts), texts
    # Not UTC (08:00) and not the 24-hour-late or wrong-zone readings.
    assert not any("8:00 AM" in t or "08:00" in t for t in texts if "drive" in t.lower())


# --- Notifications: review due -----------------------------------------------------------------


def test_the_review_notice_goes_to_the_patient_and_the_clinicians_when_the_fifth_session_ends(
    now, chairs, amy, doctor, mailoutbox
):
    course = book(amy, sessions_per_week=3, weeks=2)
    sessions = list(course.sessions.all())
    fifth = sessions[4]
    review = Notification.objects.filter(kind="review_due")
    assert set(review.values_list("session", flat=True)) == {fifth.pk}
    assert {row.send_at for row in review} == {fifth.end}

    notifications_dispatch(now=fifth.end - dt.timedelta(minutes=1))
    assert not Notification.objects.filter(kind="review_due", sent_at__isnull=False).exists()

    mailoutbox.clear()
    notifications_dispatch(now=fifth.end)
    assert Notification.objects.filter(kind="review_due").exclude(sent_at=fifth.end).count() == 0
    recipients = {address for message in mailoutbox for address in message.to}
    assert amy.email in recipients
    assert doctor.email in recipients


def test_an_eighteen_session_course_has_review_notices_on_the_fifth_tenth_and_fifteenth(now, chairs, amy):
    course = book(amy, sessions_per_week=3, weeks=6)
    sessions = list(course.sessions.all())
    review_sessions = set(Notification.objects.filter(kind="review_due").values_list("session", flat=True))
    assert review_sessions == {sessions[4].pk, sessions[9].pk, sessions[14].pk}


def test_after_a_cancel_the_review_notice_follows_the_new_fifth_session(now, chairs, amy, doctor, mailoutbox):
    course = book(amy, sessions_per_week=3, weeks=2)
    sessions = list(course.sessions.all())
    session_cancel(session=sessions[0])

    mailoutbox.clear()
    notifications_dispatch(now=sessions[4].end)
    assert not Notification.objects.filter(session=sessions[4], kind="review_due", sent_at__isnull=False).exists()
    assert doctor.email not in {address for message in mailoutbox for address in message.to}

    notifications_dispatch(now=sessions[5].end)
    sent = Notification.objects.filter(session=sessions[5], kind="review_due", sent_at=sessions[5].end)
    assert sent.exists()
    assert doctor.email in {address for message in mailoutbox for address in message.to}


# --- Notifications: cancelled sessions ---------------------------------------------------------


def test_a_cancelled_sessions_reminder_no_driving_and_review_notices_are_never_sent(now, chairs, amy):
    course = book(amy, sessions_per_week=3, weeks=2)
    sessions = list(course.sessions.all())
    fifth = sessions[4]
    session_cancel(session=fifth)
    session_cancel(session=sessions[0])

    for moment in (s.start - dt.timedelta(hours=24) for s in sessions):
        notifications_dispatch(now=moment)
    for session in sessions:
        notifications_dispatch(now=session.end)
    notifications_dispatch(now=sessions[-1].end + dt.timedelta(days=2))

    for cancelled in (sessions[0], fifth):
        stale = Notification.objects.filter(session=cancelled, kind__in=["reminder", "no_driving", "review_due"])
        assert stale.exists()
        assert not stale.filter(sent_at__isnull=False).exists()
        assert not stale.filter(status__contains="sent").exists()
    # The others were sent.
    assert Notification.objects.filter(session=sessions[1], kind="reminder", sent_at__isnull=False).exists()


def test_nothing_pending_on_a_session_when_it_is_cancelled_is_ever_sent(now, chairs, amy):
    course = book(amy, sessions_per_week=2, weeks=1)
    first = course.sessions.first()
    pending = list(Notification.objects.filter(session=first, sent_at__isnull=True).values_list("pk", flat=True))
    assert pending

    session_cancel(session=first)
    notifications_dispatch(now=NOW + dt.timedelta(minutes=1))
    notifications_dispatch(now=first.end)
    notifications_dispatch(now=first.end + dt.timedelta(days=3))

    assert not Notification.objects.filter(pk__in=pending, sent_at__isnull=False).exists()


def test_no_notification_of_a_cancelled_session_is_sent_after_it_is_cancelled(now, chairs, amy):
    course = book(amy, sessions_per_week=2, weeks=1)
    notifications_dispatch(now=NOW)  # whatever was due before the cancel may go
    second = list(course.sessions.all())[1]
    session_cancel(session=second)
    after = NOW + dt.timedelta(minutes=1)
    for moment in (after, second.start - dt.timedelta(hours=24), second.end, second.end + dt.timedelta(days=2)):
        notifications_dispatch(now=moment)
    assert not Notification.objects.filter(session=second, sent_at__gte=after).exists()


# --- A clinic made afresh, and racing bookings ----------------------------------------------------


def test_a_course_reads_back_in_start_order(now, chairs, amy):
    course = book(amy, sessions_per_week=3, weeks=3)
    starts = [s.start for s in course.sessions.all()]
    assert starts == sorted(starts)


def test_a_clinic_whose_settings_rows_are_gone_still_opens_monday_to_friday(now, chairs, amy):
    # What every transactional test leaves behind: the tables truncated, so the clinic row
    # written by the data migration is gone. The contract's defaults must still hold.
    from portal.models import ClinicSettings

    ClinicSettings.objects.all().delete()
    course = book(amy, first_day=MONDAY, sessions_per_week=3, weeks=1, start_time=dt.time(15, 0))
    assert [day.isoformat() for day in days_of(course)] == ["2026-12-14", "2026-12-16", "2026-12-18"]
    with pytest.raises(ValidationError):
        book(amy, first_day=SATURDAY + dt.timedelta(days=14), sessions_per_week=2)


RACERS = 10


@pytest.mark.django_db(transaction=True)
def test_racing_bookings_for_one_chair_slot_let_exactly_one_win(now):
    chair = Chair.objects.create(name="Last chair", active=True)
    doctor = staff_create(email="dr.race@clinic.example", role="clinician")
    patients = [new_patient(100 + n, doctor) for n in range(RACERS)]
    outcomes = race(lambda patient: book(patient, first_day=MONDAY, sessions_per_week=2, weeks=1), patients)
    wins = successes(outcomes)
    refusals = [" ".join(exc.messages) for exc in failures(outcomes) if isinstance(exc, ValidationError)]
    crashes = [repr(exc) for exc in failures(outcomes) if not isinstance(exc, ValidationError)]

    assert not crashes, crashes
    assert len(wins) == 1
    assert len(refusals) == RACERS - 1
    assert Session.objects.count() == 2
    assert set(Session.objects.values_list("chair", flat=True)) == {chair.pk}
    assert Course.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_bookings_with_a_chair_each_all_succeed_on_different_chairs(now):
    racers = 6
    chairs = [Chair.objects.create(name=f"Race chair {n}", active=True) for n in range(racers)]
    doctor = staff_create(email="dr.race2@clinic.example", role="clinician")
    patients = [new_patient(200 + n, doctor) for n in range(racers)]
    outcomes = race(lambda patient: book(patient, first_day=MONDAY, sessions_per_week=3, weeks=2), patients)
    wins = successes(outcomes)
    refused = [repr(exc) for exc in failures(outcomes)]  # any refusal fails: a free chair was there

    assert not refused, refused
    assert len(wins) == racers
    assert Session.objects.count() == racers * 6
    for start in set(Session.objects.values_list("start", flat=True)):
        held = list(Session.objects.filter(start=start).values_list("chair", flat=True))
        assert sorted(held) == sorted(chair.pk for chair in chairs)


# --- What the booking shows on /me/ and /staff/ -------------------------------------------------


def test_the_patient_sees_their_sessions_on_me_and_another_patient_does_not(
    now, chairs, patient, other_patient, doctor, client
):
    clearance_record(patient=patient, clinician=doctor)
    book(patient, sessions_per_week=2, weeks=1)

    client.force_login(patient.user)
    page = client.get("/me/").content.decode()
    assert "December 14, 2026" in page and "December 16, 2026" in page and "10:00" in page

    client.force_login(other_patient.user)
    page = client.get("/me/").content.decode()
    assert "December 14, 2026" not in page and "December 16, 2026" not in page


def test_a_cancelled_session_reads_cancelled_on_me(now, chairs, patient, doctor, client):
    clearance_record(patient=patient, clinician=doctor)
    course = book(patient, sessions_per_week=2, weeks=1)
    session_cancel(session=course.sessions.first())
    client.force_login(patient.user)
    page = client.get("/me/").content.decode()
    assert "Cancelled" in page


def test_front_desk_reaches_the_staff_dashboard(now, chairs, desk, client):
    client.force_login(desk)
    assert client.get("/staff/").status_code == 200
