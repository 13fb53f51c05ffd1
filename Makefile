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
export SNOWFLAKE_DISABLE_PLATFORM_DETECTION := true

.PHONY: help setup run test checkpoints lint-and-checkpoints lint lint-sql portability defs unit nbval exercises notebooks lab ui serve loadtest snowflake-emulated snowflake-check bench ci-pr prod-manifest browser site site-serve doctor progress clean dbt-gates docs docs-serve

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

.venv/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || { echo "uv not found: installing it with pip"; python3 -m pip install --quiet uv; }
	$(UV) sync --locked
	@touch $@

setup: .venv/.synced ## install the locked environment (uv sync --locked)

# `make run` and `make test` record their wall time in test-artifacts/ (what the README quotes:
# `python tools/chapter_times.py` writes the last measurement into it).
run: setup ## generate the sources (if missing), run the whole pipeline on DuckDB, publish, summarise
	@start=$$(date +%s); \
	$(RUN) python -m microproduct init --if-missing && $(RUN) python -m orchestration run && \
	mkdir -p test-artifacts && echo "{\"command\": \"make run\", \"seconds\": $$(( $$(date +%s) - start ))}" > test-artifacts/make-run.json

# nbval before unit: nbval's run of each solution records the checks' expected values, which the
# answer-leak proof in unit then reads instead of executing every solution again. checkpoints first:
# both parameter sets' rungs built side by side, so no test waits on another's build. Each step's
# seconds go into test-artifacts/make-test.json too (bench's make-test profile reads them).
TEST_STEPS := setup browser lint-and-checkpoints nbval unit
test: ## set up, lint, build the checkpoints, run every test (what CI runs)
	@start=$$(date +%s); steps=""; \
	for step in $(TEST_STEPS); do \
	  begun=$$(date +%s); $(MAKE) --no-print-directory $$step || exit 1; \
	  steps="$$steps, \"$$step\": $$(( $$(date +%s) - begun ))"; \
	done; \
	mkdir -p test-artifacts && echo "{\"command\": \"make test\", \"seconds\": $$(( $$(date +%s) - start )), \"steps\": {$${steps#, }}}" > test-artifacts/make-test.json

# Slim CI (tools/slim_ci.py): production = the prod target (data/warehouse/prod.duckdb, built on main
# with `SPROUTLY_TARGET=prod make run`) and main's manifest in .ci/prod-manifest/ (`make prod-manifest`).
prod-manifest: setup ## Slim CI's state: dbt parse --target prod of this checkout (run on main) -> .ci/prod-manifest/
	$(RUN) python -m tools.slim_ci prod-manifest

ci-pr: setup ## pull requests: dbt build -s state:modified+ --defer --state .ci/prod-manifest (full build without it)
	$(RUN) python -m tools.slim_ci pr

lint: setup lint-sql portability defs ## ruff, sqlfluff, the Snowflake portability gate, exercises in sync, Dagster definitions load (dg)
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) python tools/make_exercises.py --check
	$(RUN) python tools/glossary_links.py --check

lint-sql: setup ## sqlfluff (dbt templater, duckdb dialect) over the dbt project
	@tmp=$$(mktemp -d) && mkdir -p $$tmp/warehouse && cd dbt_project && \
	  SPROUTLY_DATA_DIR=$$tmp DBT_TARGET_PATH=$$tmp/target $(RUN) sqlfluff lint models tests snapshots --processes 1; \
	  rc=$$?; rm -rf $$tmp; exit $$rc

portability: setup ## the gate: compile for Snowflake (emulated connection), parse every model and test as Snowflake SQL
	@tmp=$$(mktemp -d) && SPROUTLY_DATA_DIR=$$tmp $(RUN) python -m cutover portability; \
	  rc=$$?; rm -rf $$tmp; exit $$rc

defs: setup ## the Dagster definitions load and validate (`dg check defs`; temp data, telemetry off)
	@# dg writes usage logs to $$DAGSTER_HOME/logs and ~/.dagster unless $$DAGSTER_HOME/dagster.yaml
	@# says `telemetry: enabled: false` (DAGSTER_DISABLE_TELEMETRY only stops uploads): ours does.
	@tmp=$$(mktemp -d) && mkdir -p $$tmp/dagster_home && cp orchestration/dagster.yaml $$tmp/dagster_home/ && \
	  SPROUTLY_DATA_DIR=$$tmp DAGSTER_HOME=$$tmp/dagster_home DBT_TARGET_PATH=$$tmp/target \
	  $(RUN) dg check defs; rc=$$?; rm -rf $$tmp; exit $$rc

# The dbt project's own gates, on a copy of it in a temporary folder (mf reads only
# <project>/target/semantic_manifest.json): `dbt parse` fails on any deprecation warning, then
# `mf validate-configs` checks the semantic layer (without a warehouse: the metric-equality test
# in tests/dbt/ queries a built one). mf checks PyPI for a newer version on every start (the
# update-checker package, no switch to turn it off): a refused local proxy stops that call at once.
MF_NO_CALL_HOME := https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9
lint: dbt-gates
dbt-gates: setup ## dbt parse with zero deprecation warnings (and no model version past its deprecation date); mf validate-configs
	@tmp=$$(mktemp -d) && mkdir -p $$tmp/data/warehouse && cp -r dbt_project $$tmp/project && \
	  rm -rf $$tmp/project/target $$tmp/project/logs && \
	  export SPROUTLY_DATA_DIR=$$tmp/data DBT_PROJECT_DIR=$$tmp/project DBT_PROFILES_DIR=$$tmp/project && \
	  unset DBT_TARGET_PATH DBT_LOG_PATH && \
	  $(RUN) dbt --warn-error-options '{"error": ["Deprecations", "DeprecatedModel", "DeprecatedReference"]}' parse --no-partial-parse --quiet && \
	  $(MF_NO_CALL_HOME) $(RUN) mf validate-configs --skip-dw; rc=$$?; rm -rf $$tmp; exit $$rc

docs: setup ## dbt docs generate: the static docs site in dbt_project/target (static_index.html is one file)
	cd dbt_project && $(RUN) dbt docs generate --static --quiet

docs-serve: docs ## serve the dbt docs on 127.0.0.1 (port: DOCS_PORT, default 8081)
	cd dbt_project && $(RUN) dbt docs serve --host 127.0.0.1 --port $${DOCS_PORT:-8081} --no-browser

# Notebook tests share one checkpoint cache (content-keyed, build-locked) across workers and phases.
TEST_CHECKPOINTS := SPROUTLY_CHECKPOINT_DIR=$(CURDIR)/.checkpoints

unit: setup ## the pytest suite (two workers; a test module, or one notebook, at a time per worker: tests/conftest.py)
	$(TEST_CHECKPOINTS) $(RUN) pytest -q -n 2 --dist loadfile --durations=15 --junitxml=test-artifacts/junit-unit.xml

# lint is one process at a time (~50 % of 2 cores idle for ~80 s): the checkpoints' ladders use that core.
lint-and-checkpoints: setup ## lint and checkpoints side by side (each one's output shown whole when it ends)
	@$(MAKE) --no-print-directory -j2 --output-sync=target checkpoints lint

checkpoints: setup ## build every checkpoint rung the tests start from, for both parameter sets side by side (.checkpoints/)
	$(TEST_CHECKPOINTS) $(RUN) python tools/warm_checkpoints.py

nbval: setup ## re-execute notebooks/ and solutions/, compare with the committed outputs
	$(TEST_CHECKPOINTS) $(RUN) pytest --nbval notebooks solutions --nbval-sanitize-with tests/notebooks/nbval_sanitize.cfg -n 2 --dist loadfile -q -p no:cacheprovider --durations=10 --junitxml=test-artifacts/junit-nbval.xml

exercises: setup ## generate exercises/ from solutions/ (strip cells tagged `solution`)
	$(RUN) python tools/make_exercises.py

notebooks: setup ## re-execute chapters + solutions in place (refresh committed outputs), then exercises
	$(RUN) python tools/execute_notebooks.py notebooks/[0-9]*.ipynb solutions/[0-9]*.ipynb
	$(RUN) python tools/make_exercises.py

# JupyterLab's settings live in jupyter/ (127.0.0.1, allowed as root, no news, no update checks).
LAB := JUPYTER_CONFIG_DIR=$(CURDIR)/jupyter $(RUN) jupyter lab
lab: setup ## JupyterLab on 127.0.0.1, as root or not, offline (settings: jupyter/; extra: LAB_ARGS=...)
	$(LAB) $(LAB_ARGS)

ui: setup ## Dagster UI on 127.0.0.1:3000
	$(RUN) python -m orchestration ui --port 3000

serve: setup ## the read API over the published marts on 127.0.0.1 (port: SERVING_PORT, default 8000)
	$(RUN) python -m serving

loadtest: setup ## p50/p95 of the read API at 20 concurrent clients over loopback (bounded)
	$(RUN) python -m serving.loadtest

snowflake-emulated: setup ## the Snowflake cutover against the local emulator: build + parity, labelled "emulated"
	$(RUN) python -m cutover emulated

snowflake-check: setup ## the cutover against a real account when SNOWFLAKE_* are set; skipped (exit 0) otherwise
	$(RUN) python -m cutover check

bench: setup ## performance table vs issue #7's targets (long; writes bench/results.md + results.json)
	$(RUN) python -m bench

browser: ## Chromium + ChromeDriver from Debian packages (for the UI test); never by hand
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then \
	  echo "chromium: $$(chromium --version 2>/dev/null)"; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "chromium missing and not root: the browser test will be skipped (sudo make browser)"; fi

site: setup ## the course website in site/ from the committed notebooks and docs (offline, no re-execution)
	$(RUN) python -m tools.site

SITE_PORT ?= 8080
site-serve: setup ## serve site/ on http://127.0.0.1:$(SITE_PORT) (builds it first if missing)
	@test -f site/index.html || $(RUN) python -m tools.site
	$(RUN) python -m http.server --bind 127.0.0.1 --directory site $(SITE_PORT)

doctor: ## check a machine before a session: Python, uv, disk, ports, the lock, DuckDB, checkpoints
	@python3 tools/doctor.py

progress: setup ## where a learner stands: run copies of exercises/ and print each check's pass/fail
	$(RUN) python -m tools.progress $(PROGRESS_ARGS)

clean: ## remove generated data and build artefacts (keeps the environment)
	rm -rf data/sources data/warehouse data/serving data/dagster_home data/sandboxes data/clock.json \
	       data/alerts.jsonl .checkpoints .ci/prod-manifest dbt_project/target dbt_project/logs .pytest_cache test-artifacts site
