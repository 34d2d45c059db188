"""The processes of `make drill`, each started in its own process group and all stopped at the end.

A private Redis (never the machine's shared one: the drill stops it), PgBouncer in transaction
mode (bench/pgbouncer.py), two gunicorn nodes, two Celery workers, beat, nginx terminating TLS
with a certificate made on the fly, and an SMTP sink that counts messages by notification.
"""

from __future__ import annotations

import collections
import email
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NGINX_SITE = ROOT / "deploy" / "nginx" / "portal.conf"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, *, seconds: float, step: float = 0.2) -> float:
    """Seconds it took for check() to be true; raises after `seconds`."""
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        try:
            if check():
                return time.monotonic() - began
        except OSError:
            pass
        time.sleep(step)
    raise RuntimeError(f"not ready within {seconds} s: {getattr(check, '__doc__', None) or check}")


def healthy(url: str, tls: ssl.SSLContext | None = None) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2, context=tls) as response:
            return response.status == 200
    except OSError:
        return False


class Proc:
    """One command in its own process group, its output in the drill's folder."""

    def __init__(self, name: str, args: list[str], *, env: dict, folder: Path) -> None:
        self.name, self.args, self.env = name, args, env
        self.log_path = folder / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Proc:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def pids(self) -> set[int]:
        """The group's processes (gunicorn's and Celery's children share their parent's group)."""
        if not self.running:
            return set()
        found = set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.getpgid(int(entry.name)) == self.proc.pid:
                        found.add(int(entry.name))
                except OSError:
                    pass
        return found

    def kill(self) -> None:
        """SIGKILL to the whole group: the machine dies, nothing gets to clean up."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)

    def stop(self, grace: float = 10) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=grace)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            self.kill()
        # Children that outlived their parent (a killed master's workers) go too.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Sink:
    """aiosmtpd accepting every message, counted by its X-Notification-ID (None: not a notification)."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.counts: collections.Counter = collections.Counter()
        self.peers: collections.deque = collections.deque(maxlen=50)  # (time, client port)
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.counts[message["X-Notification-ID"]] += 1
            self.peers.append((time.monotonic(), session.peer[1]))
        return "250 Message accepted for delivery"

    def total(self) -> int:
        with self.lock:
            return sum(self.counts.values())

    def last_sender_port(self, within: float = 0.5) -> int | None:
        with self.lock:
            recent = [port for at, port in self.peers if time.monotonic() - at < within]
        return recent[-1] if recent else None


def owner_of_local_port(port: int) -> int | None:
    """The pid holding the client end of a loopback TCP connection from `port` (via ss)."""
    out = subprocess.run(["ss", "-Htnp", f"sport = :{port}"], capture_output=True, text=True).stdout
    match = re.search(r"pid=(\d+)", out)
    return int(match.group(1)) if match else None


def make_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "portal.pem", folder / "portal.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


def nginx_config(folder: Path, *, nodes: list[int], https_port: int, http_port: int, cert: Path, key: Path) -> Path:
    """deploy/nginx/portal.conf with only the addresses, ports, certificate and name changed, inside a
    minimal nginx.conf that keeps every path (logs, pid, temp files) in the drill's folder."""
    site = NGINX_SITE.read_text()
    servers = "".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;\n" for port in nodes)
    site, count = re.subn(r"(    server 10\.0\.0\.\d+:8000[^\n]*\n)+", servers, site)
    assert count == 1, "deploy/nginx/portal.conf: the upstream servers were not found"
    site = re.sub(r"\n\s*listen \[::\]:\d+[^\n]*", "", site)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", site)
    site = site.replace("server_name portal.clinic.example;", "server_name 127.0.0.1 localhost;")
    (folder / "portal.conf").write_text(site)
    temp = {name: folder / f"nginx-{name}" for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    user = "user root root;" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(f"""{user}
worker_processes 1;
pid {folder / 'nginx.pid'};
error_log {folder / 'nginx-error.log'} error;
events {{ worker_connections 1024; }}
http {{
    default_type application/octet-stream;
    log_format drill '$msec $status $request_method "$upstream_addr" "$upstream_status" $request_time';
    access_log {folder / 'nginx-access.log'} drill;
    client_body_temp_path {temp['body']};
    proxy_temp_path {temp['proxy']};
    fastcgi_temp_path {temp['fastcgi']};
    uwsgi_temp_path {temp['uwsgi']};
    scgi_temp_path {temp['scgi']};
    include {folder / 'portal.conf'};
}}
""")
    return conf


def nginx_command(conf: Path) -> list[str]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    return [binary, "-e", str(conf.parent / "nginx-error.log"), "-p", str(conf.parent), "-c", str(conf),
            "-g", "daemon off;"]


def gunicorn_command(port: int) -> list[str]:
    return [str(BIN / "gunicorn"), "portal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2",
            "--timeout", "30", "--graceful-timeout", "5", "--log-level", "warning"]


def worker_command(name: str) -> list[str]:
    return [str(BIN / "celery"), "-A", "portal", "worker", "-n", f"{name}@%h", "--concurrency=1",
            "--without-gossip", "--without-mingle", "--loglevel=WARNING"]


def beat_command(schedule: Path) -> list[str]:
    return [str(BIN / "celery"), "-A", "portal", "beat", "-s", str(schedule), "--loglevel=WARNING"]


def redis_command(port: int) -> list[str]:
    return [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no"]


def in_flight_on(error_log: Path, port: int, since: float, until: float) -> int:
    """Requests nginx had sent to the node on `port` and lost when it died (not refused connections)."""
    if not error_log.exists():
        return 0
    count = 0
    for line in error_log.read_text(errors="replace").splitlines():
        if f"127.0.0.1:{port}" not in line or "connect() failed" in line or "no live upstreams" in line:
            continue
        if "prematurely closed" in line or "reset by peer" in line or "recv() failed" in line:
            stamp = _nginx_time(line)
            if stamp is None or since - 1 <= stamp <= until + 1:
                count += 1
    return count


def _nginx_time(line: str) -> float | None:
    match = re.match(r"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)", line)
    if not match:
        return None
    return time.mktime(time.strptime(match.group(1), "%Y/%m/%d %H:%M:%S"))
