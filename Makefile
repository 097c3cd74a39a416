# Two commands for a fresh machine:
#   make run   — the app with demo data on SQLite, at http://127.0.0.1:5000
#   make test  — the whole test suite (SQLite; set TEST_DATABASE_URL for PostgreSQL)
# and a quick loop while you work:
#   make test-fast — the suite less the tests marked slow or browser
# Both run in parallel on this machine's cores (pytest-xdist); JOBS=0 runs in one process.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
FLASK  := TRIPLEDGER_ENV=$${TRIPLEDGER_ENV:-development} $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000
JOBS   ?= auto
PYTEST := $(BIN)/python -m pytest -n $(JOBS) --dist loadgroup

.PHONY: run test test-fast install clean-db

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

# The report job consumer (big disclosure reports) runs beside the web app and stops with it.
run: $(BIN)/.installed
	$(FLASK) db upgrade
	$(FLASK) demo load
	test -f instance/signing/report-signing-key.pem || $(FLASK) keys create-demo
	TRIPLEDGER_ENV=$${TRIPLEDGER_ENV:-development} $(BIN)/huey_consumer \
		worker.huey --workers 1 --max-delay 2 --quiet & \
	consumer=$$!; trap 'kill $$consumer 2>/dev/null' EXIT INT TERM; \
	TRIPLEDGER_ENV=$${TRIPLEDGER_ENV:-development} $(BIN)/gunicorn --bind $(HOST):$(PORT) \
		--workers 2 --access-logfile - wsgi:app

test: $(BIN)/.installed
	$(PYTEST) $(PYTEST_ARGS)

test-fast: $(BIN)/.installed
	$(PYTEST) -m "not slow and not browser" $(PYTEST_ARGS)

clean-db:
	rm -f instance/tripledger.sqlite3 instance/tripledger.sqlite3-wal instance/tripledger.sqlite3-shm
