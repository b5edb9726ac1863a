# planboard: `make run` serves on http://127.0.0.1:8000; `make test` runs every test.
# Both set everything up first (venv, Python package, npm packages, web bundle).
# `make dist` builds the wheel and sdist (with the browser bundle inside) into dist/.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup setup-ml run test lint format bench web clean test-fast dist native

setup: $(STAMP) web native tests/interop/node_modules/.installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev,bench]'
	touch $(STAMP)

# The optional [ml] extra (local sentence embeddings for suggested themes): torch's CPU build
# first, so that the extra's `torch` requirement installs nothing more.
setup-ml: $(STAMP)
	$(BIN)/pip install --quiet 'torch==2.13.0'
	$(BIN)/pip install --quiet -e '.[test,dev,bench,ml]'

# The guard's hot modules compiled by mypyc into build/native/ (server/native.py): `planboard
# serve` uses them while they match crdt/'s sources, and runs the Python otherwise.
native: $(STAMP)
	$(BIN)/python -m server.native build

web/node_modules/.installed: web/package.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web: web/node_modules/.installed
	cd web && npm run --silent build

tests/interop/node_modules/.installed: tests/interop/package.json
	cd tests/interop && npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: setup
	$(BIN)/planboard serve

lint: $(STAMP)
	$(BIN)/ruff check server crdt tests bench hatch_build.py
	$(BIN)/ruff format --check server crdt tests bench hatch_build.py
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format server crdt tests bench hatch_build.py
	$(BIN)/ruff check --fix server crdt tests bench hatch_build.py

test: setup lint
	$(BIN)/pytest

test-fast: setup
	$(BIN)/pytest -m "not browser and not packaging" -x

# The wheel and sdist, built the way pip would (sdist first, the wheel from it), by the hook in
# hatch_build.py, which builds the browser bundle with Node: the wheel then needs no Node.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

bench: setup
	cd bench && npm ci --no-audit --no-fund --loglevel=error && $(CURDIR)/$(BIN)/python run.py

clean:
	rm -rf $(VENV) build web/node_modules web/static/dist tests/interop/node_modules bench/node_modules dist
