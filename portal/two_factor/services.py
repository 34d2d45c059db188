"""Two-step sign-in's rules: where an account stands, the grace period, the emailed set-up
link, setting up an app, the second step at sign-in, recovery codes and the administrator's reset.
See the package's docstring for the whole picture."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Literal

import django_otp
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.middleware.csrf import rotate_token
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from portal import lock_screen
from portal.models import User
from portal.services import audit_record
from portal.two_factor.devices import (
    APP_DEVICE_NAME,
    code_clean,
    has_app,
    recovery_code_stored,
    recovery_codes_left,
    recovery_codes_replace,
    throttled_refusal,
)

_SESSION_NEW_CODES = "two_factor_new_codes"
_SESSION_SETUP_KEY = "two_factor_setup_key"
FAILURES_TO_WARN = 5  # wrong codes in a row before the account's owner is emailed
logger = logging.getLogger(__name__)


def applies_to(user) -> bool:
    """Whether the account must use two-step sign-in: clinic staff, and any account that can open
    the admin (is_staff, with or without a clinic role) or is a superuser."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or user.is_superuser or user.is_clinic_staff)


@dataclass(frozen=True)
class State:
    """Where a signed-in account stands. `step`: "done" (verified, or not concerned), "grace"
    (may go on without it until `required_from`), "verify" (has an app; must give a code) or
    "setup" (must set up an app before anything else)."""

    step: Literal["done", "grace", "verify", "setup"]
    required_from: dt.datetime | None = None


def state(request) -> State:
    user = request.user
    if not applies_to(user) or user.is_verified():
        return State("done")
    now = timezone.now()
    required_from = user.two_factor_required_from
    if required_from is None:
        # Not signed in since the account was made (a session opened some other way): an app, if
        # there is one, is asked for; without one, the grace period counts from the next sign-in.
        if django_otp.user_has_device(user):
            return State("verify", now)
        if settings.STAFF_TWO_FACTOR_GRACE_HOURS <= 0:
            return State("setup", now)
        return State("grace", now + dt.timedelta(hours=settings.STAFF_TWO_FACTOR_GRACE_HOURS))
    if now < required_from:
        return State("grace", required_from)
    if django_otp.user_has_device(user):
        return State("verify", required_from)
    return State("setup", required_from)


def grace_start(sender, request, user, **kwargs) -> None:
    """user_logged_in: an account's first sign-in starts its grace period (one UPDATE, once)."""
    if applies_to(user) and user.two_factor_required_from is None:
        required_from = timezone.now() + dt.timedelta(hours=settings.STAFF_TWO_FACTOR_GRACE_HOURS)
        User.objects.filter(pk=user.pk, two_factor_required_from__isnull=True).update(
            two_factor_required_from=required_from
        )
        user.two_factor_required_from = required_from


def _tell(user: User, subject: str, what: str) -> None:
    """Email the account about a change to its sign-in, after the change commits. A failed send
    is logged; it never undoes the change."""
    body = (
        f"{what}\n\nIf this was not you, call the clinic's administrator at once: someone may know your "
        f"password. They can reset your two-step sign-in.\n\n{settings.CLINIC_NAME}\n"
    )

    def send() -> None:
        try:
            send_mail(lock_screen.subject(subject), body, None, [user.email])
        except OSError:
            logger.warning("Could not email user %s about a two-step sign-in change", user.pk, exc_info=True)

    transaction.on_commit(send)


def _passed(request, device) -> None:
    """The session has passed the second step: record it, and give the session a new key (a
    session planted before the second step is worth nothing after it)."""
    django_otp.login(request, device)
    request.session.cycle_key()
    rotate_token(request)


def password_confirm(*, user: User, password: str) -> None:
    """For changes to how an account signs in, the password once more (ValidationError if wrong)."""
    if not password or not user.check_password(password):
        raise ValidationError(_("That password is not right. Type the password you sign in with."), code="password")


def reset(*, user: User, by: User, request=None) -> None:
    """An administrator's reset for someone who lost both phone and recovery codes: their app and
    codes are removed, and their next sign-in must set up an app again, with no grace."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).update(two_factor_required_from=timezone.now())
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_record(actor=by, action="two_factor.reset", obj=user, request=request)
        _tell(
            user,
            "your two-step sign-in was reset",
            "An administrator reset two-step sign-in on your account. "
            "At your next sign-in you will set up your authenticator app again.",
        )


# --- the emailed set-up link ----------------------------------------------------------------------
# Once the grace period is over (or after an administrator's reset), a password alone must not be
# enough to tie an app to the account: whoever knows the password could lock the owner out. The
# set-up page then opens only after a link emailed to the account is followed in the same session.

SETUP_LINK_MAX_AGE = 60 * 60  # seconds
_SETUP_LINK_SALT = "portal.two_factor.setup-link"
_SESSION_LINK_PASSED = "two_factor_link_passed"
_SESSION_LINK_NONCE = "two_factor_link_nonce"


def _link_claim(request) -> dict:
    # Tied to the account's current deadline (a reset, which moves it, voids older links) and to
    # the session that asked for it (someone else signed in with the password cannot use it).
    required_from = request.user.two_factor_required_from
    return {
        "u": request.user.pk,
        "r": required_from.isoformat() if required_from else "",
        "n": request.session.get(_SESSION_LINK_NONCE, ""),
    }


def setup_link_needed(request) -> bool:
    if state(request).step != "setup":
        return False
    passed = request.session.get(_SESSION_LINK_PASSED)
    return not passed or passed != _link_claim(request)


def setup_link_send(*, request) -> None:
    """Email the account a one-hour link that opens the set-up page in this session."""
    user = request.user
    request.session[_SESSION_LINK_NONCE] = secrets.token_urlsafe(16)
    token = signing.dumps(_link_claim(request), salt=_SETUP_LINK_SALT, compress=True)
    link = settings.SITE_URL.rstrip("/") + reverse("two-factor-setup-link", args=[token])
    send_mail(
        lock_screen.subject("set up two-step sign-in"),
        "To set up two-step sign-in on your staff account, open this link on the device where you are "
        f"signed in, within one hour:\n\n{link}\n\nIf you did not ask for it, call the clinic's administrator: "
        f"someone may know your password.\n\n{settings.CLINIC_NAME}\n",
        None,
        [user.email],
    )
    audit_record(actor=user, action="two_factor.setup_link_sent", request=request)


def setup_link_accept(*, request, token: str) -> bool:
    """True (and the set-up page opens for this session) when the link is this account's, current
    and under an hour old."""
    try:
        claim = signing.loads(token, salt=_SETUP_LINK_SALT, max_age=SETUP_LINK_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return False
    if not isinstance(claim, dict) or not claim.get("n") or claim != _link_claim(request):
        return False
    request.session[_SESSION_LINK_PASSED] = claim
    audit_record(actor=request.user, action="two_factor.setup_link_followed", request=request)
    return True


def app_setup_start(*, request) -> TOTPDevice:
    """The app being set up, not saved until a code confirms it. Its key waits in the session, so
    reloading the page keeps the same QR code and a GET writes nothing."""
    key = request.session.get(_SESSION_SETUP_KEY)
    if not key:
        key = default_key()
        request.session[_SESSION_SETUP_KEY] = key
    return TOTPDevice(user=request.user, name=APP_DEVICE_NAME, key=key, confirmed=False)


def app_setup_confirm(*, request, token: str, password: str = "") -> list[str]:
    """Confirm the app being set up with a code it shows. Replaces any earlier app, marks the
    session verified and returns a fresh set of recovery codes (shown once). ValidationError if the
    code is wrong; nothing is saved then."""
    user = request.user
    if has_app(user):
        # Moving to a new phone: only a verified session, and the password once more.
        if not user.is_verified():
            raise PermissionDenied(_("Confirm your sign-in with a code first."))
        password_confirm(user=user, password=password)
    if setup_link_needed(request):
        raise PermissionDenied(_("Open the set-up link we emailed you first."))
    device = app_setup_start(request=request)
    token = code_clean(token)
    if not token.isascii() or not token.isdigit() or len(token) != device.digits:
        raise ValidationError(_("Enter the 6-digit code your app shows, without letters."))
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if not totp.verify(int(token), device.tolerance):
        raise ValidationError(
            _("That code is not right. Check the app shows the clinic portal, then type the code it shows now.")
        )
    device.last_t = totp.t()  # this code cannot be used again to sign in
    device.confirmed = True
    with transaction.atomic():
        # One confirmation at a time per account, so two racing ones cannot leave two apps.
        User.objects.select_for_update().filter(pk=user.pk).first()
        replaced = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        TOTPDevice.objects.filter(user=user).delete()
        device.save()
        now = timezone.now()
        if user.two_factor_required_from is None or user.two_factor_required_from > now:
            User.objects.filter(pk=user.pk).update(two_factor_required_from=now)
            user.two_factor_required_from = now
        codes = recovery_codes_replace(user)
        action = "two_factor.app_replaced" if replaced else "two_factor.app_set_up"
        audit_record(actor=user, action=action, obj=device, request=request)
        _tell(
            user,
            "two-step sign-in was set up" if not replaced else "your sign-in app was changed",
            "Two-step sign-in was set up on your account with a new authenticator app, and new recovery "
            "codes were made. Any app and codes from before no longer work.",
        )
    request.session.pop(_SESSION_SETUP_KEY, None)
    request.session.pop(_SESSION_LINK_PASSED, None)
    request.session.pop(_SESSION_LINK_NONCE, None)
    _passed(request, device)
    return codes


# --- recovery codes -------------------------------------------------------------------------------


def recovery_codes_renew(*, request, password: str) -> list[str]:
    """New recovery codes for a verified account that types its password again; the old ones stop
    working."""
    user = request.user
    if not user.is_verified():
        raise PermissionDenied(_("Confirm your sign-in with a code first."))
    password_confirm(user=user, password=password)
    with transaction.atomic():
        codes = recovery_codes_replace(user)
        audit_record(actor=user, action="two_factor.recovery_codes_renewed", request=request)
        _tell(user, "new recovery codes", "New recovery codes were made for your account; the old ones no longer work.")
    return codes


def show_codes_once(request, codes: list[str]) -> None:
    request.session[_SESSION_NEW_CODES] = codes


def codes_to_show(request) -> list[str]:
    return request.session.pop(_SESSION_NEW_CODES, [])


# --- the second step at sign-in --------------------------------------------------------------------


def verify(*, request, token: str) -> str:
    """Check a code from the app or a recovery code; on success the session is verified.
    Returns "app" or "recovery". ValidationError (with the wait, when throttled) otherwise."""
    user = request.user
    token = code_clean(token)
    if not token or len(token) > 16 or not token.isascii() or not token.isalnum():
        raise ValidationError(_("Enter the 6-digit code from your app, or one of your recovery codes."))
    kind = "app" if token.isdigit() and len(token) == 6 else "recovery"
    model = TOTPDevice if kind == "app" else StaticDevice
    with transaction.atomic():
        devices = list(model.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk"))
        waiting = [d for d in devices if not d.verify_is_allowed()[0]]
        if devices and len(waiting) == len(devices):
            device = None
        else:
            waiting = []
            given = token if kind == "app" else recovery_code_stored(token)
            device = next((d for d in devices if d.verify_token(given)), None)
    if device is None:
        audit_record(
            actor=user, action="two_factor.failed", request=request, detail={"kind": kind, "throttled": bool(waiting)}
        )
        if not waiting and any(d.throttling_failure_count == FAILURES_TO_WARN for d in devices):
            _tell(
                user,
                "wrong sign-in codes",
                f"Someone typed {FAILURES_TO_WARN} wrong sign-in codes in a row after typing your password correctly.",
            )
        if waiting:
            throttled_refusal(waiting[0])
        raise ValidationError(
            _("That code is not right. Type the code your app shows now, or an unused recovery code.")
        )
    _passed(request, device)
    detail = {"kind": kind}
    if kind == "recovery":
        detail["left"] = recovery_codes_left(user)
        _tell(
            user,
            "a recovery code was used",
            f"A recovery code was used to sign in to your account. {detail['left']} are left.",
        )
    audit_record(actor=user, action="two_factor.verified", obj=device, request=request, detail=detail)
    return kind
