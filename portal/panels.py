"""The sections of /me/ and /staff/ come from each app's `panels.py`.

An app defines `me_panels(request, patient)` and/or `staff_panels(request)`,
each returning a list of rendered HTML fragments (strings marked safe). The
portal's own views stay ignorant of what the other apps show.
"""

from importlib import import_module

from django.utils.safestring import SafeString

PANEL_APPS = ("symptoms", "screening", "scheduling", "education")  # symptoms first: item-9 alerts top /staff/


def collect(kind: str, request, **kwargs) -> list[SafeString]:
    fragments: list[SafeString] = []
    for app in PANEL_APPS:
        try:
            module = import_module(f"{app}.panels")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.panels":
                raise
            continue
        func = getattr(module, f"{kind}_panels", None)
        if func is not None:
            fragments.extend(func(request, **kwargs))
    return fragments
