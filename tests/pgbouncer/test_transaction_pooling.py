"""The portal behind PgBouncer in transaction pooling mode, as production at scale runs it.

A client's consecutive transactions may run on different server connections there, so
anything left on a connection between transactions (a session advisory lock, a SET without
LOCAL, a prepared statement, LISTEN, a server-side cursor) would leak to another client or
be lost. Each test here drives one risky piece through a pool of fewer server connections
than racing clients: booking races, notification dispatch (claim, deliver, mark), two-step
sign-in and the guide cache.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import threading
from pathlib import Path

import psycopg2
import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from education.models import Guide, Item, Section
from education.services import guide_publish
from portal.models import AuditEvent, Role, User
from scheduling.models import Chair, Notification, Session
from scheduling.notifications.dispatch import notifications_dispatch
from scheduling.notifications.plan import notifications_plan
from scheduling.services import course_book
from tests.factories import PASSWORD, PatientFactory, UserFactory
from tests.race import failures, race, successes
from tests.scheduling.helpers import MONDAY, NOW, clear, make_session

ROOT = Path(__file__).resolve().parents[2]
THREADS = 12


# --- the pooler itself -----------------------------------------------------------------------


def test_more_clients_than_server_connections_all_work_because_the_pool_is_per_transaction(through_pgbouncer):
    """In session mode the fifth client would wait for a server connection until the barrier times out."""
    clients = THREADS
    barrier = threading.Barrier(clients)
    pids: list[int] = []
    errors: list[BaseException] = []

    def client():
        try:
            conn = psycopg2.connect(through_pgbouncer.url(connection.settings_dict["NAME"], "portal"))
            conn.autocommit = True  # (psycopg2's `with conn:` would open a transaction)
            with conn.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids.append(cursor.fetchone()[0])
                barrier.wait(timeout=20)  # every client is connected at once
                cursor.execute("SELECT pg_backend_pid()")
                pids.append(cursor.fetchone()[0])
            conn.close()
        except BaseException as exc:  # noqa: BLE001 - judged below
            errors.append(exc)

    threads = [threading.Thread(target=client) for _n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(pids) == 2 * clients
    assert len(set(pids)) <= through_pgbouncer.pool_size < clients
    assert through_pgbouncer.pool_mode == "transaction"


def test_every_transaction_of_every_client_runs_in_utc(through_pgbouncer):
    # Django sets the time zone once per connection (a session SET); PgBouncer tracks
    # TimeZone per client and applies it to whichever server connection serves it.
    def zones():
        seen = set()
        for _n in range(10):
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('TimeZone')")
                seen.add(cursor.fetchone()[0])
        return seen

    outcomes = race(zones, THREADS)
    assert not failures(outcomes), failures(outcomes)
    assert set().union(*outcomes) == {"UTC"}


# --- booking races -----------------------------------------------------------------------------


def test_bookings_racing_for_the_last_chair_through_the_pooler_let_exactly_one_win(chairs, through_pgbouncer):
    with time_machine.travel(NOW, tick=False):
        Chair.objects.exclude(pk=chairs[0].pk).update(active=False)
        clinician = UserFactory(role=Role.CLINICIAN)
        patients = [clear(PatientFactory(), clinician) for _ in range(THREADS)]

        def book(patient):
            return course_book(patient=patient, first_day=MONDAY, sessions_per_week=2, weeks=1, start_time=dt.time(10))

        outcomes = race(book, patients)
    crashes = [repr(exc) for exc in failures(outcomes) if not isinstance(exc, ValidationError)]
    assert not crashes, crashes
    assert len(successes(outcomes)) == 1
    assert len(failures(outcomes)) == THREADS - 1
    assert Session.objects.count() == 2
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM scheduling_session a JOIN scheduling_session b
              ON a.id < b.id AND a.chair_id = b.chair_id
             AND tstzrange(a.start, a.occupied_until) && tstzrange(b.start, b.occupied_until)
             WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'
            """
        )
        assert cursor.fetchone()[0] == 0


def test_many_bookings_at_once_through_the_pooler_fill_the_chairs_without_overlap(chairs, through_pgbouncer):
    # Six chairs, twelve patients: the clinic-wide advisory lock is per transaction, so a
    # racer that got it never holds it past its commit on a server connection someone else uses.
    with time_machine.travel(NOW, tick=False):
        clinician = UserFactory(role=Role.CLINICIAN)
        patients = [clear(PatientFactory(), clinician) for _ in range(THREADS)]

        def book(patient):
            return course_book(patient=patient, first_day=MONDAY, sessions_per_week=2, weeks=1, start_time=dt.time(10))

        outcomes = race(book, patients)
    crashes = [repr(exc) for exc in failures(outcomes) if not isinstance(exc, ValidationError)]
    assert not crashes, crashes
    assert len(successes(outcomes)) == 6
    assert Session.objects.values("chair").distinct().count() == 6
    with connection.cursor() as cursor:
        # (pg_locks covers the whole server, where other databases may be booking too.)
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        assert cursor.fetchone()[0] == 0, "an advisory lock outlived its transaction"


# --- notification dispatch: claim, deliver, mark ------------------------------------------------


def test_dispatchers_racing_through_the_pooler_send_each_message_exactly_once(chairs, through_pgbouncer):
    patient = PatientFactory()
    start = (timezone.now() + dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    sessions = [make_session(patient, start + dt.timedelta(days=2 * n)) for n in range(40)]
    notifications_plan(sessions=sessions)
    Notification.objects.exclude(kind=Notification.Kind.REMINDER).delete()
    Notification.objects.update(send_at=timezone.now() - dt.timedelta(minutes=1))
    expected = sorted(str(pk) for pk in Notification.objects.values_list("pk", flat=True))
    assert len(expected) == 40

    outcomes = race(lambda: notifications_dispatch(batch_size=3), 4)
    assert not failures(outcomes), failures(outcomes)
    assert sum(outcomes) == 40
    assert sum(1 for sent in outcomes if sent) >= 2, f"the dispatchers did not share the work: {outcomes}"
    assert sorted(message.extra_headers["X-Notification-ID"] for message in mail.outbox) == expected
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 40


# --- two-step sign-in ------------------------------------------------------------------------------


def _code(device: TOTPDevice) -> str:
    generator = TOTP(bytes.fromhex(device.key))
    generator.time = timezone.now().timestamp()
    return f"{generator.token():06d}"


def test_two_step_sign_in_through_the_pooler(through_pgbouncer):
    clinician = UserFactory(role=Role.CLINICIAN)
    User.objects.filter(pk=clinician.pk).update(two_factor_required_from=timezone.now() - dt.timedelta(days=1))
    device = TOTPDevice.objects.create(user=clinician, name="Authenticator app", confirmed=True)
    client = Client()
    signed_in = client.post("/accounts/login/", {"username": clinician.email, "password": PASSWORD, "next": "/staff/"})
    assert signed_in.status_code == 302
    assert client.get("/staff/").url.startswith("/accounts/two-factor/verify/")
    verified = client.post("/accounts/two-factor/verify/", {"code": _code(device), "next": "/staff/"})
    assert verified.status_code == 302 and verified.url == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert AuditEvent.objects.filter(actor=clinician, action="two_factor.verified").count() == 1


def test_one_code_used_by_two_sign_ins_at_once_through_the_pooler_lets_one_in(through_pgbouncer):
    clinician = UserFactory(role=Role.CLINICIAN)
    User.objects.filter(pk=clinician.pk).update(two_factor_required_from=timezone.now() - dt.timedelta(days=1))
    device = TOTPDevice.objects.create(user=clinician, name="Authenticator app", confirmed=True)
    clients = []
    for _n in range(2):
        each = Client()
        each.post("/accounts/login/", {"username": clinician.email, "password": PASSWORD})
        clients.append(each)
    code = _code(device)

    def verify(each):
        return each.post("/accounts/two-factor/verify/", {"code": code}).status_code

    outcomes = race(verify, clients)
    assert not failures(outcomes), failures(outcomes)
    assert sorted(outcomes) == [200, 302], "a one-time code must let exactly one session in"


# --- the guide cache ---------------------------------------------------------------------------------


def test_the_guide_cache_sees_a_publish_made_through_the_pooler(through_pgbouncer):
    clinician = UserFactory(role=Role.CLINICIAN, is_superuser=True)
    guide = Guide.objects.create(slug="pooled-guide", title="Pooled guide", summary="A guide for the test.")
    section = Section.objects.create(guide=guide, anchor="before", heading="Before your visit", order=1)
    Item.objects.create(section=section, kind=Item.Kind.PARAGRAPH, text="Eat a light meal.", order=1)
    guide_publish(guide=guide, by=clinician)
    visitor = Client()
    first = visitor.get("/learn/pooled-guide/")
    assert first.status_code == 200 and "Eat a light meal." in first.content.decode()
    assert visitor.get("/learn/pooled-guide/").content == first.content  # from the cache

    Item.objects.create(section=section, kind=Item.Kind.PARAGRAPH, text="Bring a friend to drive you.", order=2)
    guide_publish(guide=guide, by=clinician)
    assert "Bring a friend to drive you." in visitor.get("/learn/pooled-guide/").content.decode()


# --- nothing in the code keeps state on a connection ------------------------------------------------

SESSION_STATE = [
    (re.compile(r"pg_(try_)?advisory_(un)?lock(_shared)?\s*\(", re.I), "a session advisory lock (use pg_advisory_xact_lock)"),
    # SQL keywords as the code writes them (upper case), so prose such as "Set up" is not taken for SQL.
    (re.compile(r"""["']\s*(LISTEN|UNLISTEN|PREPARE|DEALLOCATE)\b"""), "LISTEN or a prepared statement"),
    (re.compile(r"""["']\s*SET\s+(?!LOCAL\b|CONSTRAINTS\b)\w"""), "SET without LOCAL"),
    (re.compile(r"""["']\s*(DECLARE\s+\w+\s+.*WITH\s+HOLD|CREATE\s+TEMP)"""), "a held cursor or temp table"),
]


def app_sources() -> list[Path]:
    skip = {".venv", "tests", "var", "node_modules", "migrations"}
    return sorted(path for path in ROOT.rglob("*.py") if not skip & set(path.relative_to(ROOT).parts))


def test_no_code_keeps_session_state_a_transaction_pooler_would_lose():
    found = []
    for path in app_sources():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for pattern, what in SESSION_STATE:
                if pattern.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {what}: {line.strip()}")
    assert not found, "\n".join(found)


def test_the_scan_finds_what_it_looks_for():
    lines = ['cursor.execute("SELECT pg_advisory_lock(%s)")', "cursor.execute('SET statement_timeout = 5')",
             'cursor.execute("LISTEN changes")']
    assert all(any(p.search(line) for p, _what in SESSION_STATE) for line in lines)
    assert not any(p.search('cursor.execute("SET LOCAL lock_timeout = 5")') for p, _w in SESSION_STATE)
    assert not any(p.search('cursor.execute("SELECT pg_advisory_xact_lock(%s)")') for p, _w in SESSION_STATE)


@pytest.mark.parametrize(("pooler", "disabled"), [("transaction", "True"), ("", "False"), ("session", "False")])
def test_transaction_pooling_turns_off_server_side_cursors(pooler, disabled):
    code = "from django.conf import settings; print(settings.DATABASES['default'].get('DISABLE_SERVER_SIDE_CURSORS', False))"
    env = {"DJANGO_SETTINGS_MODULE": "portal.settings", "DJANGO_DEBUG": "1", "DATABASE_POOLER": pooler,
           "DATABASE_URL": "postgres://u@127.0.0.1:6432/portal", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == disabled


def test_an_unknown_pooler_mode_stops_start_up():
    env = {"DJANGO_SETTINGS_MODULE": "portal.settings", "DJANGO_DEBUG": "1", "DATABASE_POOLER": "statement",
           "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", "import django.conf as c; c.settings.DATABASES"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "DATABASE_POOLER" in out.stderr
