# The two commands a fresh clone needs (see README):
#   make demo   - set up, then run the main job (the quickstart against the local target)
#   make test   - set up, then run lint, type checks and the whole test suite
# Each creates .venv and installs what it needs; nothing is assumed on the machine but
# python3 (3.10+), node/npm for the labextension, and apt for Chromium (browser tests).

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PY      = $(BIN)/python
STAMP   = $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: demo lab walkthrough test setup lint typecheck pytest clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e ".[azure,local,test]"
	touch $(STAMP)

# The labextension is built by the editable install above (hatch-jupyter-builder, once per
# fresh checkout); after that only when its sources change, then re-installed so JupyterLab
# serves the new bundle.
LABEXT  = $(VENV)/share/jupyter/labextensions/jupyter-mlssl/package.json
$(LABEXT): labextension/package.json $(wildcard labextension/src/*.ts labextension/style/* labextension/schema/*.json) | $(STAMP)
	cd labextension && PATH="$(abspath $(BIN)):$$PATH" jlpm install && PATH="$(abspath $(BIN)):$$PATH" jlpm build:prod
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(LABEXT)

# Debian packages the tests need, which a fresh machine does not have: Chromium for the
# browser tests, pebble (Let's Encrypt's ACME test CA) for the ACME tests.
/usr/bin/chromium /usr/bin/pebble:
	bash scripts/install-debian-package.sh $(notdir $@)

setup: $(STAMP) $(LABEXT)

# The main job: the local quickstart notebook, run headless on a real kernel. Each step
# prints as it completes (the plan, status, DNS, probe and history tables as text), then
# where the executed copy is (notebooks/executed/) and how to open it: `make lab`.
# `make walkthrough` is the shorter certificate-only tour in the terminal.
demo: setup
	$(PY) notebooks/run_headless.py 01-quickstart-local

# JupyterLab on the quickstart, with the extension (toolbar button, status bar) built and
# enabled. LAB_ARGS passes options, e.g. make lab LAB_ARGS="--no-browser --port 8899".
lab: setup
	$(BIN)/jupyter lab notebooks/01-quickstart-local.ipynb $(LAB_ARGS)

walkthrough: setup
	$(PY) -m jupyter_mlssl.demo

# The labextension's node_modules come with $(LABEXT); its lint is eslint + prettier --check.
lint: setup $(LABEXT)
	$(BIN)/ruff check jupyter_mlssl tests benchmarks
	cd labextension && PATH="$(abspath $(BIN)):$$PATH" jlpm lint:check

typecheck: setup
	$(BIN)/mypy
	PYTHONPATH=$(CURDIR) $(BIN)/mypy --strict --follow-imports=silent jupyter_mlssl/pki
	$(BIN)/mypy --strict --follow-imports=silent jupyter_mlssl/api.py

# pytest exits 5 when it collects nothing: that is a broken suite, not a pass.
pytest: setup /usr/bin/chromium /usr/bin/pebble
	$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

test: lint typecheck pytest

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache test-artifacts notebooks/executed \
		labextension/node_modules labextension/lib labextension/tsconfig.tsbuildinfo \
		jupyter_mlssl/labextension
