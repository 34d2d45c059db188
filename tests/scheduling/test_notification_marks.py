"""Marking each message sent right after its send, and what happens when that mark fails."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from scheduling.models import Notification
from scheduling.notifications import dispatch
from scheduling.notifications.dispatch import notifications_dispatch
from scheduling.notifications.plan import notifications_plan
from tests.scheduling.helpers import clinic_time, make_session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_dispatcher_wakeups")]
Kind, Status = Notification.Kind, Notification.Status
START = clinic_time(2026, 3, 4, 10)
NOW = START - dt.timedelta(days=1)


@pytest.fixture
def three_reminders(patient):
    with time_machine.travel(clinic_time(2026, 3, 2, 9), tick=False):
        sessions = [make_session(patient, START + dt.timedelta(days=2 * n)) for n in range(3)]
        notifications_plan(sessions=sessions)
    Notification.objects.exclude(kind=Kind.REMINDER).delete()
    Notification.objects.update(send_at=NOW - dt.timedelta(hours=1))
    return list(Notification.objects.order_by("pk"))


def test_each_message_is_marked_by_its_own_update_right_after_its_send(three_reminders):
    with CaptureQueriesContext(connection) as queries:
        assert notifications_dispatch(now=NOW) == 3
    marks = [q["sql"] for q in queries if q["sql"].startswith("""UPDATE "scheduling_notification" SET "status" = 'sent'""")]
    assert len(marks) == 3
    assert set(Notification.objects.values_list("status", "sent_at")) == {(Status.SENT, NOW)}
    assert len(mail.outbox) == 3


def test_a_sent_message_whose_mark_fails_is_not_sent_again_at_the_next_beat(three_reminders, monkeypatch):
    real_mark = dispatch._mark
    calls = []

    def mark_failing_once(row, status, note, now):
        calls.append(row.pk)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_mark(row, status, note, now)

    monkeypatch.setattr(dispatch, "_mark", mark_failing_once)
    assert notifications_dispatch(now=NOW) == 0
    assert len(mail.outbox) == 1, "nothing more goes out once a mark has failed"
    first = three_reminders[0].pk
    statuses = dict(Notification.objects.values_list("pk", "status"))
    assert statuses[first] == Status.SENDING, "left for the reclaimer, not given back as pending"
    assert {statuses[r.pk] for r in three_reminders[1:]} == {Status.PENDING}

    monkeypatch.setattr(dispatch, "_mark", real_mark)
    assert notifications_dispatch(now=NOW + dt.timedelta(minutes=1)) == 2
    assert [m.extra_headers["X-Notification-ID"] for m in mail.outbox].count(str(first)) == 1


def test_a_run_past_its_time_budget_gives_back_the_rest_of_its_batch(three_reminders, settings, monkeypatch):
    settings.NOTIFICATION_TIME_BUDGET_SECONDS = 30
    clock = iter([0.0, 1.0, 31.0, 31.0, 31.0, 31.0])  # the start, then one check per row
    monkeypatch.setattr(dispatch, "monotonic", lambda: next(clock, 31.0))
    assert notifications_dispatch(now=NOW) == 1
    statuses = [Notification.objects.get(pk=r.pk).status for r in three_reminders]
    assert statuses == [Status.SENT, Status.PENDING, Status.PENDING]
