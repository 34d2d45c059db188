"""Stop at once, naming the variable and how to start the service, when the
PostgreSQL or Redis that the tests use does not answer."""

import os
import sys
from urllib.parse import urlparse

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres:///portal")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

problems = []
try:
    import psycopg2

    url = urlparse(DATABASE_URL)
    conn = psycopg2.connect(
        dbname="postgres",
        user=url.username or None,
        password=url.password or None,
        host=url.hostname or None,
        port=url.port or None,
        connect_timeout=3,
    )
    conn.close()
except Exception as exc:  # noqa: BLE001
    problems.append(
        f"PostgreSQL at DATABASE_URL={DATABASE_URL} is unreachable ({str(exc).strip().splitlines()[0]}).\n"
        "  Start it, e.g.: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
        "  or set DATABASE_URL to a PostgreSQL you can reach (postgres://user:pass@host:5432/portal)."
    )
try:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=3).ping()
except Exception as exc:  # noqa: BLE001
    problems.append(
        f"Redis at REDIS_URL={REDIS_URL} is unreachable ({exc}).\n"
        "  Start it, e.g.: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no\n"
        "  or set REDIS_URL to a Redis you can reach (redis://host:6379/0)."
    )
if problems:
    print("make test needs real PostgreSQL and Redis:\n" + "\n".join(problems), file=sys.stderr)
    sys.exit(2)
print(f"PostgreSQL ({DATABASE_URL}) and Redis ({REDIS_URL}) answer.")
