"""Whole guide pages for visitors without a session come from the cache, with the
same headers as the full stack gives them; signed-in visitors get their own page."""

import pytest

from education import pages
from education.models import Item
from education.services import guide_publish
from tests.education.helpers import GUIDE_URL, main_text

pytestmark = pytest.mark.django_db


def test_a_cached_page_keeps_the_security_headers_of_the_full_stack(client, django_assert_num_queries):
    first = client.get(GUIDE_URL)
    with django_assert_num_queries(0):
        second = client.get(GUIDE_URL)
    assert second.content == first.content
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Content-Type"):
        assert second[header] == first[header]
    assert second["Content-Length"] == str(len(first.content))
    assert "script-src 'self'" in second["Content-Security-Policy"]


def test_a_signed_in_patient_never_gets_the_visitors_page(client, patient_client):
    client.get(GUIDE_URL)  # fills the visitors' cache
    content = patient_client.get(GUIDE_URL).content.decode()
    assert "Sign out" in content
    assert "My portal" in content


def test_a_visitors_page_never_carries_a_signed_in_header(patient_client, client):
    patient_client.get(GUIDE_URL)
    patient_client.logout()
    from django.test import Client

    content = Client().get(GUIDE_URL).content.decode()
    assert "Sign out" not in content
    assert "Sign in" in content


def test_a_worker_never_serves_its_own_copy_after_a_publish_elsewhere(client, guide, clinician):
    client.get(GUIDE_URL)  # built and stored in the shared cache
    client.get(GUIDE_URL)  # read from it, and kept in this process
    key, kept = next(iter(pages._local.items()))
    guide.sections.get(anchor="after-session").items.create(kind=Item.Kind.POINT, text="Drink some water.", order=999)
    guide_publish(guide=guide, by=clinician)
    pages._local[key] = kept  # as if the publish happened in another worker
    assert "Drink some water." in main_text(client.get(GUIDE_URL))


def test_a_cleared_cache_is_never_answered_from_a_kept_copy(client, guide):
    from django.core.cache import cache

    from portal.models import ClinicSettings

    client.get(GUIDE_URL)
    client.get(GUIDE_URL)
    assert pages._local
    ClinicSettings.objects.filter(pk=1).update(no_driving_hours=20)  # no signal, as a test rollback would do
    cache.clear()
    assert "Do not drive for 20 hours" in main_text(client.get(GUIDE_URL))


def test_query_strings_and_other_pages_are_not_served_from_it(client):
    client.get(GUIDE_URL)
    assert client.get(GUIDE_URL + "?utm_source=x").status_code == 200
    assert client.get("/learn/unknown-guide/").status_code == 404
    assert client.get("/learn/unknown-guide/").status_code == 404


def test_a_cached_page_is_compressed_for_browsers_that_accept_gzip(client):
    import gzip

    plain = client.get(GUIDE_URL).content
    zipped = client.get(GUIDE_URL, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    assert gzip.decompress(zipped.content) == plain
    assert int(zipped["Content-Length"]) < len(plain) / 3
    assert "Content-Encoding" not in client.get(GUIDE_URL)


def test_the_guide_still_reads_when_the_cache_is_down(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    for _ in range(2):
        response = client.get(GUIDE_URL)
        assert response.status_code == 200
        assert "45 to 60 minutes" in main_text(response)
    assert client.get("/learn/").status_code == 200
