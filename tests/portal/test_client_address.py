"""The client's address, read through trusted proxies only (security review #4): lockouts
and the audit trail see each real client behind nginx, and nobody else can pick an address."""

import pytest
from django.test import RequestFactory

from portal.clients import client_ip
from portal.models import AuditEvent
from portal.services import audit_record

PROXY = "10.0.0.2"


def _request(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "client"),
    [
        ([], "203.0.113.5", None, "203.0.113.5"),
        ([], "203.0.113.5", "198.51.100.1", "203.0.113.5"),  # no proxy trusted: the header is ignored
        ([PROXY], "203.0.113.5", "198.51.100.1", "203.0.113.5"),  # not the proxy: cannot spoof
        ([PROXY], PROXY, "198.51.100.1", "198.51.100.1"),
        ([PROXY], PROXY, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client's own entry is not believed
        (["10.0.0.0/24"], PROXY, "198.51.100.1, 10.0.0.7", "198.51.100.1"),  # two trusted hops
        ([PROXY], PROXY, "not-an-address", PROXY),
        ([PROXY], PROXY, "", PROXY),
        ([PROXY], PROXY, "198.51.100.1:5555", "198.51.100.1"),
        ([PROXY], PROXY, "[2001:db8::1]:443", "2001:db8::1"),
        ([PROXY], "garbage", "198.51.100.1", None),
    ],
)
def test_client_ip_believes_only_trusted_proxies(settings, trusted, remote, forwarded, client):
    settings.TRUSTED_PROXIES = trusted
    assert client_ip(_request(remote, forwarded)) == client


def _fail(client, email, forwarded):
    return client.post(
        "/accounts/login/",
        {"username": email, "password": "wrong"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_wrong_passwords_behind_the_proxy_lock_out_only_the_client_that_sent_them(
    client, patient, password, settings
):
    settings.TRUSTED_PROXIES = [PROXY]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _fail(client, patient.email, "198.51.100.66")
    locked = client.post(
        "/accounts/login/",
        {"username": patient.email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.66",
    )
    assert locked.status_code == 429
    own = client.post(
        "/accounts/login/",
        {"username": patient.email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert own.status_code == 302


def test_a_direct_client_changing_the_header_is_still_one_client(client, patient, password, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    for number in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/accounts/login/",
            {"username": patient.email, "password": "wrong"},
            REMOTE_ADDR="203.0.113.5",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{number}",
        )
    response = client.post(
        "/accounts/login/",
        {"username": patient.email, "password": password},
        REMOTE_ADDR="203.0.113.5",
        HTTP_X_FORWARDED_FOR="198.51.100.200",
    )
    assert response.status_code == 429


def test_the_audit_trail_records_the_forwarded_client(db, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    event = audit_record(actor=None, action="test.seen", request=_request(PROXY, "198.51.100.1"))
    assert AuditEvent.objects.get(pk=event.pk).ip_address == "198.51.100.1"


@pytest.mark.parametrize(("trusted", "remote", "secure"), [
    ([], "203.0.113.5", False),  # a client reaching gunicorn directly cannot claim https
    ([PROXY], "203.0.113.5", False),
    ([PROXY], PROXY, True),  # the clinic's proxy terminated TLS and says so
])
def test_only_a_trusted_proxy_may_say_the_request_came_over_https(db, client, settings, trusted, remote, secure):
    # Security review: SECURE_PROXY_SSL_HEADER was believed from any client, so a forged header
    # skipped the HTTPS redirect and made Django treat plain HTTP as secure.
    settings.TRUSTED_PROXIES = trusted
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/learn/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR=remote)
    if secure:
        assert response.status_code == 200
    else:
        assert response.status_code == 301 and response["Location"].startswith("https://")
