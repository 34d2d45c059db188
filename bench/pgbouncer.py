"""A private PgBouncer in transaction pooling mode, for the PgBouncer tests and `make drill`.

It runs deploy/pgbouncer/pgbouncer.ini, the file the README tells a clinic to install, with
only the addresses, paths and authentication changed: a free loopback port, a temp folder,
`auth_type = any` (every client logs in as the one database user named in [databases]), and
optionally a smaller pool so a handful of clients must share server connections.

PgBouncer refuses to run as root: as root it runs as the postgres OS user (like initdb in
tests/faults). Stopped with SIGTERM to its process group, then SIGKILL.
"""

from __future__ import annotations

import configparser
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "pgbouncer" / "pgbouncer.ini"
BINARY = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def why_unavailable() -> str | None:
    """None when a PgBouncer can be started here; otherwise the reason, for a skip message."""
    if BINARY is None:
        return "pgbouncer is not installed (`make test` installs it when run as root; or: sudo apt-get install pgbouncer)"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "pgbouncer refuses to run as root and there is no postgres OS user to run it as"
        if shutil.which("runuser") is None:
            return "pgbouncer refuses to run as root and runuser is missing"
    return None


class PgBouncer:
    """PgBouncer on 127.0.0.1:`port`, pooling `databases` (names) of PostgreSQL at server_host:server_port."""

    def __init__(self, *, databases: list[str], user: str, server_host: str = "127.0.0.1", server_port: int = 5432,
                 pool_size: int | None = None, max_client_conn: int | None = None) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="portal-pgbouncer-"))
        self.log = self.dir / "pgbouncer.log"
        self.ini = self.dir / "pgbouncer.ini"
        config = configparser.ConfigParser(interpolation=None, comment_prefixes=(";", "#"))
        config.read(TEMPLATE)
        config.remove_section("databases")
        config.add_section("databases")
        for name in databases:
            config["databases"][name] = f"host={server_host} port={server_port} dbname={name} user={user}"
        settings = config["pgbouncer"]
        settings.update(
            listen_addr="127.0.0.1", listen_port=str(self.port), unix_socket_dir="", auth_type="any",
            logfile=str(self.log), pidfile=str(self.dir / "pgbouncer.pid"), admin_users=user,
        )
        settings.pop("auth_file", None)
        if pool_size is not None:
            settings.update(default_pool_size=str(pool_size), reserve_pool_size="0")
        if max_client_conn is not None:
            settings["max_client_conn"] = str(max_client_conn)
        self.pool_mode = settings["pool_mode"]
        self.pool_size = int(settings["default_pool_size"])
        with self.ini.open("w") as handle:
            config.write(handle)
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            for path in (self.dir, self.ini):
                shutil.chown(path, user="postgres", group="postgres")
        self.proc: subprocess.Popen | None = None

    def start(self, *, timeout: float = 15) -> PgBouncer:
        self.proc = subprocess.Popen(
            [*self.as_postgres, BINARY, str(self.ini)], cwd=self.dir, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pgbouncer exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"pgbouncer did not listen on {self.port} within {timeout} s: {self.log_tail()}")

    def url(self, database: str, user: str) -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{database}"

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.proc = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
