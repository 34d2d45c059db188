"""The guide page: at most 3 queries to build, none when served from cache."""

import pytest

from portal.models import ClinicSettings
from tests.education.helpers import GUIDE_URL, main_text

pytestmark = pytest.mark.django_db


def test_the_guide_costs_at_most_three_queries_uncached(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        assert client.get(GUIDE_URL).status_code == 200


def test_the_guide_costs_no_query_from_cache(client, django_assert_num_queries):
    client.get(GUIDE_URL)
    with django_assert_num_queries(0):
        response = client.get(GUIDE_URL)
    assert "45 to 60 minutes" in main_text(response)


def test_the_guides_page_costs_one_query_then_none(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        client.get("/learn/")
    with django_assert_num_queries(0):
        client.get("/learn/")


def test_changing_the_no_driving_hours_moves_the_cached_page_on(client, django_assert_max_num_queries):
    client.get(GUIDE_URL)
    clinic = ClinicSettings.load()
    clinic.no_driving_hours = 18
    clinic.save()
    with django_assert_max_num_queries(3):
        assert "Do not drive for 18 hours" in main_text(client.get(GUIDE_URL))


def test_two_changes_in_one_frozen_instant_both_reach_the_page(client):
    import time_machine

    with time_machine.travel("2026-05-04 09:00:00Z", tick=False):
        clinic = ClinicSettings.load()
        clinic.no_driving_hours = 16
        clinic.save()
        assert "Do not drive for 16 hours" in main_text(client.get(GUIDE_URL))
        clinic.no_driving_hours = 20
        clinic.save()
        assert "Do not drive for 20 hours" in main_text(client.get(GUIDE_URL))
