# The two commands of the README: `make demo` and `make test`. Both create .venv from uv.lock first
# (the provider and, through its dev group, the local tools of local-tools/).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_LINK_MODE := copy

.PHONY: install demo test check lint bench clean test-compat system-deps schema

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: uv.lock pyproject.toml local-tools/pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

## install: create .venv and install the pinned versions from uv.lock
install: $(VENV)/.synced

## schema: regenerate the request schema from the discovery documents of the installed google-api-python-client
schema: install
	$(PY) -m gemini_batch_local.request_schema

## demo: run the example DAG end to end on the local stack and print the result files
demo: install
	$(PY) -m gemini_batch_local.demo

## test: lint, type-check and run the whole test suite (starts and stops its own servers)
test: install lint system-deps
	$(PY) -m pytest $(PYTEST_ARGS)

## system-deps: PostgreSQL, Chromium and chromedriver from Debian for the end-to-end tests
system-deps:
	bash .ci/system-deps.sh

## bench: the benchmark table, also as bench/results/results.json and .png (BENCH_ARGS=--full: 1 GB files)
bench: install
	$(PY) -m bench $(BENCH_ARGS)

## check: the quick loop while developing: lint, then the unit tests (a minute or two)
check: lint
	$(PY) -m pytest tests/unit -q -p no:cacheprovider $(PYTEST_ARGS)

## lint: ruff, mypy, and vermin: nothing newer than the oldest supported Python (3.10) in what users run
lint: install
	$(VENV)/bin/ruff check airflow_batch_gemini local-tools tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/vermin --quiet --no-tips --violations --eval-annotations -t=3.10- \
		airflow_batch_gemini local-tools/gemini_batch_local tests/dags

clean:
	rm -rf $(VENV) $(COMPAT_VENV) $(TOOLS) test-output .pytest_cache .mypy_cache .ruff_cache dist local-tools/dist

## test-compat: the unit and integration tests on Airflow 3.0 (pinned in .ci/compat-airflow-3.0/uv.lock).
## DAG-level runs (airflow dags test, a real scheduler or triggerer) are left out: Airflow 3.0.6's in-process execution API refuses task starts with the
## FastAPI/Pydantic versions a resolver picks without Airflow's constraints files (even for an empty DAG).
COMPAT_VENV := .venv-airflow-3.0
test-compat: | $(UV)
	cd .ci/compat-airflow-3.0 && UV_PROJECT_ENVIRONMENT=$(abspath $(COMPAT_VENV)) ../../$(UV) sync --frozen --python $(PYTHON)
	$(COMPAT_VENV)/bin/python -m pytest tests/unit tests/integration -p no:cacheprovider \
		--ignore=tests/integration/test_dags.py --ignore=tests/integration/test_storage_dag.py \
		--ignore=tests/integration/test_local_stack_cli.py --ignore=tests/integration/test_fail_fast_dags.py \
		--ignore=tests/integration/test_resubmit_triggerer.py --ignore=tests/integration/test_signals_cancel.py \
		--ignore=tests/integration/test_wait_dags.py
