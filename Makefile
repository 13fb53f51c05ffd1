# Sproutly analytics engineering workbook. Every target sets itself up: `make run`, `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv: the one on PATH, else the one pip installed into python3 (installed on first use).
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
RUN := $(UV) run --locked --no-sync

# Telemetry off, everywhere (offline machines; no phoning home).
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DO_NOT_TRACK := 1
export DAGSTER_DISABLE_TELEMETRY := True
export PYTHONHASHSEED := 0

.PHONY: help setup run test lint unit lab ui clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

.venv/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || { echo "uv not found: installing it with pip"; python3 -m pip install --quiet uv; }
	$(UV) sync --locked
	@touch $@

setup: .venv/.synced ## install the locked environment (uv sync --locked)

run: setup ## generate the sources (if missing), run the whole pipeline on DuckDB, publish, summarise
	$(RUN) python -m microproduct init --if-missing
	$(RUN) python -m ingestion load all

lint: setup ## ruff
	$(RUN) ruff check .
	$(RUN) ruff format --check .

unit: setup ## the test suite only
	$(RUN) pytest -q

test: setup lint unit ## set up, lint, run every test (what CI runs)

lab: setup ## JupyterLab on 127.0.0.1
	$(RUN) jupyter lab --ip 127.0.0.1 --no-browser

ui: setup ## Dagster UI on 127.0.0.1:3000
	$(RUN) dagster dev -h 127.0.0.1 -p 3000

clean: ## remove generated data and build artefacts (keeps the environment)
	rm -rf data/sources data/warehouse data/serving data/dagster_home data/clock.json \
	       dbt_project/target dbt_project/logs .pytest_cache
