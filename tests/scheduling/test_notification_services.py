"""The booking services keep the outbox in step: booking, moving and cancelling sessions."""

import contextlib
import datetime as dt
import time

import pytest
from django.core import mail

from scheduling.models import Notification
from scheduling.notifications.dispatch import notifications_dispatch
from scheduling.services import course_book, session_cancel, session_reschedule
from tests.scheduling.helpers import MONDAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_dispatcher_wakeups")]
Kind, Status = Notification.Kind, Notification.Status


@pytest.fixture
def course(cleared_patient, chairs, frozen):
    return course_book(
        patient=cleared_patient, first_day=MONDAY, sessions_per_week=3, weeks=2, start_time=dt.time(10)
    )


def test_booking_a_course_writes_its_messages_in_the_same_transaction(course):
    sessions = list(course.sessions.all())
    rows = Notification.objects.filter(session__course=course)
    assert not rows.filter(kind=Kind.BOOKING_CONFIRMATION).exists()
    # The confirmation belongs to the course, not to its first session.
    assert course.notifications.filter(kind=Kind.BOOKING_CONFIRMATION, session=None).count() == 1
    assert rows.filter(kind=Kind.REMINDER).count() == rows.filter(kind=Kind.NO_DRIVING).count() == 6
    fifth = sessions[4]
    assert fifth.review_due
    assert list(rows.filter(kind=Kind.REVIEW_DUE).values_list("session_id", "audience")) == [(fifth.pk, "patient")]
    assert list(rows.filter(kind=Kind.REVIEW_DUE_CLINICIANS).values_list("session_id", "audience")) == [
        (fifth.pk, "clinicians")
    ]


def test_a_cancelled_session_never_gets_its_reminder_and_the_patient_is_told(course):
    first = course.sessions.first()
    session_cancel(session=first)
    sent = notifications_dispatch(now=first.start - dt.timedelta(hours=2))
    subjects = [m.subject for m in mail.outbox]
    assert sent == 2  # the confirmation and the cancellation notice
    assert any("booked" in s for s in subjects) and any("is cancelled" in s for s in subjects)
    assert first.notifications.get(kind=Kind.REMINDER).status == Status.CANCELLED
    assert first.notifications.get(kind=Kind.NO_DRIVING).status == Status.CANCELLED


def test_a_moved_session_is_reminded_at_its_new_time_only(course, frozen):
    first = course.sessions.first()
    old_start = first.start
    session_reschedule(session=first, day=MONDAY, start_time=dt.time(11))
    live = first.notifications.filter(kind=Kind.REMINDER, status=Status.PENDING)
    assert live.count() == 1
    assert live.get().send_at == first.start - dt.timedelta(hours=24)
    # Half an hour after the old reminder time, half an hour before the new one.
    assert notifications_dispatch(now=old_start - dt.timedelta(hours=23, minutes=30)) == 2  # confirmation + moved
    assert any("moved" in m.subject and "11:00 AM on Monday, December 7" in m.subject for m in mail.outbox)
    assert not any("Reminder" in m.subject for m in mail.outbox)


def test_when_a_cancellation_moves_the_review_point_the_new_one_gets_its_notice(course):
    sessions = list(course.sessions.all())
    session_cancel(session=sessions[1])
    sessions[5].refresh_from_db()
    assert sessions[5].review_due  # the 5th session that still counts
    notifications_dispatch(now=sessions[0].start - dt.timedelta(days=1))
    review = Notification.objects.filter(kind__in=[Kind.REVIEW_DUE, Kind.REVIEW_DUE_CLINICIANS]).exclude(
        status=Status.CANCELLED
    )
    assert sorted(review.values_list("session_id", "audience")) == [
        (sessions[5].pk, "clinicians"),
        (sessions[5].pk, "patient"),
    ]
    assert {row.send_at for row in review} == {sessions[5].end}


class _Broker:
    """Stands in for the Celery app: records what it is asked to send."""

    def __init__(self, fail=False):
        self.sent, self.fail = [], fail

    def connection_for_write(self, **options):
        return contextlib.nullcontext("a connection")

    def send_task(self, name, **options):
        if self.fail:
            raise ConnectionError("broker unreachable")
        self.sent.append((name, options))


def test_a_booking_wakes_the_dispatcher_by_its_task_name_once_committed(
    cleared_patient, chairs, frozen, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from portal.celery import app
    from scheduling.notifications import plan
    from scheduling.tasks import dispatch_notifications

    settings.NOTIFICATION_DISPATCH_ON_COMMIT = True
    broker = _Broker()
    monkeypatch.setattr(plan, "current_app", broker)
    with django_capture_on_commit_callbacks() as callbacks:
        course_book(patient=cleared_patient, first_day=MONDAY, sessions_per_week=2, weeks=1, start_time=dt.time(10))
        assert broker.sent == [], "nothing is woken before the booking commits"
    for callback in callbacks:
        callback()
    assert {name for name, _ in broker.sent} == {dispatch_notifications.name}
    assert dispatch_notifications.name in app.tasks


def test_a_broker_outage_while_waking_the_dispatcher_is_only_logged(settings, monkeypatch, caplog):
    from scheduling.notifications import plan

    settings.NOTIFICATION_DISPATCH_ON_COMMIT = True
    monkeypatch.setattr(plan, "current_app", _Broker(fail=True))
    plan.wake_dispatcher()  # no exception: beat sends the messages a minute later
    assert "Could not wake the notification dispatcher" in caplog.text


def test_waking_the_dispatcher_gives_up_at_once_when_the_broker_is_down(settings, monkeypatch, caplog):
    """kombu's own retries would hold a booking's response for about 6 s (found by `make drill`)."""
    from portal.celery import app
    from scheduling.notifications import plan

    settings.NOTIFICATION_DISPATCH_ON_COMMIT = True
    real = app.connection_for_write
    # The app's connection and producer pools are made lazily from connection_for_write: make them
    # now, so the patched address below reaches only the wake's own connection, not every later test.
    assert app.amqp.producer_pool is not None
    # The portal's own options, towards a Redis that is not there (nothing listens on port 1).
    monkeypatch.setattr(app, "connection_for_write", lambda **options: real(url="redis://127.0.0.1:1/0", **options))
    began = time.monotonic()
    plan.wake_dispatcher()
    assert time.monotonic() - began < 2
    assert "Could not wake the notification dispatcher" in caplog.text
