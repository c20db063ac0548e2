# cs_warehouse — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SCALE ?= 1
LANDING ?= landing
WAREHOUSE ?= warehouse/cs_warehouse.duckdb
# `make test` builds a small sample here, never touching the demo warehouse.
TEST_DIR := target/test-sample
TEST_SCALE ?= 0.05

export CSWH_LANDING_DIR := $(LANDING)
export CSWH_WAREHOUSE_PATH := $(WAREHOUSE)

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements/constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements/constraints.txt -e ".[dev]"
	touch $(STAMP)

.PHONY: install
install: $(STAMP) ## create .venv and install the pinned dependencies

.PHONY: demo
demo: $(STAMP) ## set up, generate SF $(SCALE) extracts, load, build and test the warehouse
	$(BIN)/cswh generate --scale $(SCALE) --landing $(LANDING)
	$(BIN)/cswh run --landing $(LANDING) --warehouse $(WAREHOUSE)
	@$(BIN)/python -m cswh.summary --warehouse $(WAREHOUSE) --landing $(LANDING)

.PHONY: lint
lint: $(STAMP) ## ruff, sqlfluff, and the contracts-vs-dbt-YAML check
	$(BIN)/ruff check scripts
	$(BIN)/ruff format --check scripts
	$(BIN)/cswh contracts
	CSWH_WAREHOUSE_PATH=:memory: $(BIN)/sqlfluff lint models macros tests analyses

.PHONY: pytest
pytest: $(STAMP) ## the Python test suite
	$(BIN)/pytest

.PHONY: sample-build
sample-build: $(STAMP) ## generate, load and dbt build a small sample (SF $(TEST_SCALE))
	rm -rf $(TEST_DIR)
	$(BIN)/cswh generate --scale $(TEST_SCALE) --landing $(TEST_DIR)/landing
	$(BIN)/cswh run --landing $(TEST_DIR)/landing --warehouse $(TEST_DIR)/warehouse.duckdb
	$(BIN)/cswh load --landing $(TEST_DIR)/landing --warehouse $(TEST_DIR)/warehouse.duckdb \
		| tee $(TEST_DIR)/second-load.txt
	@grep -q "loaded 0," $(TEST_DIR)/second-load.txt || { echo "error: a second load added rows"; exit 1; }

.PHONY: test
test: lint pytest sample-build ## every check: lint, pytest, a sample dbt build
	@echo "make test: all checks passed"

.PHONY: constraints
constraints: $(STAMP) ## re-pin requirements/constraints.txt from the current .venv
	{ sed -n '1,3p' requirements/constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -vi '^cs-warehouse'; } > requirements/constraints.tmp
	mv requirements/constraints.tmp requirements/constraints.txt

.PHONY: clean
clean: ## remove generated extracts, warehouses and dbt artefacts (keeps .venv)
	rm -rf $(LANDING) warehouse target logs
