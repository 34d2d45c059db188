import pytest


@pytest.mark.parametrize("path", ["/", "/learn/", "/screening/", "/accounts/login/", "/no-such-page/"])
def test_every_page_carries_the_security_headers(client, db, path):
    response = client.get(path)
    csp = response["Content-Security-Policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'", "style-src 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_hsts_is_sent_on_https_responses(client, db):
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_signed_in_cookies_are_secure_httponly_lax_and_host_prefixed(client, patient, password):
    client.get("/accounts/login/")
    response = client.post("/accounts/login/", {"username": patient.email, "password": password})
    assert response.status_code == 302
    session_cookie = response.cookies["__Host-sessionid"]
    assert session_cookie["secure"] and session_cookie["httponly"]
    assert session_cookie["samesite"] == "Lax"
    assert session_cookie["path"] == "/"
    assert not session_cookie["domain"]


def test_csrf_is_enforced_on_sign_in(db, patient, password):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/accounts/login/", {"username": patient.email, "password": password})
    assert response.status_code == 403
    assert "Please try again" in response.content.decode()


def test_unknown_pages_get_a_friendly_404(client, db):
    response = client.get("/definitely/not/here/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_a_wrong_method_gets_a_friendly_405(client, db):
    response = client.post("/")
    assert response.status_code == 405
    assert "not possible here" in response.content.decode()


def test_the_favicon_address_leads_to_the_shipped_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith(".svg")
