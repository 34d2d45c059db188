"""A private PgBouncer in transaction pooling mode in front of the test database.

`pgbouncer` (session) starts it from deploy/pgbouncer/pgbouncer.ini (bench/pgbouncer.py)
with a pool smaller than the racing threads, so clients must share server connections
transaction by transaction. `through_pgbouncer` points every new Django connection of the
test, in any thread, at it, and back at PostgreSQL afterwards.

`make test` installs pgbouncer when missing and sets PORTAL_REQUIRE_PGBOUNCER=1, so there a
missing pgbouncer fails the run; elsewhere the module skips with the reason.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os

import pytest
from django.db import connection, connections

from bench.pgbouncer import PgBouncer, why_unavailable
from portal.models import ClinicSettings
from scheduling.models import Chair, OpeningHours

# Fewer server connections than the 12 racing threads of the tests.
POOL_SIZE = 4


@pytest.fixture(scope="session")
def pgbouncer(django_db_setup, django_db_blocker):
    reason = why_unavailable()
    if reason:
        if os.environ.get("PORTAL_REQUIRE_PGBOUNCER") == "1":
            pytest.fail(f"PORTAL_REQUIRE_PGBOUNCER=1 but {reason}")
        pytest.skip(reason)
    settings = connection.settings_dict
    bouncer = PgBouncer(
        databases=[settings["NAME"]],
        user=settings["USER"] or getpass.getuser(),
        server_host=settings["HOST"] or "127.0.0.1",
        server_port=int(settings["PORT"] or 5432),
        pool_size=POOL_SIZE,
    )
    try:
        yield bouncer.start()
    finally:
        bouncer.destroy()


@pytest.fixture
def through_pgbouncer(pgbouncer, transactional_db, settings):
    """Every connection opened during the test goes through PgBouncer, as DATABASE_POOLER=transaction
    configures it. (All threads' connections share this one settings dict.)"""
    settings.NOTIFICATION_DISPATCH_ON_COMMIT = False  # no worker listens in these tests
    shared = connection.settings_dict
    saved = {key: shared.get(key) for key in ("HOST", "PORT", "DISABLE_SERVER_SIDE_CURSORS")}
    connections.close_all()
    shared.update(HOST="127.0.0.1", PORT=str(pgbouncer.port), DISABLE_SERVER_SIDE_CURSORS=True)
    try:
        connection.ensure_connection()
        assert connection.connection.info.port == pgbouncer.port
        yield pgbouncer
    finally:
        connections.close_all()
        shared.update(saved)


@pytest.fixture
def chairs(through_pgbouncer):
    """The clinic as the migrations set it up (flushed by transactional tests, so made again)."""
    clinic, _ = ClinicSettings.objects.get_or_create(pk=1)
    clinic.time_zone = "America/New_York"
    clinic.infusion_minutes, clinic.recovery_minutes, clinic.min_clear_days = 60, 120, 1
    clinic.save()
    for weekday in range(5):
        OpeningHours.objects.update_or_create(
            clinic=clinic, weekday=weekday, defaults={"opens": dt.time(8), "closes": dt.time(18)}
        )
    return [Chair.objects.get_or_create(name=f"Chair {n}", defaults={"order": n})[0] for n in range(1, 7)]
