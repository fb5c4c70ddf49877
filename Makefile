# Everything a newcomer needs: `make run` serves the API locally (no Docker), `make test` checks it.
# The first Python >= 3.12 that actually runs (a pyenv shim may exist without a version behind it).
PYTHON_CANDIDATES := $(wildcard /root/.pyenv/versions/3.13*/bin/python3.13) python3.13 python3.12 python3
PYTHON ?= $(shell for p in $(PYTHON_CANDIDATES); do \
	  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench build clean

$(STAMP): pyproject.toml layers/common/requirements.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is required" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	PYTHONUNBUFFERED=1 $(BIN)/python -m localrun

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench

# `sam build` needs aws-sam-cli (pip install aws-sam-cli) and python3.13 on PATH.
build:
	sam build

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .ruff_cache
