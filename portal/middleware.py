"""Session time limits and friendly pages for bare error responses."""

import json
import logging
import re
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from portal.clients import from_trusted_proxy

# Writing the session on every request is a database write per page; a
# 30-second granularity is plenty for a 15-minute idle limit.
LAST_SEEN_GRANULARITY = 30


def session_start(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session["auth_started"] = now
        request.session["last_seen"] = now


class ClinicTimeMiddleware:
    """Every request shows moments in the clinic's zone (portal.clock.ClinicZone): templates,
    forms and the admin included. Deactivated after, so the thread carries nothing over."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from portal.clock import clinic_zone_activate

        clinic_zone_activate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class SessionTimeoutMiddleware:
    """Sign a user out after SESSION_IDLE_TIMEOUT seconds without a request, and
    after SESSION_ABSOLUTE_LIFETIME seconds whatever they do (HIPAA automatic logoff)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            last_seen = session.get("last_seen", now)
            started = session.setdefault("auth_started", now)
            idle = now - last_seen > settings.SESSION_IDLE_TIMEOUT
            too_old = now - started > settings.SESSION_ABSOLUTE_LIFETIME
            if idle or too_old:
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after %(minutes)d minutes without activity, to protect your information.")
                    % {"minutes": settings.SESSION_IDLE_TIMEOUT // 60}
                    if idle
                    else _("Your session has ended. Please sign in again."),
                )
                return redirect(self._sign_in_again(request))
            granularity = min(LAST_SEEN_GRANULARITY, settings.SESSION_IDLE_TIMEOUT // 10)
            if now - last_seen >= granularity or "last_seen" not in session:
                session["last_seen"] = now
        return self.get_response(request)

    @staticmethod
    def _sign_in_again(request) -> str:
        """The sign-in address that returns to the page the user was on. The idle warning's
        script itself goes to the sign-in page with `next` set: that `next` is kept (it used to
        become `next=/accounts/login/`, and the page was lost)."""
        login = reverse("login")
        if request.method != "GET":
            return login
        target = request.GET.get("next", "") if request.path == login else request.get_full_path()
        if not target or not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return login
        return f"{login}?{urlencode({'next': target})}"


class StaffTwoFactorMiddleware:
    """Hold a staff session at the second step of sign-in (portal.two_factor) until it is passed:
    with an app set up, every page but the code page, sign-out and static files sends the user to
    the code page; after the grace period without one, to the set-up page."""

    ALWAYS_OPEN = ("/accounts/two-factor/", "/accounts/logout/", "/accounts/keepalive/", "/healthz")

    def __init__(self, get_response):
        from portal.two_factor import services

        self.get_response = get_response
        self.two_factor = services

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path_info.startswith(self._open_paths()):
            step = self.two_factor.state(request).step
            if step in ("verify", "setup"):
                target = reverse("two-factor-verify" if step == "verify" else "two-factor-setup")
                if request.method in ("GET", "HEAD"):
                    target += "?" + urlencode({"next": request.get_full_path()})
                return redirect(target)
        return self.get_response(request)

    @classmethod
    def _open_paths(cls) -> tuple[str, ...]:
        return (*cls.ALWAYS_OPEN, settings.STATIC_URL)


PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "fullscreen",
        "geolocation", "gyroscope", "magnetometer", "microphone", "midi", "payment",
        "picture-in-picture", "publickey-credentials-get", "screen-wake-lock", "usb", "xr-spatial-tracking",
    )
)  # fmt: skip


class ForwardedProtoMiddleware:
    """`X-Forwarded-Proto` decides whether Django treats a request as HTTPS (secure cookies,
    the HTTPS redirect, CSRF's origin checks). Only a trusted proxy (TRUSTED_PROXIES) may say
    so: from any other peer (a client reaching gunicorn directly) the header is dropped."""

    HEADER = "HTTP_X_FORWARDED_PROTO"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self.HEADER in request.META and not from_trusted_proxy(request):
            del request.META[self.HEADER]
        return self.get_response(request)


class ResponseHygieneMiddleware:
    """Outermost, so it sees every response (whitenoise's, the guide cache's, errors):
    - no body on HEAD: gunicorn passes one through (only runserver strips it), and on a
      keep-alive connection the client then reads those bytes as the next response;
    - a Permissions-Policy turning off every device feature the portal never uses;
    - signed-in users' pages are `private`, and `no-store` unless the view says the page
      carries no account data (a shared computer's cache keeps nothing of a patient's)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if getattr(response, "carries_account_data", True):
                patch_cache_control(response, private=True, no_store=True)
            else:
                patch_cache_control(response, private=True)
        if request.method == "HEAD":
            self._strip_body(response)
        return response

    @staticmethod
    def _strip_body(response) -> None:
        if response.streaming:
            close = getattr(response, "close", None)
            response.streaming_content = []
            if close is not None:
                close()
            return
        length = len(response.content)
        response.content = b""
        if length and not response.has_header("Content-Length"):
            response["Content-Length"] = str(length)  # what a GET would carry


class FriendlyErrorPagesMiddleware:
    """Give a page to bare 405 responses (e.g. from require_POST), which Django sends empty."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            response.content = render_to_string("405.html", request=request)
            response["Content-Type"] = "text/html; charset=utf-8"
        return response


# A path segment of 20+ URL-safe characters with a digit, capital or underscore in
# it is a secret token; lower-case slugs (guide addresses) are left readable.
_TOKEN_SEGMENT = re.compile(r"/(?=[A-Za-z0-9_\-]*[0-9A-Z_])[A-Za-z0-9_\-]{20,}(?=/|\.|$)")
request_log = logging.getLogger("portal.request")


def path_for_log(path: str) -> str:
    """The path with secrets (invitation, reset and calendar tokens) masked."""
    return _TOKEN_SEGMENT.sub("/<token>", path)


class RequestLogMiddleware:
    """One structured line per request: method, path with tokens masked, status,
    duration and the user's id. No names, emails, query strings or bodies:
    patient data never reaches the logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        request_log.info(
            json.dumps(
                {
                    "method": request.method,
                    "path": path_for_log(request.path),
                    "status": response.status_code,
                    "ms": round((time.monotonic() - started) * 1000, 1),
                    "user": user.pk if user is not None and user.is_authenticated else None,
                },
                separators=(",", ":"),
            )
        )
        return response
