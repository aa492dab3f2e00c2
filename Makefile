# Two commands do all set-up on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed

.PHONY: run test lint bench clean messages mutation

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(RUNTIME_STAMP)

## run: create the virtualenv, install, migrate, and start the bot (the console when no token is set)
run: $(RUNTIME_STAMP)
	$(BIN)/govbot migrate
	$(BIN)/govbot run

## test: install the dev extra (and Debian's headless Chromium for the site's browser test), run every test
test: $(DEV_STAMP)
	@if { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; } && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium and chromium-driver for the browser test"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium chromium-driver; \
	fi
	$(BIN)/python -m pytest -n auto

## lint: ruff and mypy (strict on governance/)
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

## bench: the benchmarks, with their targets
bench: $(DEV_STAMP)
	$(BIN)/python bench/cast.py
	$(BIN)/python bench/tally.py

## mutation: mutation testing (mutmut) of the tally, audit, verify, secrecy and policy modules, on demand
##   MODULE=governance/verify.py runs one file or folder; SAMPLE=n tests n mutants per file (seed SEED)
MODULE ?=
SAMPLE ?= 0
SEED   ?= 19
mutation: $(DEV_STAMP)
	nice -n 10 $(BIN)/python .ci/mutation.py $(MODULE) --sample $(SAMPLE) --seed $(SEED)

clean:
	rm -rf $(VENV) .mutation *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis

## messages: re-extract translatable text and merge it into the French catalog (then translate the new entries)
messages: $(DEV_STAMP)
	$(BIN)/pybabel extract -F babel.cfg --project govbot --copyright-holder "govbot contributors" --no-location --sort-output --no-wrap -k tr -k command:3 -o governance/locale/govbot.pot .
	$(BIN)/pybabel update -i governance/locale/govbot.pot -d governance/locale -D govbot --no-fuzzy-matching --ignore-obsolete --no-wrap
