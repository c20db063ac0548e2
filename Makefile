# cs_warehouse — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make test` also needs the dev tools and the PostgreSQL and Spark adapters; `make demo` does not.
DEV_STAMP := $(VENV)/.installed-dev
SCALE ?= 1
LANDING ?= landing
WAREHOUSE ?= warehouse/cs_warehouse.duckdb
# `make test` builds a small sample here, never touching the demo warehouse.
TEST_DIR := target/test-sample
TEST_SCALE ?= 0.05
TEST_WAREHOUSE := $(TEST_DIR)/warehouse.duckdb
BENCH_SCALES ?= 1 10 50
# Debian packages the browser test, the PostgreSQL build and the Spark build need.
SYSTEM_PACKAGES := /usr/bin/chromium:chromium /usr/bin/java:default-jre-headless
SYSTEM_PACKAGES += /usr/lib/postgresql:postgresql

export CSWH_LANDING_DIR := $(LANDING)
export CSWH_WAREHOUSE_PATH := $(WAREHOUSE)
# The BI file is derived from the warehouse path (<stem>_bi.duckdb): a developer's own setting
# must not send the test sample's marts over their real BI file.
unexport CSWH_BI_WAREHOUSE_PATH

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements/constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements/constraints.txt -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -c requirements/constraints.txt -e ".[dev,postgres,spark]"
	touch $(DEV_STAMP)

.PHONY: install
install: $(STAMP) ## create .venv and install the pinned dependencies (DuckDB only)

.PHONY: install-dev
install-dev: $(DEV_STAMP) ## also install the test tools and the PostgreSQL and Spark adapters

.PHONY: system-deps
system-deps: ## install chromium, a Java runtime and PostgreSQL with apt-get when missing
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
		[ -e "$${pair%%:*}" ] || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
		$$sudo apt-get update -qq && $$sudo apt-get install -y -qq $$missing; \
	fi

.PHONY: demo
demo: $(STAMP) ## set up, generate SF $(SCALE) extracts, load, build, test, publish, document
	$(BIN)/cswh generate --scale $(SCALE) --landing $(LANDING)
	$(BIN)/cswh run --landing $(LANDING) --warehouse $(WAREHOUSE)
	$(BIN)/dbt docs generate --project-dir . --profiles-dir . --quiet
	@$(BIN)/cswh summary --warehouse $(WAREHOUSE) --landing $(LANDING)

.PHONY: dashboard
dashboard: $(STAMP) ## start the dashboard on the published warehouse (http://127.0.0.1:8501)
	@[ -f "$(basename $(WAREHOUSE))_bi.duckdb" ] || echo "note: no BI file beside $(WAREHOUSE) yet; run make demo first"
	$(BIN)/streamlit run dashboard/app.py --server.headless true --server.address 127.0.0.1 \
		--server.port 8501 --browser.gatherUsageStats false

.PHONY: docs
docs: $(STAMP) ## generate the dbt docs catalogue of the published warehouse (target/)
	$(BIN)/dbt docs generate --project-dir . --profiles-dir .
	@echo "docs: open target/index.html, or run: $(BIN)/dbt docs serve --port 8080"

.PHONY: bench
bench: $(DEV_STAMP) ## benchmark SF $(BENCH_SCALES): figures to benchmarks/ and docs/benchmarks.md
	$(BIN)/cswh bench --scales "$(BENCH_SCALES)" --out benchmarks

.PHONY: lint
lint: $(DEV_STAMP) ## ruff, sqlfluff, and the contracts-vs-dbt-YAML check
	$(BIN)/ruff check scripts dashboard
	$(BIN)/ruff format --check scripts dashboard
	$(BIN)/cswh contracts
	CSWH_WAREHOUSE_PATH=:memory: $(BIN)/sqlfluff lint models macros tests analyses
	$(BIN)/pre-commit validate-config .pre-commit-config.yaml

.PHONY: pytest
pytest: $(DEV_STAMP) ## the Python test suite (reuses the sample warehouse when it exists)
	@if [ -f $(TEST_WAREHOUSE) ]; then \
		echo "the tests that read marts share $(TEST_WAREHOUSE) (conftest.py's sample fixture)"; \
		export CSWH_TEST_SAMPLE_WAREHOUSE=$(TEST_WAREHOUSE); \
	fi; \
	$(BIN)/pytest

.PHONY: sample-build
sample-build: $(DEV_STAMP) ## generate, load and dbt build a small sample (SF $(TEST_SCALE))
	rm -rf $(TEST_DIR)
	$(BIN)/cswh generate --scale $(TEST_SCALE) --landing $(TEST_DIR)/landing
	$(BIN)/cswh run --landing $(TEST_DIR)/landing --warehouse $(TEST_WAREHOUSE)
	@# Production runs leave the unit tests out (they pin formulas on hand-written rows): CI runs them.
	CSWH_WAREHOUSE_PATH=$(TEST_WAREHOUSE) $(BIN)/dbt test --select "test_type:unit" \
		--project-dir . --profiles-dir . --quiet
	$(BIN)/cswh load --landing $(TEST_DIR)/landing --warehouse $(TEST_WAREHOUSE) \
		| tee $(TEST_DIR)/second-load.txt
	@grep -q "loaded 0," $(TEST_DIR)/second-load.txt || { echo "error: a second load added rows"; exit 1; }

# The steps below reuse the sample; run standalone, they build it first.
$(TEST_WAREHOUSE):
	$(MAKE) sample-build

.PHONY: browser-test
browser-test: $(DEV_STAMP) system-deps | $(TEST_WAREHOUSE) ## open every dashboard page in headless Chromium
	CSWH_TEST_SAMPLE_WAREHOUSE=$(TEST_WAREHOUSE) \
	CSWH_DASHBOARD_SCREENSHOTS=$(TEST_DIR)/screenshots $(BIN)/pytest -m browser
	@echo "screenshots: $(TEST_DIR)/screenshots"

.PHONY: postgres-build
postgres-build: $(DEV_STAMP) system-deps | $(TEST_WAREHOUSE) ## build the sample on a local PostgreSQL
	CSWH_TEST_SAMPLE_WAREHOUSE=$(TEST_WAREHOUSE) $(BIN)/pytest -m postgres

.PHONY: spark-build
spark-build: $(DEV_STAMP) system-deps | $(TEST_WAREHOUSE) ## build the sample on a local Spark session
	CSWH_TEST_SAMPLE_WAREHOUSE=$(TEST_WAREHOUSE) $(BIN)/pytest -m spark

.PHONY: test
test: lint sample-build pytest browser-test postgres-build spark-build ## every check: lint, pytest, sample builds on every engine, the browser test
	@echo "make test: all checks passed"

.PHONY: constraints
constraints: $(DEV_STAMP) ## re-pin requirements/constraints.txt from the current .venv
	{ sed -n '1,3p' requirements/constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -vi '^cs-warehouse'; } > requirements/constraints.tmp
	mv requirements/constraints.tmp requirements/constraints.txt

.PHONY: clean
clean: ## remove generated extracts, warehouses and dbt artefacts (keeps .venv)
	rm -rf $(LANDING) warehouse target logs
