# quotecontra: `make help` lists the targets.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export MLFLOW_DISABLE_TELEMETRY := true
export TOKENIZERS_PARALLELISM := false
export HF_HUB_OFFLINE := 1
export OMP_WAIT_POLICY := PASSIVE

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

# Extra pip flags, e.g. PIP_EXTRA="--extra-index-url https://download.pytorch.org/whl/cpu" where the CPU torch
# wheel pinned in constraints.txt is not on the default index.
PIP_EXTRA ?=

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PY) >/dev/null || { echo "need $(PY)"; exit 1; }
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(PIP_EXTRA) -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) ## Make .venv and install the package with the exact versions of constraints.txt (no model hub needed)

constraints: $(STAMP) ## Rewrite constraints.txt from .venv (after changing dependencies in pyproject.toml)
	{ sed -n '/^#/p' constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -vi '^quotecontra'; } > constraints.tmp
	mv constraints.tmp constraints.txt

wheel: $(STAMP) ## Build the wheel into dist/ (configs and sample corpus inside; see README "Install")
	$(BIN)/pip wheel --no-deps --no-build-isolation -w dist .

run: $(STAMP) ## Run the whole pipeline on the bundled sample corpus (runs/default, mlflow.db)
	$(BIN)/quotecontra all

test: $(STAMP) ## Fast test tiers (unit, data, model, reliability, end-to-end smoke); slow and integration ones are skipped
	$(BIN)/pytest -m "not slow and not integration" -q -n auto --maxprocesses=4 --dist loadscope

test-integration: $(STAMP) ## Tests against a real Ray cluster and MLflow server (CI runs them after make test)
	$(BIN)/pytest -m "integration and not slow" -q

test-all: $(STAMP) ## Every test, slow ones included (real Label Studio, full training)
	$(BIN)/pytest -q

lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(STAMP) ## mypy over src/quotecontra
	$(BIN)/mypy

format: $(STAMP) ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix src tests
	$(BIN)/ruff format src tests

bench: $(STAMP) ## Benchmarks: writes JSON under experiments/bench/
	$(BIN)/python -m quotecontra.bench

reproduce: $(STAMP) ## Rerun the baseline experiments and compare with experiments/baselines/*.json
	$(BIN)/python -m quotecontra.reproduce

baselines: $(STAMP) ## Regenerate experiments/baselines/*.json by running the baseline experiments
	$(BIN)/python -m quotecontra.reproduce --write

schema: $(STAMP) ## Write the JSON Schemas of the records to docs/schemas
	$(BIN)/quotecontra schema schema_dir=docs/schemas

mlflow-ui: $(STAMP) ## Open the MLflow UI on the local store (http://127.0.0.1:5000)
	$(BIN)/mlflow ui --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port 5000

clean: ## Remove run outputs (keeps .venv and mlflow.db)
	rm -rf runs outputs multirun .pytest_cache

.PHONY: help install constraints wheel run test test-integration test-all lint typecheck format bench reproduce baselines schema mlflow-ui clean
