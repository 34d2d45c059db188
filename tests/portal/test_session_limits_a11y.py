"""The idle and absolute session limits, as a user meets them (issue 19, WCAG 2.2.1): after an
idle sign-out, signing in returns to the page they were on; every signed-in page tells the
idle script when the absolute limit ends the session, so it can warn before."""

import re

import pytest
import time_machine
from django.utils import timezone


def _idle(settings):
    return time_machine.travel(timezone.now() + timezone.timedelta(seconds=settings.SESSION_IDLE_TIMEOUT + 5))


def test_an_idle_sign_out_on_a_page_keeps_that_page_and_its_query_as_next(patient_client, settings):
    assert patient_client.get("/me/").status_code == 200
    with _idle(settings):
        response = patient_client.get("/symptoms/?from=reminder")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fsymptoms%2F%3Ffrom%3Dreminder"


def test_the_idle_scripts_own_visit_to_sign_in_keeps_its_next(patient_client, settings):
    # The script sends the browser to /accounts/login/?next=<page> when the time is up; that visit
    # is what the server signs out, and it used to answer next=/accounts/login/.
    assert patient_client.get("/me/").status_code == 200
    with _idle(settings):
        response = patient_client.get("/accounts/login/?next=/me/")
    assert response["Location"] == "/accounts/login/?next=%2Fme%2F"
    page = patient_client.get(response["Location"])
    assert 'name="next" value="/me/"' in page.content.decode()


def test_a_next_pointing_elsewhere_is_dropped(patient_client, settings):
    assert patient_client.get("/me/").status_code == 200
    with _idle(settings):
        response = patient_client.get("/accounts/login/?next=https://evil.example/")
    assert response["Location"] == "/accounts/login/"


def test_an_idle_post_goes_to_plain_sign_in(patient_client, settings):
    assert patient_client.get("/me/").status_code == 200
    with _idle(settings):
        response = patient_client.post("/me/channel/", {"preferred_channel": "email"})
    assert response["Location"] == "/accounts/login/"


def _ends_in(response) -> int:
    return int(re.search(r'data-session-ends-in="(\d+)"', response.content.decode()).group(1))


def test_signed_in_pages_say_when_the_absolute_limit_ends_the_session(patient_client, settings):
    first = _ends_in(patient_client.get("/me/"))
    assert settings.SESSION_ABSOLUTE_LIFETIME - 5 <= first <= settings.SESSION_ABSOLUTE_LIFETIME
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=10)):
        later = _ends_in(patient_client.get("/me/"))
    assert first - 10 * 60 - 5 <= later <= first - 10 * 60 + 5
    body = patient_client.get("/me/").content.decode()
    assert 'id="session-end-warning"' in body


@pytest.mark.django_db
def test_anonymous_pages_carry_no_session_timers(client):
    body = client.get("/").content.decode()
    assert "data-session-ends-in" not in body and 'id="idle-warning"' not in body
