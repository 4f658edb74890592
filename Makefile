# The two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run smoke test lint audit migrations-check bench bench-reminders clean

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
	$(BIN)/pytest --numprocesses 2
	@echo "Celery integration tests again, on RabbitMQ:"
	TEST_CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// $(BIN)/pytest -m celery_worker

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

# Security: bandit fails on any medium or high finding in our code (a justified one carries
# `# nosec <id>` and its reason); pip-audit fails on a known vulnerability in any installed pin.
# pip-audit asks PyPI's JSON API about each pinned version; where that API does not answer (a
# mirror-only network), it would check nothing and still pass, so it is skipped, loudly.
# AUDIT_REQUIRED=1 turns that skip into a failure.
PYPI_VULNERABILITY_API := https://pypi.org/pypi/pip/26.3/json
audit: install
	$(BIN)/bandit --quiet --configfile pyproject.toml --recursive config patients journals scripts \
		--severity-level medium
	@if $(BIN)/python -c "import urllib.request as r; r.urlopen('$(PYPI_VULNERABILITY_API)', timeout=15)" \
		2>/dev/null; then \
		$(BIN)/pip-audit --strict --skip-editable --progress-spinner off; \
	else \
		echo "pip-audit: SKIPPED: $(PYPI_VULNERABILITY_API) does not answer from here," \
			"so no pin could be checked for known vulnerabilities."; \
		test -z "$(AUDIT_REQUIRED)"; \
	fi

migrations-check: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

# Performance at clinic scale (issue #8, bench/README.md): every benchmark in turn; each writes
# its part of docs/PERFORMANCE.md and fails when it misses its goal. All of them run even when
# one fails; the target fails at the end if any did. Needs wrk (Debian's package, installed
# here when missing). About 25 minutes on two cores.
WRK := /usr/bin/wrk

$(WRK):
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null

bench: install $(WRK)
	scripts/services.sh
	@failed=""; \
	for step in "-m bench.web" "-m bench.profile --report" "-m bench.celery_drain" "-m bench.cluster" \
		"bench/argon2_cost.py --report" "-m bench.export_memory" "-m bench.reminders --dispatch-only"; do \
		echo "== python $$step"; \
		$(BIN)/python $$step || failed="$$failed [$$step]"; \
	done; \
	if [ -n "$$failed" ]; then echo "bench: goals missed or failed in$$failed"; exit 1; fi; \
	echo "bench: every goal met; docs/PERFORMANCE.md updated"

# Reminder delivery at scale (issue #5, bench/README.md): 100,000 patients over every time
# zone, one dispatcher run and one worker's sends a second; then the soak (10,000 reminders,
# kill -9 of a worker child, a broker restart: 0 duplicates, 0 losses). PostgreSQL database
# mitra_bench (or $$BENCH_DATABASE_URL), Redis db 9, RabbitMQ when it answers; the soak starts
# a redis-server of its own. 15 to 25 minutes on two busy cores.
bench-reminders: install
	scripts/services.sh
	$(BIN)/python -m bench.reminders
	$(BIN)/python -m bench.reminders_soak

clean:
	rm -rf $(VENV) var/
