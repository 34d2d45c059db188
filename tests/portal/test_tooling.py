"""`make test` stops at once, naming the service, when PostgreSQL or Redis is unreachable."""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _check(**env_overrides):
    env = dict(os.environ, **env_overrides)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "scripts/check_services.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    return result, time.monotonic() - started


def test_it_names_an_unreachable_redis_and_how_to_start_it():
    result, elapsed = _check(REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode == 2
    assert "REDIS_URL=redis://127.0.0.1:1/0" in result.stderr and "redis-server" in result.stderr
    assert "DATABASE_URL" not in result.stderr
    assert elapsed < 15


def test_it_names_an_unreachable_postgresql_and_how_to_start_it():
    result, elapsed = _check(DATABASE_URL="postgres://root@127.0.0.1:1/portal")
    assert result.returncode == 2
    assert "DATABASE_URL=postgres://root@127.0.0.1:1/portal" in result.stderr and "pg_ctlcluster" in result.stderr
    assert elapsed < 15


def test_it_passes_when_both_answer():
    result, _ = _check()
    assert result.returncode == 0, result.stderr
