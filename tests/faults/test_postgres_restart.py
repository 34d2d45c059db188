"""PostgreSQL restarted under a serving gunicorn: clean failures while it is down, service again after,
without restarting gunicorn (CONN_HEALTH_CHECKS drops the dead connections)."""

import json
import time

from bench.load import CSRF_INPUT, Browser, Recorder
from tests.faults.helpers import fetch, wait_until

FRIENDLY_500 = "Something went wrong on our side"
# Pages that need the database for every visitor: no cache can answer them.
DATABASE_PAGES = ["/screening/", "/accounts/login/", "/me/"]
EVERY_PAGE = ["/", "/learn/", "/learn/ketamine-infusion/", *DATABASE_PAGES]


def _sign_in_attempt(site) -> tuple[int, str, float]:
    browser = Browser("127.0.0.1", site.port, Recorder())
    try:
        page = browser.get("/accounts/login/")  # the form itself needs no database
        token = CSRF_INPUT.search(page).group(1)
        began = time.monotonic()
        status, _, body = browser.send("POST", "/accounts/login/", {
            "csrfmiddlewaretoken": token, "username": "patient@clinic.example", "password": "Portal-demo-2026",
        })
        return status, body, time.monotonic() - began
    finally:
        browser.close()


def _every_worker_serves(site, path: str, *, times: int = 12) -> None:
    for _ in range(times):
        status, body, seconds = fetch(site.url(path))
        assert status == 200, (path, status, body[:300])
        assert seconds < 5, (path, seconds)


def test_requests_fail_cleanly_while_postgres_is_down_and_succeed_after_without_restarting_gunicorn(
    site, migrated_postgres
):
    gunicorn_pid = site.proc.pid
    _every_worker_serves(site, "/")
    _every_worker_serves(site, "/screening/")
    status, body, _ = fetch(site.url("/healthz"))
    assert (status, json.loads(body)) == (200, {"database": "ok", "broker": "ok"})

    migrated_postgres.stop()
    try:
        for _ in range(6):  # more requests than workers x threads: every kept connection is found dead
            status, body, seconds = fetch(site.url("/healthz"))
            assert status == 503
            assert json.loads(body)["database"] == "error"
            assert seconds < 5, f"/healthz took {seconds:.1f} s with PostgreSQL down"
        for path in EVERY_PAGE:
            status, body, seconds = fetch(site.url(path))
            assert seconds < 5, f"{path} took {seconds:.1f} s with PostgreSQL down"
            assert status in (200, 302, 500, 503), (path, status)
            if status == 500:
                assert FRIENDLY_500 in body, f"{path} did not give the friendly error page"
                assert "Traceback" not in body and "psycopg" not in body.lower()
            if path == "/screening/":  # the checklist lives in the database
                assert status in (500, 503), f"{path} answered {status} without its database"
        status, body, seconds = _sign_in_attempt(site)
        assert seconds < 5, f"signing in took {seconds:.1f} s with PostgreSQL down"
        assert status in (500, 503), status
        assert status == 503 or FRIENDLY_500 in body
    finally:
        began = time.monotonic()
        migrated_postgres.start()

    wait_until(lambda: fetch(site.url("/healthz"), timeout=5)[0] == 200, seconds=10)
    assert time.monotonic() - began < 15
    for path in EVERY_PAGE:
        if path == "/me/":
            status, _, _ = fetch(site.url(path))
            assert status in (200, 302)  # anonymous: sent to sign in, no error
            continue
        _every_worker_serves(site, path, times=6)
    assert site.proc.poll() is None and site.proc.pid == gunicorn_pid, "gunicorn was restarted"
