"""Security review hardening: HEAD without a body as gunicorn serves it, a Permissions-Policy,
private caching for signed-in users, and a session cookie that ends with the browser."""

import io
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections


def _wsgi(method: str, path: str) -> tuple[str, dict[str, str], bytes]:
    """Call the portal as gunicorn does (Django's test client strips HEAD bodies itself)."""
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "HTTP_HOST": "testserver", "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = status, dict(headers)

    # As Django's test client does: the test's transaction must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = WSGIHandler()(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return started["status"], started["headers"], body


@pytest.mark.parametrize("path", ["/", "/learn/", "/learn/ketamine-infusion/", "/no-such-page/", "/static/favicon.svg"])
def test_head_answers_headers_without_a_body(db, path):
    get_status, get_headers, get_body = _wsgi("GET", path)
    status, headers, body = _wsgi("HEAD", path)
    assert status == get_status
    assert body == b""
    assert get_body
    if "Content-Length" in get_headers:
        assert headers.get("Content-Length") == get_headers["Content-Length"]


def test_head_on_a_post_only_address_gets_a_405_without_a_body(db):
    status, _, body = _wsgi("HEAD", "/accounts/keepalive/")
    assert status.startswith("405")
    assert body == b""


@pytest.mark.parametrize("path", ["/", "/learn/", "/no-such-page/", "/static/favicon.svg", "/healthz"])
def test_every_response_turns_off_device_features(client, db, path):
    policy = client.get(path)["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy


def test_pages_with_account_data_are_private_and_not_stored(patient_client):
    cache_control = patient_client.get("/me/")["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control


@pytest.mark.parametrize("path", ["/", "/learn/", "/learn/ketamine-infusion/"])
def test_public_pages_are_private_for_a_signed_in_user_but_may_be_kept(patient_client, path):
    cache_control = patient_client.get(path)["Cache-Control"]
    assert "private" in cache_control
    assert "no-store" not in cache_control


def test_staff_pages_are_not_stored(front_desk_client):
    cache_control = front_desk_client.get("/staff/")["Cache-Control"]
    assert "no-store" in cache_control


def test_the_session_cookie_ends_with_the_browser(client, patient, password, settings):
    response = client.post("/accounts/login/", {"username": patient.email, "password": password})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""
