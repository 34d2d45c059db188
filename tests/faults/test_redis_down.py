"""Redis (broker and cache) down: pages that do not need it still serve, and /healthz names the broker."""

import json
import time

from bench.load import Browser, Recorder, journey_screening
from tests.faults.helpers import fetch

PAGES_WITHOUT_REDIS = ["/", "/learn/", "/learn/ketamine-infusion/", "/accounts/login/", "/screening/"]


def test_pages_that_do_not_need_redis_still_serve_and_healthz_names_the_broker(site, private_redis):
    for path in PAGES_WITHOUT_REDIS:  # warm: the guide pages go into the Redis cache
        assert fetch(site.url(path))[0] == 200, path
    status, body, _ = fetch(site.url("/healthz"))
    assert (status, json.loads(body)) == (200, {"database": "ok", "broker": "ok"})

    private_redis.stop()
    for _ in range(3):
        for path in PAGES_WITHOUT_REDIS:
            status, body, seconds = fetch(site.url(path))
            assert status == 200, (path, status, body[:300])
            assert seconds < 5, f"{path} took {seconds:.1f} s with Redis down"
    status, body, seconds = fetch(site.url("/healthz"))
    assert (status, json.loads(body)) == (200, {"database": "ok", "broker": "error"})
    assert seconds < 5


def test_a_patient_signs_in_and_screens_with_redis_down(site, private_redis):
    private_redis.stop()
    host, port = "127.0.0.1", site.port
    browser = Browser(host, port, Recorder())
    began = time.monotonic()
    try:
        assert browser.sign_in("patient@clinic.example", password="Portal-demo-2026") == "/me/"
        me = browser.get("/me/")
        assert "Pat" in me
        browser.sign_out(me)
        journey_screening(browser, lambda: None)
    finally:
        browser.close()
    assert time.monotonic() - began < 20


def test_an_anonymous_screening_still_reaches_the_clinic_with_redis_down(site, private_redis):
    """The per-address limit on anonymous sends counts in Redis; without Redis the screening is still taken."""
    private_redis.stop()
    browser = Browser("127.0.0.1", site.port, Recorder())
    try:
        journey_screening(browser, lambda: None)
        page = browser.get("/screening/send/")
        began = time.monotonic()
        location, _ = browser.post(page, "/screening/send/", {
            "first_name": "Redis", "last_name": "Down", "email": "redis-down@faults.example", "phone": "",
            "date_of_birth": "1980-02-03", "consent": "on",
        })
        assert time.monotonic() - began < 10
        assert location.endswith("/screening/sent/")
        assert browser.get("/screening/sent/")
    finally:
        browser.close()
