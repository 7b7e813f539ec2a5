# Plumbline: `make demo` runs it, `make test` tests it. Needs only python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# every command sees them: links, QR codes and the demo's sign-in line follow the served port (see PUBLIC_BASE_URL)
export HOST PORT
PG_TEST_URL ?= $(if $(filter postgres%,$(DATABASE_URL)),$(DATABASE_URL),postgres://postgres@127.0.0.1:5432/plumbline)
PYTEST_ARGS ?= -q

.PHONY: demo install install-test test test-sqlite test-postgres lint serve worker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,spark]"
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## demo: install, migrate SQLite, load the demo company once (with 30 planted duplicates), score and route its
## leads, scan for duplicates, serve it with the worker
## and scheduler at http://$(HOST):$(PORT)
demo: install
	$(BIN)/plumbline migrate --noinput -v 0
	$(BIN)/plumbline demo --if-empty --duplicates 30
	$(BIN)/plumbline score --all --no-progress
	$(BIN)/plumbline segments refresh --all
	$(BIN)/plumbline contacts duplicates --scan --limit 0
	$(BIN)/plumbline collectstatic --noinput -v 0
	$(BIN)/plumbline serve --host $(HOST) --port $(PORT) --with-worker

serve: install
	$(BIN)/plumbline serve --host $(HOST) --port $(PORT)

worker: install
	$(BIN)/plumbline worker

## lint: ruff, the import-linter contracts (docs/decisions/0007-layers.md), no missing migrations
lint: install-test
	$(BIN)/ruff check plumbline tests bench
	$(BIN)/lint-imports --no-cache
	$(BIN)/plumbline makemigrations --check --dry-run -v 0

## test: the whole suite on SQLite and on PostgreSQL (required under CI=true), the two side by side on the 2 cores;
## each one's output is printed when it ends
test: lint
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite: install-test
	env -u DATABASE_URL $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: install-test
	@if $(BIN)/python -m plumbline.core.dbcheck "$(PG_TEST_URL)"; then \
		DATABASE_URL="$(PG_TEST_URL)" $(BIN)/python -m pytest $(PYTEST_ARGS); \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL at $(PG_TEST_URL) is unreachable; under CI=true that is a failure." >&2; exit 1; \
	else \
		echo "PostgreSQL at $(PG_TEST_URL) is unreachable: PostgreSQL run skipped (CI treats this as a failure)."; \
	fi

clean:
	rm -rf $(VENV) var staticfiles
