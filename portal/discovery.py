"""Finding what each app offers the portal without the portal naming any app.

The portal knows no app (apps point at it, never the other way): the sections of
/me/ and /staff/ (`<app>/panels.py`) and the demo data (`<app>/demo.py`) are found
with Django's `autodiscover_modules`, as the admin finds each app's `admin.py`.
"""

from __future__ import annotations

import functools
import sys
from types import ModuleType

from django.apps import apps
from django.utils.module_loading import autodiscover_modules


@functools.cache
def app_modules(name: str) -> tuple[ModuleType, ...]:
    """Every installed app's `<app>.<name>` module, in INSTALLED_APPS order, so what they add
    comes in the same order on every page and every run."""
    autodiscover_modules(name)
    found = (sys.modules.get(f"{config.name}.{name}") for config in apps.get_app_configs())
    return tuple(module for module in found if module is not None)
