"""Dispatching the outbox: what is due goes out once, stale messages never, errors retried."""

import datetime as dt
import json
import smtplib
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import Patient
from scheduling import services
from scheduling.models import Notification
from scheduling.notifications import sms
from scheduling.notifications.dispatch import notifications_dispatch
from scheduling.notifications.plan import notifications_plan
from scheduling.notifications.services import notification_resend
from tests.factories import NotificationFactory
from tests.scheduling.helpers import clinic_time, make_session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_dispatcher_wakeups")]
Kind, Status = Notification.Kind, Notification.Status
START = clinic_time(2026, 3, 4, 10)


class RefusingBackend(LocmemBackend):
    """An SMTP server that answers 451 to everything."""

    def send_messages(self, messages):
        raise smtplib.SMTPDataError(451, b"Requested action aborted: try again later")


@pytest.fixture
def planned(patient):
    with time_machine.travel(clinic_time(2026, 3, 2, 9), tick=False):
        session = make_session(patient, START)
        notifications_plan(sessions=[session])
    Notification.objects.filter(kind=Kind.BOOKING_CONFIRMATION).delete()
    return session


def test_the_contract_dispatch_sends_what_is_due_and_records_now_as_sent_at(planned):
    now = START - dt.timedelta(hours=23)
    assert services.notifications_dispatch(now=now) == 1
    reminder = planned.notifications.get(kind=Kind.REMINDER)
    assert (reminder.status, reminder.sent_at) == (Status.SENT, now)
    assert planned.notifications.get(kind=Kind.NO_DRIVING).status == Status.PENDING
    assert services.notifications_dispatch(now=now) == 0
    assert len(mail.outbox) == 1


def test_nothing_is_sent_before_it_is_due(planned):
    assert notifications_dispatch(now=START - dt.timedelta(hours=25)) == 0
    assert mail.outbox == []


def test_a_reminder_whose_session_has_started_is_marked_expired_not_sent(planned):
    # The worker was down until after the session started.
    assert notifications_dispatch(now=START + dt.timedelta(minutes=5)) == 0
    reminder = planned.notifications.get(kind=Kind.REMINDER)
    assert reminder.status == Status.EXPIRED and reminder.sent_at is None
    assert mail.outbox == []


def test_a_late_no_driving_notice_is_still_sent_while_its_window_lasts(planned):
    late = planned.end + dt.timedelta(hours=3)
    assert notifications_dispatch(now=late) == 1
    assert "Do not drive" in mail.outbox[0].body and "drive" not in mail.outbox[0].subject
    assert planned.notifications.get(kind=Kind.NO_DRIVING).sent_at == late


def test_a_no_driving_notice_after_its_window_is_expired(planned):
    assert notifications_dispatch(now=planned.end + dt.timedelta(hours=12)) == 0
    assert planned.notifications.get(kind=Kind.NO_DRIVING).status == Status.EXPIRED


def test_the_email_has_a_plain_text_part_and_accessible_html(planned):
    notifications_dispatch(now=START - dt.timedelta(hours=1))
    (message,) = mail.outbox
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert '<html lang="en">' in html and "<title>" in html and "<h1>" in html
    assert "style=" not in html
    for step in ("Empty your bladder", "headphones", "responsible adult takes you home", "no bus, train, taxi or ride-share alone",
                 "Plan to be here until about 1:00 PM"):
        assert step in message.body and step in html
    assert message.extra_headers["X-Notification-ID"] == str(planned.notifications.get(kind=Kind.REMINDER).pk)


def test_the_booking_confirmation_lists_every_session_with_the_calendar_attached(patient):
    with time_machine.travel(clinic_time(2026, 3, 2, 9), tick=False):
        first = make_session(patient, START)
        second = make_session(patient, START + dt.timedelta(days=2), course=first.course)
        notifications_plan(sessions=[first, second])
        assert notifications_dispatch() == 1
    (message,) = mail.outbox
    assert "10:00 AM on Wednesday, March 4" in message.body and "10:00 AM on Friday, March 6" in message.body
    attachments = {name: (content, mimetype) for name, content, mimetype in message.attachments}
    content, mimetype = attachments["sessions.ics"]
    assert mimetype.startswith("text/calendar")
    text = content.decode() if isinstance(content, bytes) else content
    assert text.count("BEGIN:VEVENT") == 2


def test_one_bad_row_never_stops_the_batch(planned, patient):
    bad = make_session(patient, START + dt.timedelta(days=2))
    NotificationFactory(session=bad, kind="no_such_kind", send_at=START - dt.timedelta(days=2))
    assert notifications_dispatch(now=START - dt.timedelta(hours=1)) == 1
    broken = Notification.objects.get(kind="no_such_kind")
    assert broken.status == Status.FAILED and "no_such_kind" in broken.last_error
    assert planned.notifications.get(kind=Kind.REMINDER).status == Status.SENT


def test_a_refusing_smtp_server_is_retried_with_backoff_then_failed_for_staff(planned, settings):
    settings.EMAIL_BACKEND = "tests.scheduling.test_notification_dispatch.RefusingBackend"
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    now = START - dt.timedelta(hours=23)
    assert notifications_dispatch(now=now) == 0
    reminder = planned.notifications.get(kind=Kind.REMINDER)
    assert (reminder.status, reminder.attempts) == (Status.PENDING, 1)
    assert reminder.send_at == now + dt.timedelta(minutes=1)
    assert "451" in reminder.last_error

    notifications_dispatch(now=now + dt.timedelta(seconds=30))  # not yet due again
    reminder.refresh_from_db()
    assert reminder.attempts == 1

    notifications_dispatch(now=now + dt.timedelta(minutes=1))
    reminder.refresh_from_db()
    assert (reminder.attempts, reminder.send_at) == (2, now + dt.timedelta(minutes=3))

    notifications_dispatch(now=now + dt.timedelta(minutes=3))
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Status.FAILED, 3)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(now + dt.timedelta(minutes=5), tick=False):
        notification_resend(notification=reminder)
    assert notifications_dispatch(now=now + dt.timedelta(minutes=10)) == 1
    assert notifications_dispatch(now=now + dt.timedelta(minutes=20)) == 0
    assert len(mail.outbox) == 1


def test_rows_left_sending_by_a_killed_worker_are_reclaimed_after_a_few_minutes(planned):
    reminder = planned.notifications.get(kind=Kind.REMINDER)
    now = START - dt.timedelta(hours=1)
    with time_machine.travel(now, tick=False) as clock:
        Notification.objects.filter(pk=reminder.pk).update(status=Status.SENDING, claimed_at=now)
        assert notifications_dispatch() == 0  # another worker may still be sending it
        clock.shift(dt.timedelta(minutes=6))
        assert notifications_dispatch() == 1
    assert len(mail.outbox) == 1


def test_resending_is_only_for_failed_or_undeliverable_messages(planned):
    reminder = planned.notifications.get(kind=Kind.REMINDER)
    with pytest.raises(ValidationError, match="Only a failed or undeliverable"):
        notification_resend(notification=reminder)


def test_resending_an_undeliverable_message_uses_the_contact_details_added_since(db):
    unreachable = Patient.objects.create(first_name="Una", last_name="Reach", email="", phone="")
    with time_machine.travel(clinic_time(2026, 3, 2, 9), tick=False):
        session = make_session(unreachable, START)
        notifications_plan(sessions=[session])
        reminder = session.notifications.get(kind=Kind.REMINDER)
        with pytest.raises(ValidationError, match="Add an email address or a phone number"):
            notification_resend(notification=reminder)
        unreachable.email = "una@example.com"
        unreachable.save()
        notification_resend(notification=reminder)
        assert notifications_dispatch() == 1
    assert mail.outbox[0].to == ["una@example.com"]


def test_dispatch_queries_grow_by_one_per_notification(patient):
    with time_machine.travel(clinic_time(2026, 3, 2, 9), tick=False):
        sessions = [make_session(patient, START + dt.timedelta(days=2 * n)) for n in range(30)]
        notifications_plan(sessions=sessions)
    Notification.objects.exclude(kind=Kind.REMINDER).delete()
    ids = list(Notification.objects.order_by("pk").values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids[:5]).update(send_at=START - dt.timedelta(days=2))
    Notification.objects.filter(pk__in=ids[5:]).update(send_at=START + dt.timedelta(days=365))
    with CaptureQueriesContext(connection) as five:
        assert notifications_dispatch(now=START - dt.timedelta(days=1)) == 5
    Notification.objects.filter(pk__in=ids[5:]).update(send_at=START - dt.timedelta(days=2))
    with CaptureQueriesContext(connection) as twenty_five:
        assert notifications_dispatch(now=START - dt.timedelta(days=1)) == 25
    # One UPDATE per message, plus one claim check per CLAIM_CHECK_EVERY (20) messages.
    assert len(twenty_five) - len(five) == 20 + 1


class _Provider(BaseHTTPRequestHandler):
    received: list = []
    answer = 200

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append((self.headers["Authorization"], body))
        self.send_response(type(self).answer)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def provider(settings):
    server = HTTPServer(("127.0.0.1", 0), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Provider.received, _Provider.answer = [], 200
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{server.server_port}/messages"
    settings.SMS_HTTP_TOKEN = "provider-token"
    yield _Provider
    server.shutdown()
    server.server_close()


@pytest.fixture
def texter_session(db):
    texter = Patient.objects.create(first_name="Tex", last_name="Ter", email="", phone="(555) 010-0199")
    with time_machine.travel(clinic_time(2026, 3, 2, 9), tick=False):
        session = make_session(texter, START)
        notifications_plan(sessions=[session])
    Notification.objects.filter(kind=Kind.BOOKING_CONFIRMATION).delete()
    return session


def test_text_messages_go_to_the_http_provider_with_its_token(provider, texter_session):
    assert notifications_dispatch(now=START - dt.timedelta(hours=1)) == 1
    ((authorization, body),) = provider.received
    assert authorization == "Bearer provider-token"
    assert body["to"] == "+15550100199"
    assert "10:00 AM on Wednesday, March 4" in body["body"] and "responsible adult" in body["body"]


def test_a_busy_provider_is_retried_and_a_refusal_fails_at_once(provider, texter_session):
    provider.answer = 503
    notifications_dispatch(now=START - dt.timedelta(hours=2))
    reminder = texter_session.notifications.get(kind=Kind.REMINDER)
    assert (reminder.status, reminder.attempts) == (Status.PENDING, 1)
    provider.answer = 400
    notifications_dispatch(now=START - dt.timedelta(hours=1))
    reminder.refresh_from_db()
    assert reminder.status == Status.FAILED and "refused" in reminder.last_error


def test_phone_numbers_are_sent_in_international_form():
    assert sms.phone_e164("(555) 010-0199") == "+15550100199"
    assert sms.phone_e164("+44 20 7946 0958") == "+442079460958"
    with pytest.raises(ValidationError):
        sms.phone_e164("call me")


def test_names_are_escaped_in_the_html_part_and_kept_as_written_in_the_text(db):
    zoe = Patient.objects.create(first_name="Zoë <b>&", last_name="O'Neil", email="zoe@example.com")
    with time_machine.travel(clinic_time(2026, 3, 2, 9), tick=False):
        session = make_session(zoe, START)
        notifications_plan(sessions=[session])
    Notification.objects.filter(kind=Kind.BOOKING_CONFIRMATION).delete()
    notifications_dispatch(now=START - dt.timedelta(hours=1))
    (message,) = mail.outbox
    assert "Hello Zoë <b>&," in message.body
    assert "Hello Zoë &lt;b&gt;&amp;," in message.alternatives[0][0]
    assert "@@ntf-" not in message.body + message.alternatives[0][0] + message.subject


def test_a_no_show_gets_no_no_driving_notice(planned):
    from scheduling.models import SessionStatus

    planned.status = SessionStatus.NO_SHOW
    planned.save()
    assert notifications_dispatch(now=planned.end) == 0
    assert planned.notifications.get(kind=Kind.NO_DRIVING).status == Status.CANCELLED


@pytest.mark.parametrize("contact", [{"email": "every@example.com"}, {"phone": "(555) 010-0177"}])
def test_every_kind_of_message_renders_on_both_channels(contact, sms_outbox, clinician):
    person = Patient.objects.create(first_name="Eve", last_name="Ry", **contact)
    with time_machine.travel(clinic_time(2026, 3, 2, 9), tick=False):
        session = make_session(person, START, review_due=True)
        session.ride_home_name, session.ride_home_phone, session.ride_home_may_text = "Sam", "(555) 010-0188", True
        session.save()
        audiences = {Kind.REVIEW_DUE_CLINICIANS: "clinicians", Kind.RIDE_HOME: "ride_home"}
        for kind in Kind.values:
            audience = audiences.get(kind, "patient")
            NotificationFactory(
                session=session,
                kind=kind,
                audience=audience,
                channel="email" if audience == "clinicians" or ("email" in contact and audience == "patient") else "sms",
                send_at=clinic_time(2026, 3, 2, 8),
                session_sequence=99,
            )
        sent = notifications_dispatch()
    assert sent == len(Kind.values)
    bodies = [m.body for m in mail.outbox] + [m.body for m in sms_outbox]
    assert len(bodies) == len(Kind.values)
    for body in bodies:
        assert "10:00 AM on Wednesday, March 4" in body or "/me/" in body or "11:00 PM" in body or (
            "ready to be collected at about 1:00 PM" in body and "Sam" in body
        ), body
    assert not any("@@ntf-" in body for body in bodies)


class CancellingBackend(LocmemBackend):
    """Delivers, and on the first message the front desk cancels the last session of the batch."""

    victim = None

    def send_messages(self, messages):
        from scheduling.models import SessionStatus
        from scheduling.notifications.plan import notifications_cancel

        victim = type(self).victim
        if victim is not None:
            type(self).victim = None
            victim.status = SessionStatus.CANCELLED
            victim.save()
            notifications_cancel(sessions=[victim])
        return super().send_messages(messages)


def test_a_session_cancelled_while_its_reminder_is_claimed_does_not_get_it(patient, settings):
    with time_machine.travel(clinic_time(2026, 3, 2, 9), tick=False):
        sessions = [make_session(patient, START + dt.timedelta(days=2 * n)) for n in range(25)]
        notifications_plan(sessions=sessions)
    Notification.objects.exclude(kind=Kind.REMINDER).delete()
    Notification.objects.update(send_at=START - dt.timedelta(days=2))
    CancellingBackend.victim = sessions[-1]
    settings.EMAIL_BACKEND = "tests.scheduling.test_notification_dispatch.CancellingBackend"

    assert notifications_dispatch(now=START - dt.timedelta(days=1)) == 24
    assert sessions[-1].notifications.get(kind=Kind.REMINDER).status == Status.CANCELLED
    assert len(mail.outbox) == 24


def test_a_reminder_written_without_an_expiry_still_expires_when_its_session_starts(patient):
    session = make_session(patient, START)
    reminder = NotificationFactory(session=session, kind=Kind.REMINDER, send_at=START - dt.timedelta(days=1))
    notice = NotificationFactory(session=session, kind=Kind.NO_DRIVING, send_at=session.end)
    assert notifications_dispatch(now=START + dt.timedelta(hours=2)) == 1
    reminder.refresh_from_db()
    notice.refresh_from_db()
    assert (reminder.status, notice.status) == (Status.EXPIRED, Status.SENT)
