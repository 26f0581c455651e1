# Two commands: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app

.PHONY: run test test-postgres install install-dev translations db demo bench clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

translations: install
	$(FLASK) translations compile

db: install translations
	$(FLASK) db upgrade
	$(FLASK) seed

# Loads the demo only once: on the first start of a new database.
demo: db
	$(FLASK) demo --once

# Serves the app, and runs the scheduled jobs every minute in the background while it does.
# Join links, QR codes and the demo's Open311 recipient (this app itself) use the address it serves on.
PORT ?= 5000
run: export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
run: export OUTBOUND_ALLOWED_HOSTS ?= 127.0.0.1
run: demo
	@trap 'kill 0' INT TERM EXIT; \
	(while true; do $(FLASK) jobs run >/dev/null 2>&1; sleep 60; done) & \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# The browser tests drive Debian's Chromium; the rate-limit tests start a real redis-server.
# As root they are installed when missing; otherwise one line says what to install.
browser:
	@missing=""; [ -x /usr/bin/chromium ] || missing="chromium"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "make test needs Debian's packages:$$missing (sudo apt-get install$$missing)" >&2; exit 1; fi; \
	fi

# The suite on both cores (a test file stays on one worker, so its shared set-up is built once), then
# the browser tests one at a time: they time what a phone sees and should not share the CPU.
test: install-dev translations browser
	$(BIN)/python -m pytest -m "not e2e" -n 2 --dist loadfile
	$(BIN)/python -m pytest -m e2e

# The suite (but the browser tests) against PostgreSQL: TEST_DATABASE_URL=postgresql://... make test-postgres
test-postgres: install-dev translations
	test -n "$(TEST_DATABASE_URL)" || (echo "set TEST_DATABASE_URL=postgresql://..." >&2; exit 2)
	$(BIN)/python -m pytest -m "not e2e" -p no:cacheprovider

bench: install-dev translations
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) instance/*.db instance/*.db-* instance/uploads
