import pytest


@pytest.fixture
def guide(db):
    from education.models import Guide

    return Guide.objects.get(slug="ketamine-infusion")


@pytest.fixture(autouse=True)
def _clinic_settings_row(request):
    """The clinic settings row exists in every real database (scheduling's data
    migration); a test database emptied by a browser test's flush may lack it."""
    if "db" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        return
    from django.core.cache import cache

    from portal.models import ClinicSettings

    request.getfixturevalue("db")
    ClinicSettings.load()
    cache.clear()
