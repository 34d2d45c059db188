"""Reliability drills on real PostgreSQL, Redis, SMTP (aiosmtpd) and a real Celery worker.

1. Two dispatchers at once over the same due rows: each message goes out exactly once.
2. A Celery worker killed with SIGKILL in the middle of a batch, then restarted: every
   due message goes out exactly once.
3. Redis unreachable while a course is booked: the booking succeeds, and the messages
   go out once Redis is back.
4. The SMTP server refuses: retries, then failed; nothing lost and nothing sent twice
   once it accepts again.

The worker drills start `celery -A portal worker` (a few seconds each): they are the
slow ones of this suite, kept in it on purpose.
"""

import asyncio
import datetime as dt
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.utils import timezone

from scheduling.models import Notification
from scheduling.notifications.dispatch import notifications_dispatch
from scheduling.notifications.plan import notifications_plan
from scheduling.notifications.services import notification_resend
from scheduling.tasks import dispatch_notifications
from tests.race import failures, race, successes
from tests.scheduling.helpers import make_session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quiet_dispatcher_wakeups")]
Kind, Status = Notification.Kind, Notification.Status
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """An SMTP server that records what it accepts; it can refuse, or hold one message."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse_with: str | None = None
        self.hold_at: int | None = None  # hold the message arriving when this many were accepted
        self.holding = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_with:
            return self.refuse_with
        if self.hold_at is not None and len(self.messages) == self.hold_at:
            self.hold_at = None
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
            # The sender died before the end of the exchange: nothing was delivered.
            return "451 Connection lost before the message was complete"
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def ids(self) -> list[str]:
        return [m["X-Notification-ID"] for m in self.messages]


@pytest.fixture
def sink(settings):
    handler = Sink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    handler.port = port
    yield handler
    handler.release.set()
    controller.stop()


def due_reminders(patient, count: int) -> list[int]:
    """`count` reminders due now, for sessions a few days ahead."""
    start = (timezone.now() + dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    sessions = [make_session(patient, start + dt.timedelta(days=2 * n)) for n in range(count)]
    notifications_plan(sessions=sessions)
    Notification.objects.exclude(kind=Kind.REMINDER).delete()
    Notification.objects.update(send_at=timezone.now() - dt.timedelta(minutes=1))
    return sorted(str(pk) for pk in Notification.objects.values_list("pk", flat=True))


class Worker:
    """A real `celery -A portal worker` on the test database, the test Redis and the sink."""

    def __init__(self, smtp_port: int, queue: str):
        self.queue = queue
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="portal.settings",
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY="tests-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            DJANGO_SECURE_SSL_REDIRECT="0",
            DATABASE_URL=f"postgres:///{connection.settings_dict['NAME']}",
            REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
            LOG_LEVEL="WARNING",
        )
        self.log = open(ROOT / "var" / "notification-drill-worker.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A", "portal", "worker", "--pool=solo", "--concurrency=1", "-Q", queue,
                "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=WARNING",
            ],
            cwd=ROOT, env=env, stdout=self.log, stderr=self.log, start_new_session=True,
        )

    def dispatch(self):
        """What beat does every minute, on this worker's queue."""
        dispatch_notifications.apply_async(queue=self.queue)

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture
def workers(sink):
    (ROOT / "var").mkdir(exist_ok=True)
    started: list[Worker] = []
    queue = f"drill-{uuid.uuid4().hex[:8]}"

    def start() -> Worker:
        worker = Worker(sink.port, queue)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_for(condition, timeout=45.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"Timed out waiting for {what}")


def test_a_real_smtp_exchange_delivers_plain_text_and_html_parts(sink, patient):
    (pk,) = due_reminders(patient, 1)
    assert notifications_dispatch() == 1
    (message,) = sink.messages
    assert message["To"] == patient.email and message["X-Notification-ID"] == pk
    assert message.is_multipart()
    parts = {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}
    assert "Empty your bladder" in parts["text/plain"]
    assert "<h1>" in parts["text/html"] and 'lang="en"' in parts["text/html"]


def test_drill_1_two_dispatchers_at_once_send_each_message_exactly_once(sink, patient):
    expected = due_reminders(patient, 60)
    outcomes = race(lambda: notifications_dispatch(batch_size=7), 2)  # each on its own connection
    results, errors = successes(outcomes), failures(outcomes)
    assert errors == []
    assert sum(results) == 60 and all(results), results  # both really took part
    assert sorted(sink.ids()) == expected  # no message twice, none missing
    assert Notification.objects.filter(status=Status.SENT).count() == 60


def test_drill_2_a_worker_killed_mid_batch_and_restarted_sends_every_message_exactly_once(sink, workers, patient):
    expected = due_reminders(patient, 12)
    sink.hold_at = 5  # the sixth message is in flight when the worker dies
    worker = workers()
    worker.dispatch()
    assert sink.holding.wait(timeout=45), "the worker never started the batch"
    worker.kill()
    sink.release.set()
    assert len(sink.messages) == 5
    assert Notification.objects.filter(status=Status.SENT).count() == 5
    assert Notification.objects.filter(status=Status.SENDING).count() == 7  # claimed by the dead worker

    # A few minutes pass: the dead worker's claim is old enough to be taken back.
    Notification.objects.filter(status=Status.SENDING).update(claimed_at=timezone.now() - dt.timedelta(minutes=10))
    restarted = workers()
    restarted.dispatch()
    wait_for(lambda: Notification.objects.filter(status=Status.SENT).count() == 12, what="every message sent")
    assert sorted(sink.ids()) == expected


def test_drill_3_a_booking_succeeds_while_redis_is_unreachable_and_its_messages_go_out_when_it_is_back(
    sink, workers, cleared_patient, chairs, settings
):
    from portal.celery import app as celery_app
    from scheduling.services import course_book

    settings.NOTIFICATION_DISPATCH_ON_COMMIT = True  # booking wakes the dispatcher after commit
    real_broker = celery_app.conf.broker_url
    celery_app.close()
    celery_app.conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    try:
        today = timezone.localdate()
        monday = today + dt.timedelta(days=7 - today.weekday() + 7)
        course = course_book(
            patient=cleared_patient, first_day=monday, sessions_per_week=2, weeks=1, start_time=dt.time(10)
        )
    finally:
        celery_app.close()
        celery_app.conf.broker_url = real_broker

    assert course.sessions.count() == 2
    confirmation = Notification.objects.get(course=course, kind=Kind.BOOKING_CONFIRMATION)
    assert confirmation.status == Status.PENDING  # safe in PostgreSQL, waiting for the dispatcher
    assert sink.messages == []

    worker = workers()  # Redis is back; beat's next tick wakes the dispatcher
    worker.dispatch()
    wait_for(lambda: Notification.objects.filter(pk=confirmation.pk, status=Status.SENT).exists(), what="the confirmation")
    assert sink.ids() == [str(confirmation.pk)]
    assert "booked" in sink.messages[0]["Subject"]
    # The reminders are not due yet: they stay queued, not lost.
    assert Notification.objects.filter(session__course=course, kind=Kind.REMINDER, status=Status.PENDING).count() == 2


def test_drill_4_a_refusing_smtp_server_means_retries_then_failed_and_nothing_twice_once_it_accepts(
    sink, patient, settings
):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    expected = due_reminders(patient, 3)
    now = timezone.now()
    sink.refuse_with = "451 4.3.0 Mail server temporarily rejected message"
    assert notifications_dispatch(now=now) == 0
    assert set(Notification.objects.values_list("status", "attempts")) == {(Status.PENDING, 1)}
    assert notifications_dispatch(now=now + dt.timedelta(minutes=1)) == 0
    sink.refuse_with = "554 5.7.1 Message rejected"
    assert notifications_dispatch(now=now + dt.timedelta(minutes=3)) == 0
    rows = list(Notification.objects.all())
    assert {(r.status, r.attempts) for r in rows} == {(Status.FAILED, 3)}
    assert all("554" in r.last_error for r in rows)
    assert sink.messages == []

    sink.refuse_with = None
    assert notifications_dispatch(now=now + dt.timedelta(hours=1)) == 0  # failed stays failed until staff act
    for row in rows:
        notification_resend(notification=row)
    # Staff queued all three again: they go out, once.
    assert notifications_dispatch() == 3
    assert notifications_dispatch() == 0
    assert sorted(sink.ids()) == expected
    assert Notification.objects.filter(status=Status.SENT).count() == 3


def test_a_refusal_once_is_retried_and_sent_once(sink, patient):
    (pk,) = due_reminders(patient, 1)
    now = timezone.now()
    sink.refuse_with = "451 try again later"
    notifications_dispatch(now=now)
    sink.refuse_with = None
    assert notifications_dispatch(now=now + dt.timedelta(minutes=1)) == 1
    assert notifications_dispatch(now=now + dt.timedelta(minutes=10)) == 0
    assert sink.ids() == [pk]
    assert Notification.objects.get().attempts == 1


def test_the_dispatch_task_is_late_acknowledged_time_limited_and_json_only():
    task = dispatch_notifications
    assert task.acks_late and task.reject_on_worker_lost
    # Limits come from settings alone (CELERY_TASK_*_TIME_LIMIT), never a per-task literal.
    assert task.soft_time_limit is None and task.time_limit is None
    assert task.app.conf.task_soft_time_limit < task.app.conf.task_time_limit
    assert task.serializer == "json"
