"""For every URL that shows or changes an object (a patient, a screening, a symptom
review or its alert, a course, a session, a notification, a calendar token):
anonymous visitors, another patient and the wrong staff role are sent to sign in,
refused (403) or told it does not exist (404), never shown the data, and a refused
POST changes nothing. Every response carries the security headers, error pages
included.

Lockout after repeated failed sign-ins and idle logoff are tested in
tests/portal/test_access.py (test_repeated_failures_lock_that_email_on_that_address_only,
test_an_idle_session_is_signed_out_with_a_message) and not repeated here."""

import pytest

from tests.security.routes import ROUTES
from tests.security.world import ROLES, db_fingerprint, fingerprint_diff, is_refused, shows_alice

CSP_DIRECTIVES = (
    "default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
    "script-src 'self'", "style-src 'self'",
)


def assert_security_headers(response, where: str) -> None:
    csp = response.get("Content-Security-Policy", "")
    for directive in CSP_DIRECTIVES:
        assert directive in csp, f"{where}: CSP lacks {directive!r}: {csp!r}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert response.get("X-Frame-Options") == "DENY", where
    assert response.get("X-Content-Type-Options") == "nosniff", where
    assert response.get("Referrer-Policy") == "same-origin", where


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_each_url_lets_only_its_roles_through_and_never_shows_alices_record_to_others(world, route):
    spec = ROUTES[route]
    url = spec.url(world)
    for role in ROLES:
        client = world.client(role)
        where = f"GET {url} as {role}"
        response = client.get(url)
        assert response.status_code < 500, where
        assert_security_headers(response, where)
        if spec.get and role in spec.open_to:
            assert response.status_code in spec.get_status, f"{where}: {response.status_code}"
        else:
            assert is_refused(response), f"{where}: {response.status_code} {response.get('Location', '')}"
        if role not in spec.sees_alice:
            assert not shows_alice(response), f"{where} shows Alice's record: {shows_alice(response)}"


@pytest.mark.parametrize("route", sorted(r for r, spec in ROUTES.items() if spec.post))
def test_a_refused_post_changes_nothing_and_shows_nothing(world, route):
    spec = ROUTES[route]
    url = spec.url(world)
    refused_roles = [role for role in ROLES if role not in spec.open_to]
    for role in refused_roles:
        client = world.client(role)
        where = f"POST {url} as {role}"
        before = db_fingerprint()
        response = client.post(url, spec.post(world))
        assert is_refused(response), f"{where}: {response.status_code} {response.get('Location', '')}"
        assert_security_headers(response, where)
        assert not shows_alice(response), where
        assert not fingerprint_diff(before, db_fingerprint()), f"{where} changed the database"


@pytest.mark.parametrize(
    "url",
    [
        "/calendar/not-a-real-token.ics",
        "/accounts/invite/not-a-real-token/",
        "/staff/day/not-a-date/",
        "/staff/week/2026-13-45/",
        "/screening/step/999/",
        "/learn/no-such-guide/",
    ],
)
def test_a_made_up_token_or_address_is_a_friendly_404(world, url):
    for role in ROLES:
        response = world.client(role).get(url)
        assert response.status_code in (302, 403, 404), f"{url} as {role}: {response.status_code}"
        assert not shows_alice(response)
        assert_security_headers(response, url)


def test_a_stopped_calendar_subscription_no_longer_opens(world):
    from scheduling.services import calendar_address_revoke

    url = f"/calendar/{world.calendar_token}.ics"
    assert world.client("anonymous").get(url).status_code == 200
    calendar_address_revoke(course=world.course, by=world.alice.user)
    assert world.client("anonymous").get(url).status_code == 404


def test_ids_of_bobs_own_objects_do_not_open_alices_neither_do_alices_for_bob(world):
    """The classic leak: take your own address and change the id. Bob's session page with
    Alice's session id is a 404 however the id is written."""
    bob = world.client("other_patient")
    for url in (
        f"/me/sessions/{world.session.pk}/",
        f"/me/sessions/{world.session.pk:05d}/",
        f"/symptoms/{world.review.pk}/",
        f"/screening/{world.screening.pk}/",
        f"/screening/consent/{world.consent.pk}/",
        f"/me/courses/{world.course.pk}/calendar.ics",
    ):
        response = bob.get(url)
        assert response.status_code == 404, url
        assert not shows_alice(response)


def test_a_bad_request_page_carries_the_security_headers_too(world):
    response = world.client("anonymous").get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert_security_headers(response, "400 page")
