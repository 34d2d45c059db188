"""Bookings racing for the last free chair slot, each thread on its own
PostgreSQL connection: exactly one wins, the others get a friendly ValidationError,
and the database holds no overlap afterwards."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from scheduling.models import Chair, Session
from scheduling.services import course_book
from tests.factories import PatientFactory
from tests.race import failures, race, successes
from tests.scheduling.helpers import MONDAY, clear

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 12


def test_racing_bookings_for_the_last_free_chair_slot_let_exactly_one_win(chairs, clinician, frozen):
    # One chair left in service, and each racer a different cleared patient.
    Chair.objects.exclude(pk=chairs[0].pk).update(active=False)
    patients = [clear(PatientFactory(), clinician) for _ in range(THREADS)]

    def book(patient):
        return course_book(patient=patient, first_day=MONDAY, sessions_per_week=2, weeks=1, start_time=dt.time(10))

    outcomes = race(book, patients)
    wins = successes(outcomes)
    refusals = [" ".join(exc.messages) for exc in failures(outcomes) if isinstance(exc, ValidationError)]
    crashes = [repr(exc) for exc in failures(outcomes) if not isinstance(exc, ValidationError)]

    assert not crashes, crashes
    assert len(wins) == 1
    assert len(refusals) == THREADS - 1
    assert all("nothing was booked" in message.lower() for message in refusals), refusals
    assert Session.objects.count() == 2
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM scheduling_session a JOIN scheduling_session b
              ON a.id < b.id AND a.chair_id = b.chair_id
             AND tstzrange(a.start, a.occupied_until) && tstzrange(b.start, b.occupied_until)
             WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'
            """
        )
        assert cursor.fetchone()[0] == 0


def test_racing_bookings_of_one_patient_book_one_course(chairs, clinician, frozen):
    patient = clear(PatientFactory(), clinician)

    def book():
        return course_book(patient=patient, first_day=MONDAY, sessions_per_week=2, weeks=1, start_time=dt.time(10))

    outcomes = race(book, THREADS)
    wins = successes(outcomes)
    refusals = [exc for exc in failures(outcomes) if isinstance(exc, ValidationError)]
    crashes = [repr(exc) for exc in failures(outcomes) if not isinstance(exc, ValidationError)]
    assert not crashes, crashes
    assert len(wins) == 1 and len(refusals) == THREADS - 1
    assert Session.objects.filter(patient=patient).count() == 2
