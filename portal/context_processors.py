from django.conf import settings


def portal(request):
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "CLINIC_NAME": settings.CLINIC_NAME,
        "CLINIC_PHONE": settings.CLINIC_PHONE,
        "SESSION_IDLE_TIMEOUT": settings.SESSION_IDLE_TIMEOUT if signed_in else None,
        "SESSION_IDLE_WARNING": settings.SESSION_IDLE_WARNING,
    }
