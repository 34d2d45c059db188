from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from portal.models import Role


def role_required(*roles: str):
    """Allow only signed-in users holding one of `roles`; others get a 403 page."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not any(request.user.has_role(role) for role in roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


staff_required = role_required(Role.FRONT_DESK, Role.CLINICIAN)
clinician_required = role_required(Role.CLINICIAN)
front_desk_required = role_required(Role.FRONT_DESK)
patient_required = role_required(Role.PATIENT)


def no_account_data(view):
    """Mark a view whose page carries nothing of the signed-in user's account (home, the
    guide): it is still `private` for them, but may be kept by the browser."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.carries_account_data = False
        return response

    return wrapper
