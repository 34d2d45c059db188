import datetime as dt

from django.core.management import call_command

from scheduling.models import Chair, ClosedDay, Course, Session
from tests.scheduling.helpers import NOW, NY


def test_seed_demo_books_one_course_for_the_demo_patient_and_is_idempotent(db, frozen, capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    assert list(Chair.objects.values_list("name", flat=True)) == [f"Chair {n}" for n in range(1, 7)]
    course = Course.objects.get(patient__email="patient@clinic.example")
    # Six weeks from late November cross four federal holidays (closed): 3 a week cannot fit every
    # week, so the demo books 2 a week (18 at most, never on a closed day).
    assert course.first_day > NOW.date() and course.sessions.count() == course.sessions_per_week * 6
    assert course.sessions_per_week in (2, 3)
    closed = set(ClosedDay.objects.values_list("date", flat=True))
    assert not {s.start.astimezone(NY).date() for s in course.sessions.all()} & closed
    assert {s.start.astimezone(NY).time() for s in Session.objects.all()} == {dt.time(10)}
    assert "Booked a demo course" in capsys.readouterr().out
