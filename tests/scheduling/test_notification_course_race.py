"""Cancellations of several sessions of one course at the same moment, each thread on its
own PostgreSQL connection: every one succeeds and each gets its own course-level notice."""

import datetime as dt

import pytest

from scheduling.models import Notification
from scheduling.services import course_book, session_cancel
from tests.race import failures, race
from tests.scheduling.helpers import MONDAY

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quiet_dispatcher_wakeups")]


def test_racing_cancellations_in_one_course_each_write_their_own_notice(cleared_patient, chairs, frozen):
    course = course_book(
        patient=cleared_patient, first_day=MONDAY, sessions_per_week=2, weeks=2, start_time=dt.time(10)
    )
    sessions = list(course.sessions.all())
    crashes = [repr(exc) for exc in failures(race(lambda session: session_cancel(session=session), sessions))]

    assert not crashes, crashes
    notices = Notification.objects.filter(kind=Notification.Kind.CANCELLED)
    assert sorted(notices.values_list("session_sequence", flat=True)) == [0, 1, 2, 3]
    assert sorted(pk for n in notices for pk in n.session_ids) == sorted(s.pk for s in sessions)
    assert not notices.filter(session__isnull=False).exists()
