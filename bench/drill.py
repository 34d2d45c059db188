"""`make drill`: the scale-out layout on one machine, under load, with faults, counted.

nginx terminates TLS (a certificate made now) in front of two gunicorn nodes with the
production settings; every process reaches PostgreSQL through PgBouncer in transaction
mode; two Celery workers and one beat send email to a local SMTP sink that counts each
notification's messages. Through nginx runs bench/load.py's mixed load for LOAD_SECONDS
(default 120) while: twelve front desks race for the last chair, split across both nodes;
a few thousand reminders fall due; one node is SIGKILLed and started again; the worker
sending a batch is SIGKILLed and started again; a second beat runs by mistake for 30 s;
Redis (a private one: the machine's shared Redis is never touched) stops for 20 s. Then it
waits for the outbox to drain, checks every count, does a pg_dump/pg_restore round trip,
prints a table and, last:

    drill: requests N, errors E (in flight on killed nodes K), lost L, duplicates D, double bookings B, p95 X ms

Everything runs on throwaway databases (portal_drill_<pid>, and _restore) dropped at the
end, and every process it started is stopped, also on Ctrl-C or SIGTERM.
Knobs: LOAD_SECONDS, LOAD_USERS (default 30), DRILL_DUE (reminders, default 3000).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import drill_stack as stack  # noqa: E402
from bench import load  # noqa: E402
from bench.drill_setup import SCRIPT  # noqa: E402
from bench.pgbouncer import PgBouncer, why_unavailable  # noqa: E402

BASE_DB = os.environ.get("DATABASE_URL", "postgres:///portal")
LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "120"))
LOAD_USERS = int(os.environ.get("LOAD_USERS", "30"))
DUE = int(os.environ.get("DRILL_DUE", "3000"))
RACERS = 12
REDIS_DB = 10
RECLAIM_SECONDS = 65  # just over the dispatch task's hard limit (60 s), the shortest safe delay
SETTLE_SECONDS = 180


class Drill:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.folder = Path(tempfile.mkdtemp(prefix="portal-drill-"))
        url = urlparse(BASE_DB)
        self.db_name = f"portal_drill_{self.pid}"
        self.direct_url = urlunparse(url._replace(path="/" + self.db_name))
        self.pg = {"host": url.hostname, "port": url.port, "user": url.username, "password": url.password}
        self.procs: list[stack.Proc] = []
        self.figures: dict[str, object] = {}
        self.recovery: dict[str, str] = {}
        self.kills: list[tuple[int, float, float]] = []  # (node port, killed at, back at), epoch seconds
        self.race_errors: list[str] = []
        self.bouncer: PgBouncer | None = None
        self.sink: stack.Sink | None = None

    # --- plumbing -------------------------------------------------------------------------------
    def psql(self, sql: str, database: str | None = None) -> list[tuple]:
        import psycopg2

        conn = psycopg2.connect(dbname=database or self.db_name, **{k: v for k, v in self.pg.items() if v})
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall() if cursor.description else []
        finally:
            conn.close()

    def pg_args(self) -> list[str]:
        args = []
        if self.pg["host"]:
            args += ["-h", self.pg["host"]]
        if self.pg["port"]:
            args += ["-p", str(self.pg["port"])]
        if self.pg["user"]:
            args += ["-U", self.pg["user"]]
        return args

    def env(self, *, direct: bool = False) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
        database = self.direct_url if direct else self.bouncer.url(self.db_name, self.pg["user"] or "portal")
        env.update(
            DJANGO_SETTINGS_MODULE="portal.settings",
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=f"drill-only-secret-key-{self.pid}-0123456789-abcdefghijklmnopqrstuvwxyz",
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DJANGO_CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{self.https_port}",
            TRUSTED_PROXIES="127.0.0.1",
            DATABASE_URL=database,
            DATABASE_POOLER="" if direct else "transaction",
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/{REDIS_DB}",
            CACHE_KEY_PREFIX=f"portal-drill-{self.pid}",
            EMAIL_URL=f"smtp://127.0.0.1:{self.sink.port}",
            SITE_URL=f"https://127.0.0.1:{self.https_port}",
            NOTIFICATION_DISPATCH_EVERY_SECONDS="5",
            NOTIFICATION_RECLAIM_SECONDS=str(RECLAIM_SECONDS),
            LOG_LEVEL="WARNING",
            LOG_REQUESTS="0",
            PYTHONPATH=str(ROOT),
        )
        return env

    def manage(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env(direct=True),
                              capture_output=True, text=True, timeout=600)
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)[:60]} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def start(self, name: str, args: list[str], env: dict | None = None) -> stack.Proc:
        proc = stack.Proc(name, args, env=env or self.env(), folder=self.folder).start()
        self.procs.append(proc)
        return proc

    def node_url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}/healthz"

    # --- the stack --------------------------------------------------------------------------------
    def build(self) -> None:
        self.redis_port, self.https_port, self.http_port = stack.free_port(), stack.free_port(), stack.free_port()
        self.psql(f'CREATE DATABASE "{self.db_name}"', database="postgres")
        self.sink = stack.Sink()
        self.sink.controller.start()
        self.redis = self.start("redis", stack.redis_command(self.redis_port), env=dict(os.environ))
        stack.wait_until(lambda: stack.socket.create_connection(("127.0.0.1", self.redis_port), 1).close() or True,
                         seconds=10)
        self.bouncer = PgBouncer(databases=[self.db_name], user=self.pg["user"] or os.environ.get("USER", "root"),
                                 server_host=self.pg["host"] or "127.0.0.1", server_port=self.pg["port"] or 5432,
                                 pool_size=10).start()
        print(f"drill: database {self.db_name}, pgbouncer :{self.bouncer.port} (transaction pooling), "
              f"private redis :{self.redis_port}/{REDIS_DB}, smtp sink :{self.sink.port}, folder {self.folder}")
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput")
        self.manage("seed_demo")
        out = self.manage("shell", "-c", SCRIPT.format(racers=RACERS, due=DUE, spread=max(LOAD_SECONDS * 0.8, 90),
                                                       password=load.PASSWORD))
        self.setup = json.loads(next(line for line in out.splitlines() if line.startswith("SETUP="))[6:])
        self.last_due = time.monotonic() + max(LOAD_SECONDS * 0.8, 90)
        self.node_ports = [stack.free_port(), stack.free_port()]
        self.nodes = [self.start(f"node{n + 1}", stack.gunicorn_command(port)) for n, port in enumerate(self.node_ports)]
        self.workers = [self.start(f"worker{n}", stack.worker_command(f"drill{n}")) for n in (1, 2)]
        self.beat = self.start("beat", stack.beat_command(self.folder / "beat-schedule"))
        cert, key = stack.make_certificate(self.folder)
        conf = stack.nginx_config(self.folder, nodes=self.node_ports, https_port=self.https_port,
                                  http_port=self.http_port, cert=cert, key=key)
        self.nginx = self.start("nginx", stack.nginx_command(conf))
        self.tls = ssl.create_default_context(cafile=str(cert))
        for port in self.node_ports:
            stack.wait_until(lambda port=port: stack.healthy(self.node_url(port)), seconds=60)
        self.base = f"https://127.0.0.1:{self.https_port}"
        stack.wait_until(lambda: stack.healthy(self.base + "/healthz", self.tls), seconds=20)
        os.environ.update(self.env(direct=True))  # bench/load.py makes its front desks with manage.py

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            try:
                proc.stop(grace=5)
            except Exception as exc:  # noqa: BLE001 - stop the rest regardless
                print(f"drill: stopping {proc.name}: {exc}", file=sys.stderr)
        if self.bouncer is not None:
            self.bouncer.destroy()
        if self.sink is not None:
            self.sink.controller.stop()
        for name in (self.db_name, self.db_name + "_restore"):
            try:
                self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")
            except Exception as exc:  # noqa: BLE001
                print(f"drill: could not drop {name}: {exc}", file=sys.stderr)

    # --- the race for the last chair ----------------------------------------------------------------
    def race(self) -> dict:
        """Twelve front desks, six on each node (straight to gunicorn, with the headers nginx adds)."""
        barrier = threading.Barrier(RACERS)
        outcomes: list[str] = [""] * RACERS

        def racer(index: int, desk: dict) -> None:
            port = self.node_ports[index % 2]
            browser = load.Browser("127.0.0.1", port, load.Recorder())
            browser.extra_headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1",
                                     "Origin": f"https://127.0.0.1:{self.https_port}",
                                     "Host": f"127.0.0.1:{self.https_port}"}
            browser.totp_key = bytes.fromhex(desk["key"])
            try:
                browser.sign_in(desk["email"])
                page = browser.get(f"/staff/book/?patient={desk['patient']}")
                fields = {"patient": str(desk["patient"]), "first_day": self.setup["first_day"],
                          "sessions_per_week": "2", "weeks": "1", "start_time": "10:00", "action": "book"}
                barrier.wait(timeout=60)
                status, location, body = browser.send("POST", "/staff/book/", [
                    ("csrfmiddlewaretoken", load.CSRF_INPUT.search(page).group(1)), *fields.items()])
                if status == 302 and "/staff/courses/" in location:
                    outcomes[index] = "won"
                elif status == 200 and "nothing was booked" in body.lower():
                    outcomes[index] = "refused"
                else:
                    outcomes[index] = f"error {status}"
            except Exception as exc:  # noqa: BLE001 - every outcome is counted
                barrier.abort()
                outcomes[index] = f"error {exc!r}"[:200]
            finally:
                browser.close()

        threads = [threading.Thread(target=racer, args=(i, d)) for i, d in enumerate(self.setup["racers"])]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.race_errors = [o for o in outcomes if o.startswith("error")]
        return {"won": outcomes.count("won"), "refused": outcomes.count("refused"), "errors": len(self.race_errors)}

    # --- faults -------------------------------------------------------------------------------------
    def kill_node(self) -> None:
        port = self.node_ports[0]
        killed_at = time.time()
        self.nodes[0].kill()
        self.procs.remove(self.nodes[0])
        self.nodes[0] = self.start("node1", stack.gunicorn_command(port))
        took = stack.wait_until(lambda: stack.healthy(self.node_url(port)), seconds=90)
        self.kills.append((port, killed_at, time.time()))
        self.recovery["web node SIGKILLed: restarted and healthy"] = f"{took:.1f} s (nginx sent its requests to node 2)"

    def kill_worker(self) -> None:
        """SIGKILL the worker whose process is talking to the SMTP sink right now (mid-batch)."""
        victim, deadline = None, time.monotonic() + 30
        while victim is None and time.monotonic() < deadline:
            port = self.sink.last_sender_port(within=0.2)
            owner = stack.owner_of_local_port(port) if port else None
            victim = next((w for w in self.workers if owner and owner in w.pids()), None)
            time.sleep(0.02)
        mid_batch = victim is not None
        victim = victim or self.workers[0]
        index = self.workers.index(victim)
        before = self.sink.total()
        victim.kill()
        self.procs.remove(victim)
        killed = time.monotonic()
        self.workers[index] = self.start(f"worker{index + 1}", stack.worker_command(f"drill{index + 1}"))
        took = stack.wait_until(lambda: self.sink.total() > before, seconds=60, step=0.05)
        self.recovery["worker SIGKILLed" + (" mid-batch" if mid_batch else " (no batch was being sent)")] = (
            f"next message {took:.1f} s later; its claimed rows go out after {RECLAIM_SECONDS} s")
        self.figures["worker killed at"] = time.monotonic() - killed

    def second_beat(self) -> None:
        extra = self.start("beat2", stack.beat_command(self.folder / "beat2-schedule"))
        time.sleep(30)
        extra.stop()
        self.procs.remove(extra)
        self.recovery["second beat for 30 s"] = "stopped; its extra dispatch runs claim nothing twice"

    def redis_outage(self) -> None:
        self.redis.stop()
        time.sleep(20)
        self.redis.start()
        back = time.monotonic()
        stack.wait_until(lambda: b'"broker": "ok"' in _get(self.base + "/healthz", self.tls), seconds=60)
        healthy = time.monotonic() - back
        before = self.sink.total()
        sent = stack.wait_until(lambda: self.sink.total() > before, seconds=60, step=0.1)
        self.recovery["Redis stopped 20 s"] = f"healthz broker ok {healthy:.1f} s after restart; next email {sent:.1f} s"

    def faults(self, began: float) -> None:
        def at(fraction: float) -> None:
            time.sleep(max(0.0, began + LOAD_SECONDS * fraction - time.monotonic()))

        steps = [(0.10, "race", lambda: self.figures.update(race=self.race())),
                 (0.25, "node", self.kill_node), (0.40, "worker", self.kill_worker)]
        beat = threading.Thread(target=lambda: (at(0.5), self._safely("beat", self.second_beat)))
        beat.start()
        for fraction, name, step in steps:
            at(fraction)
            self._safely(name, step)
        at(0.6)
        self._safely("redis", self.redis_outage)
        beat.join()

    def _safely(self, name: str, step) -> None:
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - a fault step that breaks is reported, not fatal
            self.recovery[f"fault step {name}"] = f"FAILED: {exc!r}"[:200]

    # --- the run ------------------------------------------------------------------------------------
    def run(self) -> int:
        self.build()
        results: dict = {}
        began = time.monotonic()
        loader = threading.Thread(target=lambda: results.update(load.run(
            self.base, users=LOAD_USERS, seconds=LOAD_SECONDS, tls=self.tls)))
        loader.start()
        self.faults(began)
        loader.join()
        settled = self.settle()
        return self.report(results, settled)

    def settle(self) -> float:
        """Seconds until every email due by now is sent (claims of the killed worker included)."""
        pending = "SELECT count(*) FROM scheduling_notification WHERE status IN ('pending', 'sending') AND send_at <= now()"
        began = time.monotonic()
        time.sleep(max(0.0, self.last_due - time.monotonic()))  # every seeded reminder is due
        try:
            stack.wait_until(lambda: self.psql(pending)[0][0] == 0, seconds=SETTLE_SECONDS, step=1)
        except RuntimeError:
            pass
        # What is due from here on is not judged (a booking's reminders weeks ahead are not due).
        self.cutoff = self.psql("SELECT now()")[0][0]
        time.sleep(6)  # one more beat: anything still in flight lands in the sink
        return time.monotonic() - began

    def report(self, load_figures: dict, settled: float) -> int:
        from bench.drill_report import report

        return report(self, load_figures, settled)


def _get(url: str, tls) -> bytes:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=3, context=tls) as response:
            return response.read()
    except OSError:
        return b""


def main() -> int:
    reason = why_unavailable()
    if reason:
        print(f"drill: {reason}", file=sys.stderr)
        return 2
    drill = Drill()

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    status = 1
    try:
        status = drill.run()
        return status
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not stop the clean-up
        drill.stop_all()
        if status == 0:
            shutil.rmtree(drill.folder, ignore_errors=True)
        else:  # the logs of every process, for whoever looks into it (the dump is already gone)
            (drill.folder / "portal.dump").unlink(missing_ok=True)
            print(f"drill: logs kept in {drill.folder}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
