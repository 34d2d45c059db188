# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export DATABASE_URL_TEST := $(or $(DATABASE_URL),postgres:///portal)
export REDIS_URL_TEST := $(or $(REDIS_URL),redis://127.0.0.1:6379/0)

.PHONY: run test test-fast bench deps test-deps chromium lint clean

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

test-deps: deps chromium

test: test-deps
	DATABASE_URL=$(DATABASE_URL_TEST) REDIS_URL=$(REDIS_URL_TEST) $(PY) scripts/check_services.py
	DATABASE_URL=$(DATABASE_URL_TEST) REDIS_URL=$(REDIS_URL_TEST) $(PY) -m pytest --create-db $(PYTEST_ARGS)

# Everything but browser journeys, drills and fault drills: the loop while working.
test-fast: deps
	DATABASE_URL=$(DATABASE_URL_TEST) REDIS_URL=$(REDIS_URL_TEST) $(PY) scripts/check_services.py
	DATABASE_URL=$(DATABASE_URL_TEST) REDIS_URL=$(REDIS_URL_TEST) $(PY) -m pytest --create-db -m "not e2e and not drill and not faults" $(PYTEST_ARGS)

bench: test-deps
	DATABASE_URL=$(DATABASE_URL_TEST) REDIS_URL=$(REDIS_URL_TEST) $(PY) scripts/check_services.py
	DATABASE_URL=$(DATABASE_URL_TEST) REDIS_URL=$(REDIS_URL_TEST) $(PY) bench/run.py

lint: deps
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) var db.sqlite3
