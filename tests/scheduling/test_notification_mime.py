"""The dispatcher builds each email's MIME tree from copied parts rather than through
Django's classes one header at a time: what goes on the wire must be byte for byte what
Django's own EmailMultiAlternatives would have sent."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import BadHeaderError

from portal.models import Patient
from scheduling.models import Notification
from scheduling.notifications import NotificationEmail, notifications_dispatch, notifications_plan
from tests.scheduling.test_notification_support import (  # noqa: F401
    _quiet_dispatcher_wakeups,
    clinic_time,
    make_session,
)

Kind = Notification.Kind
START = clinic_time(2026, 3, 4, 10)
LONG_LINE = "word " * 250  # 1,250 characters on one line: Django switches to quoted-printable


def _wire(message) -> list[bytes]:
    """The bytes an SMTP backend would send, with a fixed multipart boundary (Django draws
    a random one when the message is serialised)."""
    mime = message.message()
    for part in mime.walk():
        if part.is_multipart():
            part.set_boundary("==boundary==")
    return [mime.as_bytes(linesep="\r\n"), mime.as_bytes(), mime.as_string().encode("utf-8", "surrogateescape")]


def _pair(*, subject, body, html, to, headers=None, encoding=None):
    headers = headers or {"Message-ID": "<n1.1@clinic.example>", "X-Notification-ID": "1"}
    built = []
    for cls in (NotificationEmail, EmailMultiAlternatives):
        with time_machine.travel(dt.datetime(2026, 3, 3, 12, 0, 5, tzinfo=dt.UTC), tick=False):
            message = cls(subject=subject, body=body, to=to, headers=dict(headers))
            message.encoding = encoding
            message.attach_alternative(html, "text/html")
            built.append(_wire(message))
    return built


@pytest.mark.parametrize(
    "subject, body, html, to",
    [
        ("Clinic: Reminder at 10:00 AM", "Hello Alice,\nSee you.\n", "<p>Hello Alice</p>\n", ["a@example.com"]),
        ("Clinic: Rappel — Zoë", "Hello Zoë — see you\n", "<p>Zoë &amp; co</p>", ["zoe@example.com"]),
        ("Clinic: " + "a very long subject line " * 6, "Body\r\nwith CRLF\r\n", "<p>x</p>", ["a@example.com"]),
        ("Clinic: long lines", LONG_LINE + "\nend\n", "<p>" + LONG_LINE + "</p>", ["a@example.com"]),
        ("Clinic: long and accented", "é" * 600 + "\n", "<p>" + "é" * 600 + "</p>", ["a@example.com"]),
        ("Clinic: just under", "x" * 998 + "\n" + "y" * 998, "<p>ok</p>", ["a@example.com"]),
        ("Clinic: two readers", "Hi\n", "<p>Hi</p>", ["a@example.com", "Zoë Smith <zoe@exämple.com>"]),
        ("Clinic: odd separators", "one\x0btwo\u2028three\x85four\n", "<p>\u2029</p>", ["a@example.com"]),
    ],
    ids=["ascii", "accented", "folded-subject", "long-lines", "long-accented", "998", "two-readers", "separators"],
)
def test_the_bytes_on_the_wire_are_those_django_would_send(subject, body, html, to):
    ours, djangos = _pair(subject=subject, body=body, html=html, to=to)
    assert ours == djangos


def test_other_headers_are_left_to_django():
    ours, djangos = _pair(
        subject="Clinic: x",
        body="Hi\n",
        html="<p>Hi</p>",
        to=["a@example.com"],
        headers={"Message-ID": "<n1@x>", "X-Notification-ID": "1", "Reply-To": "desk@example.com"},
    )
    assert ours == djangos


def test_a_subject_with_a_line_break_is_still_refused():
    message = NotificationEmail(
        subject="Hi\nBcc: everyone@example.com",
        body="x",
        to=["a@example.com"],
        headers={"Message-ID": "<n1@x>", "X-Notification-ID": "1"},
    )
    message.attach_alternative("<p>x</p>", "text/html")
    with pytest.raises(BadHeaderError):
        message.message()


def test_each_message_gets_its_own_headers_and_parts():
    def build(n):
        message = NotificationEmail(
            subject=f"S{n}",
            body=f"B{n}",
            to=[f"{n}@example.com"],
            headers={"Message-ID": f"<n{n}@x>", "X-Notification-ID": str(n)},
        )
        message.attach_alternative(f"<p>{n}</p>", "text/html")
        return message.message()

    first = build(1)
    first["X-Added"] = "1"
    first.get_payload()[0]["X-Part"] = "1"
    second = build(2)
    assert "X-Added" not in second and "X-Part" not in second.get_payload()[0]
    assert second["Subject"] == "S2" and second.get_payload()[1].get_payload() == "<p>2</p>"
    assert first["Subject"] == "S1" and first.get_payload()[0].get_payload() == "B1"


@pytest.mark.parametrize("kind", [Kind.REMINDER, Kind.NO_DRIVING, Kind.BOOKING_CONFIRMATION])
def test_dispatched_notifications_are_what_django_would_have_built(kind, db):
    zoe = Patient.objects.create(first_name="Zoë <b>&", last_name="O'Neil", email="zoe@example.com")
    with time_machine.travel(clinic_time(2026, 3, 2, 9), tick=False):
        session = make_session(zoe, START)
        notifications_plan(sessions=[session])
    Notification.objects.exclude(kind=kind).delete()
    row = Notification.objects.get()
    notifications_dispatch(now=max(row.send_at, clinic_time(2026, 3, 2, 9)))
    (sent,) = mail.outbox
    assert isinstance(sent, NotificationEmail)
    plain = EmailMultiAlternatives(
        subject=sent.subject,
        body=sent.body,
        to=sent.to,
        headers=dict(sent.extra_headers),
        alternatives=sent.alternatives,
        attachments=sent.attachments,
    )
    with time_machine.travel(dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC), tick=False):
        assert _wire(sent) == _wire(plain)


@pytest.mark.parametrize("encoding", ["UTF-8", "iso-8859-1"])
def test_a_message_in_another_encoding_is_left_to_django(encoding):
    ours, djangos = _pair(
        subject="Clinic: Zoë", body="Zoë\n", html="<p>Zoë</p>", to=["a@example.com"], encoding=encoding
    )
    assert ours == djangos
