# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export DATABASE_URL_TEST := $(or $(DATABASE_URL),postgres:///portal)
export REDIS_URL_TEST := $(or $(REDIS_URL),redis://127.0.0.1:6379/0)

.PHONY: run test test-fast bench drill deps test-deps chromium pgbouncer nginx lint clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

deps: $(VENV)/.installed

PORT ?= 8000

run: deps
	PORT=$(PORT) ./scripts/run.sh

# Debian's Chromium for the browser tests; Playwright never downloads its own.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Browser tests need /usr/bin/chromium: run 'sudo apt-get install chromium'." >&2; exit 2; \
	  fi; \
	fi

# Debian's PgBouncer for tests/pgbouncer (the portal behind transaction pooling). Without it and
# without root, that module skips and says why; as root `make test` installs it and requires it.
pgbouncer:
	@if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's pgbouncer for the transaction-pooling tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null; \
	  else \
	    echo "tests/pgbouncer will skip: no pgbouncer ('sudo apt-get install pgbouncer' to run it)." >&2; \
	  fi; \
	fi

# Debian's nginx for `make drill` (TLS in front of two gunicorn nodes).
nginx:
	@if [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's nginx for the drill..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	  else \
	    echo "The drill needs /usr/sbin/nginx: run 'sudo apt-get install nginx'." >&2; exit 2; \
	  fi; \
	fi

# Root installs what the tests need, so there a missing pgbouncer is a failure, not a skip.
REQUIRE_PGBOUNCER := $(shell [ "$$(id -u)" = 0 ] && echo 1 || echo 0)

test-deps: deps chromium pgbouncer

test: test-deps
	DATABASE_URL=$(DATABASE_URL_TEST) REDIS_URL=$(REDIS_URL_TEST) $(PY) scripts/check_services.py
	PORTAL_REQUIRE_PGBOUNCER=$(REQUIRE_PGBOUNCER) DATABASE_URL=$(DATABASE_URL_TEST) REDIS_URL=$(REDIS_URL_TEST) \
	  $(PY) -m pytest --create-db $(PYTEST_ARGS)

# Everything but browser journeys, drills and fault drills: the loop while working.
test-fast: deps
	DATABASE_URL=$(DATABASE_URL_TEST) REDIS_URL=$(REDIS_URL_TEST) $(PY) scripts/check_services.py
	DATABASE_URL=$(DATABASE_URL_TEST) REDIS_URL=$(REDIS_URL_TEST) $(PY) -m pytest --create-db -m "not e2e and not drill and not faults" $(PYTEST_ARGS)

bench: test-deps
	DATABASE_URL=$(DATABASE_URL_TEST) REDIS_URL=$(REDIS_URL_TEST) $(PY) scripts/check_services.py
	DATABASE_URL=$(DATABASE_URL_TEST) REDIS_URL=$(REDIS_URL_TEST) $(PY) bench/run.py

# The scale-out drill (minutes; not part of `make test`): nginx + two gunicorn nodes + PgBouncer +
# two Celery workers + beat, with faults mid-load. LOAD_SECONDS shortens the load (default 120).
drill: deps pgbouncer nginx
	DATABASE_URL=$(DATABASE_URL_TEST) $(PY) bench/drill.py

lint: deps
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) var db.sqlite3
