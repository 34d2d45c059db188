"""Pluggable text-message (SMS) backends, chosen by settings, like Django's email backends.

Settings:

- ``SMS_BACKEND``: a dotted path, or one of the short names ``"console"`` (default: prints
  the message, for development), ``"locmem"`` (keeps messages in ``outbox`` here, for
  tests), ``"file"`` (one file a message in ``SMS_FILE_PATH``: ``make run``) and ``"http"``
  (the provider below).
- ``SMS_HTTP_URL`` and ``SMS_HTTP_TOKEN``: the HTTP provider's endpoint and bearer token.
  The provider receives ``POST {"to": "+15550100100", "body": "..."}`` as JSON.
- ``SMS_HTTP_TIMEOUT``: seconds (default 10).

A backend raises ``SmsTransientError`` when trying again later may work (network trouble,
the provider's 5xx or 429) and ``SmsPermanentError`` when it will not (the provider refused
the number or the message); the dispatcher retries the first with backoff and marks the
second failed at once.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.module_loading import import_string

from portal.services import phone_normalise


class SmsError(Exception):
    """Sending a text message did not work."""


class SmsTransientError(SmsError):
    """Trying again later may work."""


class SmsPermanentError(SmsError):
    """Trying again will not work (bad number, message refused)."""


@dataclass(frozen=True)
class TextMessage:
    to: str
    body: str


# Messages "sent" by the locmem backend, like django.core.mail.outbox.
outbox: list[TextMessage] = []


def phone_e164(phone: str, *, default_country_code: str = "1") -> str:
    """The number in E.164 form (``+15550100100``) for a provider.

    Numbers are validated at entry (``portal.services.phone_normalise``); a number with
    no country code is taken as North American, where the clinic is.
    """
    phone = phone_normalise(phone)
    if not phone:
        raise ValidationError("There is no phone number to send a text message to.")
    digits = re.sub(r"\D", "", phone)
    if phone.startswith("+"):
        return "+" + digits
    if len(digits) == 10:
        return f"+{default_country_code}{digits}"
    if len(digits) == 11 and digits.startswith(default_country_code):
        return "+" + digits
    return "+" + digits


class BaseSmsBackend:
    def send(self, message: TextMessage) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Development: prints the message instead of sending it."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, message: TextMessage) -> None:
        self.stream.write(f"SMS to {message.to}:\n{message.body}\n{'-' * 40}\n")
        self.stream.flush()


class FileSmsBackend(BaseSmsBackend):
    """Development (`make run`): each message a file in SMS_FILE_PATH, the folder where the
    emails go too (EMAIL_FILE_PATH), so a newcomer finds every message in one place."""

    def __init__(self, path: str | None = None):
        self.path = Path(path or settings.SMS_FILE_PATH)

    def send(self, message: TextMessage) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        name = f"sms-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.txt"
        (self.path / name).write_text(f"SMS to {message.to}\n\n{message.body}\n", encoding="utf-8")


class LocmemSmsBackend(BaseSmsBackend):
    """Tests: keeps every message in ``outbox``, like Django's locmem email backend."""

    def send(self, message: TextMessage) -> None:
        outbox.append(message)


class HttpSmsBackend(BaseSmsBackend):
    """A provider reached by one authenticated JSON POST per message."""

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float | None = None):
        self.url = url or settings.SMS_HTTP_URL
        self.token = token if token is not None else settings.SMS_HTTP_TOKEN
        self.timeout = timeout or getattr(settings, "SMS_HTTP_TIMEOUT", 10)
        if not self.url:
            raise ImproperlyConfigured("SMS_BACKEND is 'http' but SMS_HTTP_URL is not set.")

    def send(self, message: TextMessage) -> None:
        payload = json.dumps({"to": phone_e164(message.to), "body": message.body}).encode()
        request = urllib.request.Request(
            self.url,
            data=payload,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            # 429 and 5xx: the provider is busy or broken; anything else is a refusal.
            if exc.code == 429 or exc.code >= 500:
                raise SmsTransientError(f"SMS provider answered {exc.code}") from exc
            raise SmsPermanentError(f"SMS provider refused the message ({exc.code})") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise SmsTransientError(f"SMS provider unreachable: {exc}") from exc


BACKEND_ALIASES = {
    "console": "scheduling.notifications.sms.ConsoleSmsBackend",
    "locmem": "scheduling.notifications.sms.LocmemSmsBackend",
    "file": "scheduling.notifications.sms.FileSmsBackend",
    "http": "scheduling.notifications.sms.HttpSmsBackend",
}


def sms_backend() -> BaseSmsBackend:
    path = settings.SMS_BACKEND or "console"
    return import_string(BACKEND_ALIASES.get(path, path))()


def sms_send(*, to: str, body: str, backend: BaseSmsBackend | None = None) -> None:
    """Send one text message through the configured backend (or `backend`)."""
    (backend or sms_backend()).send(TextMessage(to=to, body=body))
