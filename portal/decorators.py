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
