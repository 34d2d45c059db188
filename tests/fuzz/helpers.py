"""Hypothesis settings, strategies and checks shared by the fuzz tests (the fixtures are in
conftest.py, which reports the EXAMPLES count at the end of the run)."""

from __future__ import annotations

import contextlib
import datetime as dt

from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.security.world import db_fingerprint, fingerprint_diff

EXAMPLES = {"run": 0}

# One world per test function; each example runs in a savepoint rolled back afterwards.
FUZZ = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Services are cheap to call (no request): more examples each.
FUZZ_SERVICES = settings(FUZZ, max_examples=100)

NASTY = [
    "", " ", "0", "-1", "1", "2", "3", "4", "on", "off", "true", "yes", "no", "unsure", "None", "null",
    "2026-12-07", "2026-12-08", "1900-01-01", "0001-01-01", "9999-12-31", "2026-02-30", "12/07/2026",
    "10:00", "25:61", "23:59:59.999999", "-10:00",
    "\x00", "a\x00b", "\x00" * 20, "\ud7ff", "\u202e\u0041", "\ufeff", "😀" * 30, "Ω≈ç√∫", "Zoë Ünïcödé",
    "99999999999999999999999999", "1e308", "NaN", "-0", "0x10", "[]", "{}", "[1,2]",
    "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "%00", "%s%s%n", "{{ 7*7 }}",
    "a@b", "x@example.com", "alice@example.com", "(555) 010-0199", "+1 555 010 0199",
]
junk_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=12),
    st.integers().map(str),
    st.just("x" * 5_000),
    st.just("é" * 5_000),
)
# A posted field: one value, several values, or a realistic one mixed in by each test.
posted = st.one_of(junk_text, st.lists(junk_text, min_size=0, max_size=3))

# Service arguments of any type.
anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    junk_text,
    st.binary(max_size=8),
    st.dates(),
    st.datetimes(timezones=st.just(dt.UTC)),
    st.times(),
    st.lists(st.integers(), max_size=10),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=3),
)


def form(fields: dict[str, st.SearchStrategy], extra: tuple[str, ...] = ("unexpected", "csrfmiddlewaretoken")):
    """POST data: each field missing, realistic or junk; plus fields the form does not know."""
    optional = {name: st.one_of(good, posted) for name, good in fields.items()}
    optional.update({name: posted for name in extra})
    return st.fixed_dictionaries({}, optional=optional)


@contextlib.contextmanager
def rolled_back():
    EXAMPLES["run"] += 1
    sid = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(sid)


def post_and_check(client, url: str, data: dict) -> int:
    """No 500, and a refused form (anything but a redirect) writes nothing."""
    before = db_fingerprint()
    response = client.post(url, data)
    assert response.status_code < 500, f"POST {url} {data!r:.300}: {response.status_code}"
    if response.status_code != 302:
        changed = fingerprint_diff(before, db_fingerprint())
        assert not changed, f"POST {url} was refused ({response.status_code}) but wrote {sorted(changed)}"
    return response.status_code
