"""The devices behind two-step sign-in (django-otp's): the authenticator app (TOTP) and the
recovery codes, how their keys and codes are shown and stored."""

from __future__ import annotations

import re
from base64 import b32encode

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import User

APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
_SPACES = re.compile(r"[\s-]+")


def has_app(user) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def secret_text(device: TOTPDevice) -> str:
    """The key as an app's "enter a setup key" screen expects it, in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code, labelled for screen readers."""
    svg = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    label = _("QR code for your authenticator app. If you cannot scan it, type the setup key shown below.")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


def code_clean(token: str) -> str:
    return _SPACES.sub("", str(token or "")).lower()


def throttled_refusal(device) -> None:
    """ValidationError saying how long a throttled device makes the next try wait."""
    _allowed, data = device.verify_is_allowed()
    locked_until = (data or {}).get("locked_until") or timezone.now()
    seconds = max(1, int((locked_until - timezone.now()).total_seconds()) + 1)
    raise ValidationError(
        _("Too many wrong codes. Wait %(seconds)d seconds, then type the newest code.") % {"seconds": seconds}
    )


def recovery_code_stored(code: str) -> str:
    """What the database keeps of a recovery code: 16 hex digits of an HMAC keyed with the
    SECRET_KEY (django-otp's token column holds 16 characters). A copy of the database alone
    (a backup, a leak) then gives no usable code."""
    return salted_hmac("portal.two_factor.recovery-code", code_clean(code), algorithm="sha256").hexdigest()[:16]


def recovery_codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _n in range(settings.RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=recovery_code_stored(c)) for c in codes])
    return codes
