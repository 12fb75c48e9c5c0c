# Casebridge: the two commands.
#   make run   install, migrate the embedded SQLite database, load demo data, serve on :8000
#   make test  install, then ruff, mypy and pytest on SQLite, and again on PostgreSQL when
#              DATABASE_URL points at one (.ci/run always provides one)

SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export UV_COMPILE_BYTECODE := 1
export UV_LINK_MODE := copy

UV_VERSION := 0.13.9
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
VENV := .venv/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# One pytest worker per CPU (pytest-xdist), a test file per worker at a time: each worker has its
# own test database. `make test PYTEST_ARGS=` runs in one process.
PYTEST_ARGS ?= -n auto --dist loadfile

.PHONY: help install run test lint typecheck test-sqlite test-postgres clean

help:
	@echo "make run    serve Casebridge with demo data on http://$(HOST):$(PORT)"
	@echo "make test   ruff, mypy, pytest (SQLite, then PostgreSQL if DATABASE_URL is set)"

$(CURDIR)/.tools/bin/uv:
	@echo "Installing uv $(UV_VERSION) into .tools/"
	@python3 -m venv .tools
	@.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install: $(UV)
	@$(UV) sync --frozen --quiet

run: install
	@mkdir -p var
	@$(VENV)/casebridge migrate --no-input -v0
	@$(VENV)/casebridge demo
	@$(VENV)/casebridge collectstatic --no-input -v0
	@echo ""
	@echo "  Casebridge is starting on http://$(HOST):$(PORT)"
	@echo "  Sign in with password 'casebridge-demo' as:"
	@echo "    dana    L2 engineer (the queue)       liam   L1 agent"
	@echo "    rita    release train engineer       paul   product manager"
	@echo "    sofia   developer L3   ana  L2   jun  L1   leo  L4"
	@echo "    dev_ops DevOps        quinn  tester        admin  administrator"
	@echo "    alice   customer, Acme Retail        bella  customer, Borealis Bank"
	@echo "    glory   partner (Glory Team)"
	@echo ""
	@$(VENV)/casebridge serve --host $(HOST) --port $(PORT) --with-worker

lint: install
	@$(VENV)/ruff check .
	@$(VENV)/ruff format --check .
	@$(VENV)/lint-imports --no-cache
	@$(VENV)/bandit -c pyproject.toml -r src -q

typecheck: install
	@$(VENV)/mypy src

test-sqlite: install
	@echo "== pytest on SQLite"
	@env -u DATABASE_URL $(VENV)/pytest -q $(PYTEST_ARGS)

test-postgres: install
	@if [[ "$${DATABASE_URL:-}" == postgres* ]]; then \
		echo "== pytest on PostgreSQL"; \
		$(VENV)/pytest -q $(PYTEST_ARGS); \
	else \
		echo "== PostgreSQL: skipped (set DATABASE_URL=postgres://... to run it; CI always does)"; \
	fi

test: lint typecheck test-sqlite test-postgres

clean:
	rm -rf .venv .tools var/static .pytest_cache .mypy_cache .ruff_cache
