# Warmline — `make help` lists the targets. CI (.ci/run) runs `make check`, with the agent
# frameworks installed, then starts the app on the lowest dependency versions allowed.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help install fmt lint typecheck imports test examples check demo bench faults clean models

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Warmline needs Python 3.11 or newer (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install Warmline with its dev tools

fmt: install ## Format the code
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

lint: install ## Ruff
	$(BIN)/ruff check src tests bench

typecheck: install ## mypy --strict on src/
	$(BIN)/mypy

imports: install ## The layer contract (cli -> web -> bootstrap -> adapters -> service -> core) and the arrows inside core
	$(BIN)/lint-imports

test: install ## Run the test suite
	$(BIN)/pytest -q

examples: install ## Check every example policy and decide every example conversation
	$(BIN)/warmline policy check examples/policies/acme-dental.yaml examples/policies/vapi.yaml general saas healthcare finance local-services
	@! $(BIN)/warmline policy check examples/policies/broken.yaml 2>/dev/null || \
	  { echo "examples/policies/broken.yaml should fail policy check"; exit 1; }
	@for f in examples/conversations/*.json; do \
	  $(BIN)/warmline decide $$f --policy examples/policies/acme-dental.yaml > /dev/null || exit 1; \
	done; echo "ok: every example conversation decided"

check: lint typecheck imports examples test ## Everything CI runs

models: install ## Retrain the embedded language model (src/warmline/models/language.npz; needs ../shared/data)
	$(BIN)/python training/train_language.py $(if $(DATA),--data $(DATA))
	$(BIN)/python training/record_language_sample.py

demo: install ## Run the server on SQLite with simulated AI agents and reps; open the desk it prints
	$(BIN)/warmline demo

bench: install ## Benchmarks: print numbers and same-run ratios (HTTP ones need Debian's wrk)
	$(BIN)/python bench/bench_rules.py
	$(BIN)/python bench/bench_decide.py
	$(BIN)/python bench/bench_brief.py
	@command -v wrk >/dev/null || { echo "the HTTP benchmarks need wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python bench/bench_http.py --seconds 10
	$(BIN)/python bench/bench_load.py --live 5000 --every 5 --db sqlite,postgres --workers 2
	$(BIN)/python bench/bench_load.py --live 5000 --every 5 --db sqlite,postgres --workers 2 --history 30 --no-echo

faults: install ## Faults on PostgreSQL and SQLite: kill -9 a worker, restart the database, 10,000 accept races
	cd bench/faults && ../../$(BIN)/python kill_worker.py --runs $${RUNS:-20}
	cd bench/faults && ../../$(BIN)/python db_restart.py
	cd bench/faults && ../../$(BIN)/python races.py --races $${RACES:-10000}

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
