"""Email leaves the app over a real SMTP exchange (aiosmtpd as the local sink)."""

import email
import re
import socket

import pytest
from aiosmtpd.controller import Controller

from portal import services
from tests.factories import PatientFactory


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_sink(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    yield sink
    controller.stop()


def test_an_invitation_travels_over_smtp_with_text_and_html_parts(smtp_sink, front_desk):
    patient = PatientFactory(email="smtp-patient@example.com")
    services.patient_invite(patient=patient, invited_by=front_desk)
    assert len(smtp_sink.messages) == 1
    recipients, raw = smtp_sink.messages[0]
    assert recipients == ["smtp-patient@example.com"]
    message = email.message_from_bytes(raw)
    types = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html"} <= types
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert re.search(r"/accounts/invite/[\w-]+/", text)


def test_the_email_url_setting_configures_smtp():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(DJANGO_DEBUG="1", EMAIL_URL="smtp://mail.example:2525", DJANGO_SETTINGS_MODULE="portal.settings")
    code = "import django;django.setup();from django.conf import settings as s;print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["django.core.mail.backends.smtp.EmailBackend", "mail.example", "2525"]
