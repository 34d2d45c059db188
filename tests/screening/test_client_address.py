"""Behind the README's reverse proxy every request came from the proxy's address, so one
client's referrals closed referrals for the whole clinic. The screening limit counts the
client the trusted proxy names, and a client that is not the proxy cannot choose its own."""

import pytest

from screening.models import Screening
from tests.screening.helpers import CONTACT, walk_checklist

PROXY = "10.0.0.2"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.SCREENING_SUBMISSIONS_PER_HOUR = 1


def _send(client, **meta):
    return client.post("/screening/send/", CONTACT | {"consent": ""}, **meta)


def test_clients_behind_the_proxy_are_limited_apart(client, all_no, behind_proxy):
    walk_checklist(client, all_no)
    assert _send(client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert _send(client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    # Another patient coming through the same proxy is not refused for the first one's sends.
    assert _send(client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200


def test_a_client_that_is_not_the_proxy_cannot_spoof_the_header(client, all_no, behind_proxy):
    walk_checklist(client, all_no)
    assert _send(client, REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    response = _send(client, REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert response.status_code == 429
    assert Screening.objects.count() == 0
