"""What a patient's mail program receives: the bytes an SMTP backend would send, read back
as a mail program reads them (headers, the plain text and HTML parts, the calendar file)."""

import email
from email import policy

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from portal.models import Patient
from scheduling.models import Notification
from scheduling.notifications.dispatch import notifications_dispatch
from scheduling.notifications.plan import notifications_plan
from tests.scheduling.helpers import clinic_time, make_session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_dispatcher_wakeups")]
Kind, Status = Notification.Kind, Notification.Status
START = clinic_time(2026, 3, 4, 10)
# The clock time each message names: the session's start, or the end of the no-driving window.
WHEN = {
    Kind.REMINDER: "10:00 AM on Wednesday, March 4",
    Kind.BOOKING_CONFIRMATION: "10:00 AM on Wednesday, March 4",
    Kind.NO_DRIVING: "11:00 PM on Wednesday, March 4",
}


def _received(message: EmailMultiAlternatives) -> email.message.EmailMessage:
    """The message as the SMTP backend serialises it, parsed back by a mail program."""
    return email.message_from_bytes(message.message().as_bytes(linesep="\r\n"), policy=policy.default)


def _dispatch_one(patient, kind) -> tuple[Notification, EmailMultiAlternatives]:
    with time_machine.travel(clinic_time(2026, 3, 2, 9), tick=False):
        session = make_session(patient, START)
        notifications_plan(sessions=[session])
    Notification.objects.exclude(kind=kind).delete()
    row = Notification.objects.get()
    now = max(row.send_at, clinic_time(2026, 3, 2, 9))
    with time_machine.travel(now, tick=False):
        assert notifications_dispatch(now=now) == 1
    (sent,) = mail.outbox
    return row, sent


@pytest.mark.parametrize("kind", [Kind.REMINDER, Kind.NO_DRIVING, Kind.BOOKING_CONFIRMATION])
def test_the_recipient_gets_the_headers_and_both_parts(kind, settings):
    zoe = Patient.objects.create(first_name="Zoë <b>&", last_name="O'Neil", email="zoe@example.com")
    row, sent = _dispatch_one(zoe, kind)
    received = _received(sent)

    assert received["To"] == "zoe@example.com"
    assert received["From"] == settings.DEFAULT_FROM_EMAIL
    assert received["Subject"] == sent.subject and settings.CLINIC_MESSAGE_NAME in sent.subject
    assert received["X-Notification-ID"] == str(row.pk)
    assert f".n{row.pk}@" in received["Message-ID"] and received["Date"]
    body = received.get_body(preferencelist=("related", "plain"))
    html = received.get_body(preferencelist=("html",))
    assert body.get_content_type() == "text/plain" and body.get_content_charset() == "utf-8"
    assert html.get_content_type() == "text/html" and html.get_content_charset() == "utf-8"
    assert body.get_content().replace("\r\n", "\n") == sent.body
    assert html.get_content().replace("\r\n", "\n") == sent.alternatives[0][0]
    assert "Hello Zoë <b>&," in body.get_content()
    assert "Hello Zoë &lt;b&gt;&amp;," in html.get_content()
    assert WHEN[kind] in body.get_content() and WHEN[kind] in html.get_content()


def test_the_booking_confirmation_carries_the_course_calendar(patient):
    _, sent = _dispatch_one(patient, Kind.BOOKING_CONFIRMATION)
    received = _received(sent)
    (calendar,) = list(received.iter_attachments())
    assert calendar.get_filename() == "sessions.ics"
    assert calendar.get_content_type() == "text/calendar"
    text = calendar.get_content()
    assert text.count("BEGIN:VEVENT") == 1 and "STATUS:CONFIRMED" in text


def test_a_session_message_has_no_attachment(patient):
    _, sent = _dispatch_one(patient, Kind.REMINDER)
    received = _received(sent)
    assert received.get_content_type() == "multipart/alternative"
    assert list(received.iter_attachments()) == []


def test_a_name_with_a_line_break_never_adds_a_header(patient, clinician, caplog):
    patient.last_name = "Archer\nBcc: everyone@example.com"
    patient.save()
    with time_machine.travel(clinic_time(2026, 3, 2, 9), tick=False):
        session = make_session(patient, START, review_due=True)
        notifications_plan(sessions=[session])
    Notification.objects.exclude(kind=Kind.REVIEW_DUE_CLINICIANS).delete()
    notifications_dispatch(now=session.end)
    # The clinicians' subject never names the patient (issue 16), so the name's line break reaches
    # no header: the message goes out with no Bcc, the name only in its body.
    (sent,) = mail.outbox
    received = _received(sent)
    assert received["Bcc"] is None and "Archer" not in received["Subject"]
    assert Notification.objects.get().status == Status.SENT
    # The log lines carry no patient's name.
    assert "Archer" not in caplog.text
