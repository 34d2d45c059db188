"""Wall-clock times across daylight-saving changes, and query counts that do not
grow with the course length or with the bookings already in the book."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling.models import Session
from scheduling.services import course_book
from tests.factories import PatientFactory
from tests.scheduling.helpers import MONDAY, NY, clear

pytestmark = pytest.mark.usefixtures("chairs")


@pytest.mark.parametrize(
    ("today", "first_day", "change"),
    [
        # 2027-03-14: clocks go forward in New York; 2027-11-07: they go back.
        (dt.datetime(2027, 2, 20, 12, tzinfo=NY), dt.date(2027, 3, 1), dt.date(2027, 3, 14)),
        (dt.datetime(2027, 10, 10, 12, tzinfo=NY), dt.date(2027, 10, 25), dt.date(2027, 11, 7)),
    ],
)
def test_wall_clock_start_stays_put_across_a_daylight_saving_change(cleared_patient, today, first_day, change):
    with time_machine.travel(today, tick=False):
        course = course_book(
            patient=cleared_patient, first_day=first_day, sessions_per_week=3, weeks=4, start_time=dt.time(9, 30)
        )
    sessions = list(course.sessions.all())
    assert {s.start.astimezone(NY).time() for s in sessions} == {dt.time(9, 30)}
    assert {s.end.astimezone(NY).time() for s in sessions} == {dt.time(10, 30)}
    assert {s.occupied_until.astimezone(NY).time() for s in sessions} == {dt.time(12, 30)}
    before = [s for s in sessions if s.start.date() < change]
    after = [s for s in sessions if s.start.date() > change]
    assert before and after
    # The same wall-clock time is a different UTC instant on each side of the change.
    assert {s.start.utcoffset() for s in before} != {s.start.astimezone(NY).utcoffset() for s in after}
    assert len({s.start.astimezone(dt.UTC).time() for s in sessions}) == 2


def _count(callable_):
    with CaptureQueriesContext(connection) as ctx:
        callable_()
    return len(ctx.captured_queries)


@pytest.mark.usefixtures("frozen")
def test_booking_queries_do_not_grow_with_course_length(cleared_patient, clinician, django_assert_max_num_queries):
    other = clear(PatientFactory(), clinician)
    short = _count(
        lambda: course_book(patient=other, first_day=MONDAY, sessions_per_week=2, weeks=1, start_time=dt.time(8))
    )
    with django_assert_max_num_queries(short):
        course = course_book(
            patient=cleared_patient, first_day=MONDAY, sessions_per_week=3, weeks=6, start_time=dt.time(10)
        )
    assert course.sessions.count() == 18
    assert short <= 20


@pytest.mark.usefixtures("frozen")
def test_booking_queries_do_not_grow_with_existing_bookings(cleared_patient, clinician, chairs):
    first = clear(PatientFactory(), clinician)
    empty_book = _count(
        lambda: course_book(patient=first, first_day=MONDAY, sessions_per_week=3, weeks=6, start_time=dt.time(8))
    )
    # Fill the same weeks with many more bookings (chairs 2-6 at 11:00 and 14:00).
    for n in range(10):
        patient = clear(PatientFactory(), clinician)
        course_book(
            patient=patient,
            first_day=MONDAY + dt.timedelta(days=n % 2),
            sessions_per_week=2,
            weeks=6,
            start_time=dt.time(11) if n < 5 else dt.time(14),
        )
    assert Session.objects.count() > 100
    full_book = _count(
        lambda: course_book(
            patient=cleared_patient, first_day=MONDAY, sessions_per_week=3, weeks=6, start_time=dt.time(8)
        )
    )
    assert full_book == empty_book
