"""Private PostgreSQL and Redis servers, and a gunicorn serving the portal against them.

The fault tests stop and start these servers; the machine's shared PostgreSQL and
Redis (the ones DATABASE_URL and REDIS_URL name) are never touched. Everything
here listens on loopback ports picked free, and is stopped when the tests end.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.faults.helpers import fetch, wait_until

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name) if
                Path(p).parent.name.isdigit() else 0)
PG_BIN = Path(PG_BIN[-1]) if PG_BIN else None
REDIS_SERVER = shutil.which("redis-server")
PASSWORD = "Fault-drill-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    """A throwaway cluster run by the postgres OS user (initdb refuses root) in a temp dir."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="portal-faults-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.dir, user="postgres", group="postgres")
        self._run([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync",
                   "-E", "UTF8", "--locale=C.UTF-8"])
        self.start()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/portal_faults"
        self._run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "portal_faults"])

    def _run(self, args: list[str]) -> None:
        subprocess.run([*self.as_postgres, *args], check=True, capture_output=True, cwd=self.dir, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-o", options,
                   "-w", "-t", "60", "start"])

    def stop(self) -> None:
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def destroy(self) -> None:
        if self.running():
            subprocess.run([*self.as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                            "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: socket.create_connection(("127.0.0.1", self.port), timeout=1).close() or True, seconds=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


def portal_env(*, database_url: str, redis_url: str) -> dict:
    """The production configuration as the test suite runs it (tests.settings: no HTTPS redirect, static
    files from the finders instead of a collectstatic run), pointed at the private servers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CACHE_KEY_PREFIX=f"portal-faults-{os.getpid()}",
        LOG_REQUESTS="0",
        PYTHONPATH=str(ROOT),
    )
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True,
                   timeout=300)


class Gunicorn:
    def __init__(self, env: dict) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="portal-faults-gunicorn-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "portal.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "2", "--threads", "2", "--timeout", "30", "--graceful-timeout", "5"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_until(lambda: fetch(self.base + "/healthz", timeout=3)[0] == 200, seconds=60, step=0.3)

    def url(self, path: str) -> str:
        return self.base + path

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.log.close()
        os.unlink(self.log.name)


@pytest.fixture(scope="session")
def private_postgres():
    if PG_BIN is None or not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        pytest.skip("fault drill needs PostgreSQL's initdb and pg_ctl (/usr/lib/postgresql/*/bin); not installed")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("initdb refuses to run as root and runuser is missing")
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("initdb refuses to run as root and there is no postgres OS user to run it")
    cluster = PrivatePostgres()
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def private_redis():
    if REDIS_SERVER is None:
        pytest.skip("fault drill needs redis-server on PATH; not installed")
    server = PrivateRedis()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def migrated_postgres(private_postgres, private_redis):
    """The private cluster with the portal's schema, the clinic content and the demo data."""
    env = portal_env(database_url=private_postgres.url, redis_url=private_redis.url)
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    return private_postgres


@pytest.fixture
def site(migrated_postgres, private_redis):
    """gunicorn with the production settings on the private PostgreSQL and Redis, both running."""
    if not migrated_postgres.running():
        migrated_postgres.start()
    if private_redis.proc is None:
        private_redis.start()
    server = Gunicorn(portal_env(database_url=migrated_postgres.url, redis_url=private_redis.url))
    try:
        yield server
    finally:
        server.stop()
        if not migrated_postgres.running():
            migrated_postgres.start()
        if private_redis.proc is None:
            private_redis.start()
