"""The sections of /me/ and /staff/ come from each app's `panels.py`.

An app defines `me_panels(request, patient)` and/or `staff_panels(request)`,
each returning a list of rendered HTML fragments (strings marked safe). The
portal's own views stay ignorant of what the other apps show: the modules are
found with `autodiscover_modules` (portal.discovery) and shown in
INSTALLED_APPS order.
"""

from django.utils.safestring import SafeString

from portal.discovery import app_modules


def collect(kind: str, request, **kwargs) -> list[SafeString]:
    fragments: list[SafeString] = []
    for module in app_modules("panels"):
        func = getattr(module, f"{kind}_panels", None)
        if func is not None:
            fragments.extend(func(request, **kwargs))
    return fragments
