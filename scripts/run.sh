#!/usr/bin/env bash
# `make run`: migrate, seed the demo, then run the web server and a Celery worker
# with beat until Ctrl-C, which stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_DEBUG="${DJANGO_DEBUG:-1}"
PORT="${PORT:-8000}"
# Every email and text message lands in one folder, one file each (the web server's and the
# worker's alike), unless EMAIL_URL or SMS_BACKEND say otherwise.
export EMAIL_URL="${EMAIL_URL:-filemail:///$PWD/var/outbox}"  # three slashes, then the absolute path
export SMS_BACKEND="${SMS_BACKEND:-file}"
PY=.venv/bin/python
mkdir -p var/broker var/outbox
if ! $PY -c "import socket, sys; s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1])))" "$PORT" 2>/dev/null; then
  echo "Port $PORT is already in use (another server?). Stop it, or choose another port: make run PORT=8001" >&2
  exit 1
fi
$PY manage.py migrate --noinput
$PY manage.py seed_demo

# The worker gets its own process group (setsid): `celery worker -B` can hang
# when the whole group gets the signal, so we stop it ourselves below.
setsid .venv/bin/celery -A portal worker -B --loglevel=INFO --concurrency=1 \
  --schedule=var/celerybeat-schedule >var/celery.log 2>&1 &
CELERY_PID=$!

stop() {
  trap - INT TERM EXIT
  echo
  echo "Stopping the web server and the Celery worker..."
  [ -n "${WEB_PID:-}" ] && kill "$WEB_PID" 2>/dev/null || true
  kill -TERM "$CELERY_PID" 2>/dev/null || true
  for _ in $(seq 1 20); do kill -0 "$CELERY_PID" 2>/dev/null || break; sleep 0.5; done
  kill -KILL -- "-$CELERY_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  echo "Stopped."
}
trap stop INT TERM EXIT

echo
echo "Portal: http://127.0.0.1:$PORT/   (Celery worker and beat log: var/celery.log)"
echo "Emails and text messages: var/outbox/ (one file each)"
echo "Database: ${DATABASE_URL:-embedded SQLite (db.sqlite3)}   Broker: ${REDIS_URL:-embedded (var/broker)}"
echo "Press Ctrl-C to stop."
echo
$PY manage.py runserver "127.0.0.1:$PORT" --noreload &
WEB_PID=$!
wait "$WEB_PID"
