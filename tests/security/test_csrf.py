"""Every POST form refuses a request without the CSRF token (403, nothing changed),
even from a user who may use the form."""

import pytest
from django.test import Client

from tests.security.routes import ROUTES
from tests.security.world import ROLES, db_fingerprint, fingerprint_diff


def _an_allowed_role(spec) -> str:
    return next(role for role in ROLES if role in spec.open_to)


@pytest.mark.parametrize("route", sorted(r for r, spec in ROUTES.items() if spec.post))
def test_each_post_form_refuses_a_request_without_the_csrf_token(world, route):
    spec = ROUTES[route]
    role = _an_allowed_role(spec)
    client = world.client(role, enforce_csrf_checks=True)
    before = db_fingerprint()
    response = client.post(spec.url(world), spec.post(world))
    assert response.status_code == 403, f"POST {route} as {role} without a CSRF token: {response.status_code}"
    assert not fingerprint_diff(before, db_fingerprint())


def test_the_same_post_with_its_token_goes_through(world):
    """The CSRF check is what refused them: the token from the page lets the front desk cancel."""
    client = world.client("front_desk", enforce_csrf_checks=True)
    client.get(f"/staff/sessions/{world.session.pk}/")
    token = next(m.value for name, m in client.cookies.items() if name.endswith("csrftoken"))
    response = client.post(
        f"/staff/sessions/{world.session.pk}/cancel/", {"reason": "Unwell", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    world.session.refresh_from_db()
    assert world.session.status == "cancelled"


def test_the_fingerprint_sees_a_change(world):
    """The detector that proves "nothing changed" notices an update of one column."""
    before = db_fingerprint()
    world.alice.__class__.objects.filter(pk=world.alice.pk).update(phone="(555) 555-0199")
    assert "portal_patient" in fingerprint_diff(before, db_fingerprint())


def test_csrf_cookie_is_secure_httponly_lax_and_host_prefixed(db):
    client = Client()
    response = client.get("/accounts/login/")
    cookie = response.cookies["__Host-csrftoken"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == "/" and not cookie["domain"]


def test_sign_in_cookie_is_secure_httponly_lax_and_host_prefixed(world, password):
    client = Client()
    client.get("/accounts/login/")
    response = client.post("/accounts/login/", {"username": "alice@example.com", "password": password})
    assert response.status_code == 302
    cookie = response.cookies["__Host-sessionid"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == "/" and not cookie["domain"]
