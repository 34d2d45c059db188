"""Marking each message sent right after its send: on PostgreSQL through a prepared
statement that the dispatcher prepares for its run and releases after it."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling.models import Notification
from scheduling.notifications import notifications_dispatch, notifications_plan
from tests.scheduling.test_notification_support import (  # noqa: F401
    _quiet_dispatcher_wakeups,
    clinic_time,
    make_session,
)

pytestmark = pytest.mark.django_db
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


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return [name for (name,) in cursor.fetchall()]


def _statements(queries, start: str) -> int:
    return sum(query["sql"].startswith(start) for query in queries)


def test_each_message_is_marked_by_the_prepared_statement_which_is_released_after_the_run(three_reminders):
    with CaptureQueriesContext(connection) as queries:
        assert notifications_dispatch(now=NOW) == 3
    assert _statements(queries, "PREPARE notification_mark_sent") == 1
    assert _statements(queries, "EXECUTE notification_mark_sent") == 3
    assert "notification_mark_sent" not in _prepared()
    assert set(Notification.objects.values_list("status", "sent_at")) == {(Status.SENT, NOW)}
    assert len(mail.outbox) == 3


def test_a_statement_left_on_the_connection_by_an_interrupted_run_is_used_not_prepared_again(three_reminders):
    with connection.cursor() as cursor:
        cursor.execute(
            "PREPARE notification_mark_sent AS UPDATE scheduling_notification SET status = $1, sent_at = $2,"
            " claimed_at = NULL, last_error = '' WHERE id = $3"
        )
    with CaptureQueriesContext(connection) as queries:
        assert notifications_dispatch(now=NOW) == 3
    assert _statements(queries, "PREPARE") == 0 and _statements(queries, "EXECUTE notification_mark_sent") == 3
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}


def test_a_run_with_nothing_due_prepares_nothing(three_reminders):
    with CaptureQueriesContext(connection) as queries:
        assert notifications_dispatch(now=NOW - dt.timedelta(days=1)) == 0
    assert _statements(queries, "PREPARE") == 0 and _statements(queries, "SELECT 1 FROM pg_prepared_statements") == 0


def test_behind_a_transaction_pooler_each_mark_is_a_plain_update(three_reminders, monkeypatch):
    # PgBouncer in transaction mode: Django's documented setting for it; a statement
    # prepared in one server session would not be there for the next transaction.
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    with CaptureQueriesContext(connection) as queries:
        assert notifications_dispatch(now=NOW) == 3
    assert _statements(queries, "PREPARE") == 0 and _statements(queries, "EXECUTE") == 0
    assert _statements(queries, "UPDATE scheduling_notification SET status = 'sent'") == 3
    assert set(Notification.objects.values_list("status", "sent_at")) == {(Status.SENT, NOW)}
