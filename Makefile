# The two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run smoke test lint migrations-check clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e . --group dev
	touch $(INSTALLED)

install: $(INSTALLED)

# The browser tests (tests/browser) drive Debian's chromium through the Python `playwright`
# package, which the dev group above pins. On a fresh machine the first `make test` installs
# chromium with apt (root, or sudo when not root), and only when /usr/bin/chromium is missing.
# `playwright install` is never run: no browser build is ever downloaded.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		chromium fonts-liberation >/dev/null

# Migrate, load the demo data, serve 127.0.0.1:8000 (or $PORT) with a Celery worker; Ctrl-C stops.
run: install
	$(BIN)/python scripts/run.py

# Start `make run` on a throwaway SQLite database, sign in through the API, Ctrl-C it.
smoke: install
	$(BIN)/python scripts/smoke_run.py

test: install $(CHROMIUM)
	scripts/services.sh
	$(BIN)/pytest
	@echo "Celery integration tests again, on RabbitMQ:"
	TEST_CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// $(BIN)/pytest -m celery_worker

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

migrations-check: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var/
