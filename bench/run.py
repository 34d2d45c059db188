"""`make bench`: the portal's figures, measured side by side in one run.

It builds a throwaway PostgreSQL database (`<name>_bench`), migrates and seeds
it, serves the production configuration under gunicorn on loopback, and runs
each benchmark module in bench/ that exists: guide (requests/s against a
whitenoise static file), booking (p50/p95 with 10,000 existing sessions) and
dispatch (notifications per second) and fhir (search p50/p95 and queries for a
patient with 18 sessions and 4 reviews). The machine is noisy: compare the ratios
within one run, not absolute numbers across runs.

BENCH_ONLY=load (or a comma-separated list of guide, load, booking, dispatch, fhir) runs only those.
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASE_DB = os.environ.get("DATABASE_URL", "postgres:///portal")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def bench_database_url() -> str:
    url = urlparse(BASE_DB)
    name = (url.path.lstrip("/") or "portal") + "_bench"
    return urlunparse(url._replace(path="/" + name))


def recreate_database(db_url: str) -> None:
    import psycopg2

    url = urlparse(db_url)
    conn = psycopg2.connect(dbname="postgres", user=url.username, password=url.password, host=url.hostname, port=url.port)
    conn.autocommit = True
    with conn.cursor() as cur:
        name = url.path.lstrip("/")
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(db_url: str) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=db_url,
        REDIS_URL=REDIS_URL,
        DJANGO_SETTINGS_MODULE="portal.settings",
        LOG_LEVEL="WARNING",
        LOG_REQUESTS="0",
        CACHE_KEY_PREFIX="portal-bench",
    )
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def start_gunicorn(env: dict, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            os.environ.get("BENCH_GUNICORN_WORKERS", str(max(2, (os.cpu_count() or 2)))),
            "--threads",
            os.environ.get("BENCH_GUNICORN_THREADS", "2"),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("gunicorn did not become healthy within 30 s")


def main() -> int:
    db_url = bench_database_url()
    env = production_env(db_url)
    print(f"Bench database: {db_url}; broker/cache: {REDIS_URL}; cores: {os.cpu_count()}")
    recreate_database(db_url)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    manage(env, "seed_demo")
    os.environ.update(env)
    rows: list[tuple[str, str]] = []

    port = free_port()
    server = start_gunicorn(env, port)
    try:
        for name in ("guide", "load"):
            module = _module(name)
            if module is None:
                continue
            result = module.run(f"http://127.0.0.1:{port}")
            rows += [(f"{name}: {k}", _fmt(v)) for k, v in result.items()]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)

    import django

    django.setup()
    for name in ("booking", "dispatch", "fhir"):
        module = _module(name)
        if module is None:
            continue
        result = module.run()
        rows += [(f"{name}: {k}", _fmt(v)) for k, v in result.items()]

    width = max(len(k) for k, _ in rows) if rows else 10
    print()
    print(f"| {'figure'.ljust(width)} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for key, value in rows:
        print(f"| {key.ljust(width)} | {value} |")
    return 0


def _module(name: str):
    only = {n.strip() for n in os.environ.get("BENCH_ONLY", "").split(",") if n.strip()}
    if only and name not in only:
        return None
    if not (ROOT / "bench" / f"{name}.py").exists():
        return None
    return importlib.import_module(f"bench.{name}")


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
