# psp: `make run` serves the app with demo data on http://127.0.0.1:8000,
# `make test` runs the whole suite. Both set everything up first in .venv.
# The first of python3.11, 3.12, 3.13 on the PATH (pyproject.toml's requires-python).
PYTHON ?= $(firstword $(foreach v,3.11 3.12 3.13,$(shell command -v python$(v) 2>/dev/null)) python3.11)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help setup run worker test lint format check-deploy bench clean

help:
	@echo "make run    set up and serve the app with demo data on http://$(HOST):$(PORT)"
	@echo "make test   set up and run the test suite"
	@echo "make lint   ruff check, ruff format --check, mypy, lint-imports (the layers)"

$(BIN)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/build/.built: node_modules/.installed static/build.mjs $(wildcard static/scss/*.scss)
	npm run --silent build
	touch $@

var/celery/queue:
	mkdir -p var/media var/celery/queue var/celery/processed var/celery/control

setup: $(BIN)/.installed static/build/.built var/celery/queue
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_reference_data

# Development server plus a Celery worker on the embedded (folder) broker: background
# work runs in its own process, as in production, with no Redis needed.
run: export DEBUG = 1
run: export PSP_DEMO_ACCOUNTS = 1
# Links in emails lead to this server, whatever PORT is.
run: export PSP_SITE_URL ?= http://$(HOST):$(PORT)
# Demo accounts sign in with a password only; `PSP_REQUIRE_STAFF_2FA=1 make run` to try 2FA.
run: export PSP_REQUIRE_STAFF_2FA ?= 0
run: setup
	$(BIN)/python manage.py seed_demo
	@echo "Serving on http://$(HOST):$(PORT) (demo accounts are listed on the sign-in page)"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/celery -A psp worker --pool=solo --loglevel=INFO & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

worker: setup
	$(BIN)/celery -A psp worker --loglevel=INFO

test: $(BIN)/.installed static/build/.built var/celery/queue
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/mypy psp standards apprentices progress epa reports api demo
	$(BIN)/lint-imports --no-logo --no-cache

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# manage.py check --deploy with production settings (DEBUG off, HTTPS on).
check-deploy: $(BIN)/.installed
	DEBUG=0 HTTPS_ONLY=1 PSP_STATIC_MANIFEST=1 ALLOWED_HOSTS=psp.example.org \
	SECRET_KEY=$$($(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))") \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# Benchmark at 200 apprentices x 500 evidence items, in a database of its own (var/bench/,
# or psp_bench on the PostgreSQL server in BENCH_DATABASE_URL): docs/performance.md.
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--reseed --strict". The timeout is a safety
# net only: a run takes a few minutes (gunicorn is stopped however it ends). The load client
# is wrk (Debian package, installed here when apt-get can), else a Python client.
bench: $(BIN)/.installed static/build/.built
	command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get install -y --no-install-recommends wrk >/dev/null; } \
		|| echo "wrk is not installed: the bench measures load with its Python client"
	timeout 1800 $(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules static/build staticfiles
