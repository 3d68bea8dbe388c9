# Two entry points for a fresh machine (see README):
#   make run   - install everything, migrate, load demo data, then serve http://127.0.0.1:8000
#                and run the task worker together (Procfile, honcho; one Ctrl-C stops both)
#   make test  - install everything (with the test browser) and run the whole suite
# Installs are stamped so repeated runs only redo what changed.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# pytest-xdist workers: one per core ("auto"); 0 runs the suite in this one process.
PYTEST_WORKERS ?= auto

.PHONY: install run serve worker migrate demo test lint format static browser clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

portal/static/vendor/.built: node_modules/.installed scripts/build-static.mjs assets/charts.js
	npm run --silent build
	touch $@

static: portal/static/vendor/.built

install: $(VENV)/.installed static

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo_data

serve:
	$(PY) manage.py runserver $(HOST):$(PORT)

# The web server and the database task worker together: without the worker nothing queued
# (search indexing, analysis runs, large imports) would ever happen.
run: demo
	PORTAL_HOST=$(HOST) PORTAL_PORT=$(PORT) $(VENV)/bin/honcho --procfile Procfile start

worker: install
	$(PY) manage.py db_worker

browser:
	@sh scripts/ensure-chromium.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

test: install browser lint
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules portal/static/vendor staticfiles
