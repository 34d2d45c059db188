"""Bookings racing for the last free chair slot, each thread on its own
PostgreSQL connection: exactly one wins, the others get a friendly ValidationError,
and the database holds no overlap afterwards."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from scheduling.models import Chair, Session
from scheduling.services import course_book
from tests.factories import PatientFactory
from tests.scheduling.conftest import MONDAY, clear

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 12


def test_racing_bookings_for_the_last_free_chair_slot_let_exactly_one_win(chairs, clinician, frozen):
    # One chair left in service, and each racer a different cleared patient.
    Chair.objects.exclude(pk=chairs[0].pk).update(active=False)
    patients = [clear(PatientFactory(), clinician) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    wins, refusals, crashes = [], [], []

    def race(patient):
        try:
            barrier.wait(timeout=20)
            course = course_book(
                patient=patient, first_day=MONDAY, sessions_per_week=2, weeks=1, start_time=dt.time(10)
            )
            wins.append(course)
        except ValidationError as exc:
            refusals.append(" ".join(exc.messages))
        except Exception as exc:  # noqa: BLE001 - any other failure is a test failure below
            crashes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=race, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

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
    barrier = threading.Barrier(THREADS)
    wins, refusals, crashes = [], [], []

    def race(n):
        try:
            barrier.wait(timeout=20)
            wins.append(
                course_book(patient=patient, first_day=MONDAY, sessions_per_week=2, weeks=1, start_time=dt.time(10))
            )
        except ValidationError as exc:
            refusals.append(exc)
        except Exception as exc:  # noqa: BLE001
            crashes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=race, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not crashes, crashes
    assert len(wins) == 1 and len(refusals) == THREADS - 1
    assert Session.objects.filter(patient=patient).count() == 2
