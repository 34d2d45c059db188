import time

from django.conf import settings


def portal(request):
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "CLINIC_NAME": settings.CLINIC_NAME,
        "CLINIC_PHONE": settings.CLINIC_PHONE,
        "SESSION_IDLE_TIMEOUT": settings.SESSION_IDLE_TIMEOUT if signed_in else None,
        "SESSION_IDLE_WARNING": settings.SESSION_IDLE_WARNING,
        "SESSION_ENDS_IN": _session_ends_in(request) if signed_in else None,
    }


def _session_ends_in(request) -> int:
    """Seconds until the absolute limit (SESSION_ABSOLUTE_LIFETIME) signs this session out,
    whatever the user does: the page warns before it (WCAG 2.2.1)."""
    session = getattr(request, "session", None) or {}
    started = session.get("auth_started", int(time.time()))
    return max(0, started + settings.SESSION_ABSOLUTE_LIFETIME - int(time.time()))
