"""The drill's counts, its backup round trip, its table and its last line."""

from __future__ import annotations

import subprocess

from bench import drill_stack as stack

OVERLAPS = """
SELECT count(*) FROM scheduling_session a JOIN scheduling_session b
  ON a.id < b.id AND a.chair_id = b.chair_id
 AND tstzrange(a.start, a.occupied_until) && tstzrange(b.start, b.occupied_until)
 WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'
"""
# Rows whose checksum must survive the backup round trip.
CHECKED_TABLES = ("portal_user", "portal_patient", "scheduling_course", "scheduling_session",
                  "scheduling_notification", "portal_auditevent")


def outbox(drill) -> dict:
    rows = drill.psql("SELECT id, status, channel FROM scheduling_notification "
                      f"WHERE send_at <= '{drill.cutoff.isoformat()}'")
    counts = dict(drill.sink.counts)
    email_rows = [(str(pk), status) for pk, status, channel in rows if channel == "email"]
    sent = [pk for pk, status in email_rows if status == "sent"]
    unsent = [pk for pk, status in email_rows if status in ("pending", "sending", "failed")]
    never_arrived = [pk for pk in sent if counts.get(pk, 0) == 0]
    duplicates = sum(n - 1 for pk, n in counts.items() if pk is not None and n > 1)
    return {
        "due": len(email_rows), "sent": len(sent), "withheld (expired, cancelled, undeliverable)":
        len(email_rows) - len(sent) - len(unsent), "not sent": len(unsent), "marked sent, never arrived":
        len(never_arrived), "lost": len(unsent) + len(never_arrived), "duplicates": duplicates,
        "duplicated ids": sorted(pk for pk, n in counts.items() if pk is not None and n > 1)[:10],
    }


def checksums(drill, database: str) -> dict:
    found = {}
    for table in CHECKED_TABLES:
        found[table] = drill.psql(f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY id), '')) "
                                  f"FROM {table} t", database=database)[0]
    return found


def backup_round_trip(drill) -> str:
    """pg_dump -Fc of the drill's database, pg_restore into a fresh one, every checked table equal."""
    dump = drill.folder / "portal.dump"
    restored = drill.db_name + "_restore"
    subprocess.run(["pg_dump", *drill.pg_args(), "-Fc", "-f", str(dump), drill.db_name], check=True,
                   capture_output=True, timeout=600)
    drill.psql(f'CREATE DATABASE "{restored}"', database="postgres")
    subprocess.run(["pg_restore", *drill.pg_args(), "--no-owner", "--exit-on-error", "-d", restored, str(dump)],
                   check=True, capture_output=True, timeout=600)
    before, after = checksums(drill, drill.db_name), checksums(drill, restored)
    drill.psql(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)', database="postgres")
    size = dump.stat().st_size / 1024 / 1024
    if before != after:
        differ = [t for t in CHECKED_TABLES if before[t] != after[t]]
        return f"MISMATCH in {', '.join(differ)}"
    rows = sum(count for count, _md5 in before.values())
    return f"identical ({rows:,} rows in {len(CHECKED_TABLES)} tables checked; dump {size:.1f} MiB)"


def report(drill, figures: dict, settled: float) -> int:
    box = outbox(drill)
    double_bookings = drill.psql(OVERLAPS)[0][0]
    race = drill.figures.get("race", {"won": 0, "refused": 0, "errors": RACERS_UNKNOWN})
    double_bookings += max(0, race["won"] - 1)
    in_flight = sum(stack.in_flight_on(drill.folder / "nginx-error.log", port, since, until)
                    for port, since, until in drill.kills)
    try:
        backup = backup_round_trip(drill)
    except Exception as exc:  # noqa: BLE001 - reported in the table
        backup = f"FAILED: {exc!r}"[:200]
    requests = figures.get("all requests", 0) + 12
    errors = figures.get("all errors", 0) + race["errors"]
    rows = [
        ("load", f"{figures.get('users', 0)} users for {figures.get('seconds', 0)} s through nginx (TLS)"),
        ("requests", f"{requests:,}"),
        ("requests/s", f"{figures.get('all rps', 0):.1f}"),
        ("p50 / p95 / p99", f"{figures.get('all p50_ms', 0):.0f} ms / {figures.get('all p95_ms', 0):.0f} ms / "
                            f"{figures.get('all p99_ms', 0):.0f} ms"),
        ("errors", f"{errors} (load {figures.get('all errors', 0)}, race {race['errors']}); "
                   f"in flight on the killed node {in_flight}"),
        ("race for the last chair (12, 6 per node)", f"won {race['won']}, refused {race['refused']}"),
        ("double bookings", str(double_bookings)),
        ("notifications due / sent", f"{box['due']:,} / {box['sent']:,}"),
        ("notifications withheld (expired, cancelled)", str(box["withheld (expired, cancelled, undeliverable)"])),
        ("notifications lost / duplicated", f"{box['lost']} / {box['duplicates']}"
                                            + (f" (ids {', '.join(box['duplicated ids'])})" if box["duplicates"] else "")),
        ("outbox drained after the load", f"{settled:.0f} s"),
        *[(f"fault: {name}", value) for name, value in drill.recovery.items()],
        ("pg_dump / pg_restore round trip", backup),
    ]
    width = max(len(name) for name, _ in rows)
    print()
    print(f"| {'drill'.ljust(width)} | result |")
    print(f"|{'-' * (width + 2)}|--------|")
    for name, value in rows:
        print(f"| {name.ljust(width)} | {value} |")
    for error in drill.race_errors:
        print(f"race error: {error}")
    ok = box["lost"] == 0 and box["duplicates"] == 0 and double_bookings == 0 and errors <= in_flight
    print(f"drill: requests {requests}, errors {errors} (in flight on killed nodes {in_flight}), lost {box['lost']}, "
          f"duplicates {box['duplicates']}, double bookings {double_bookings}, p95 {figures.get('all p95_ms', 0):.0f} ms")
    return 0 if ok else 1


RACERS_UNKNOWN = 12
