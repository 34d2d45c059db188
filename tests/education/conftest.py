import html
import re

import pytest
from django.utils.html import strip_tags

GUIDE_URL = "/learn/ketamine-infusion/"


def main_html(response) -> str:
    content = response.content.decode()
    match = re.search(r"<main\b.*?</main>", content, re.S)
    assert match, "the page has no <main>"
    return match.group(0)


def main_text(response) -> str:
    """What a reader reads in <main>: tags gone, entities decoded, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(strip_tags(main_html(response)))).strip()


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
