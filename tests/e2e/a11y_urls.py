"""The portal's URLs plus one address that fails on purpose, so the accessibility
sweep can see the real 500 page as Django's handler500 serves it. Used only by
tests/e2e/test_a11y_sweep.py through ROOT_URLCONF."""

from django.urls import path

from portal.urls import handler400, handler403, handler404, handler500  # noqa: F401 - the same error pages
from portal.urls import urlpatterns as portal_urlpatterns


def fail_on_purpose(request):
    raise RuntimeError("The accessibility sweep asks for the 500 page.")


urlpatterns = [path("a11y-sweep/server-error/", fail_on_purpose), *portal_urlpatterns]
