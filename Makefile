# The two commands (see README): `make demo` runs the whole system, `make test` passes the tests.
# Both set up everything on a fresh machine first: a virtual environment at .venv with the
# locked dependencies, and (on first use) the Apache Kafka jars from Maven Central.

VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-$(shell sha1sum requirements.lock pyproject.toml | sha1sum | cut -c1-12)
UV      := $(VENV)/bin/uv
BYTECODE := $(VENV)/.bytecode-$(notdir $(STAMP))
PYTHON3 ?= python3

.PHONY: setup demo up down test lint typecheck unit clean-var audit browser

setup: $(STAMP) $(BYTECODE) browser
	@$(PY) -m compileall -q services shared transferpunt tests >/dev/null

# Bytecode, written ahead: these machines set PYTHONDONTWRITEBYTECODE=1, so Python never
# caches what it compiles, and every process compiled each module it imported from source
# again: importing the four services took 4.3-5.9 s of CPU instead of 2.0 s, collecting the
# tests 14-16 s instead of 9 s, and `transferpunt --help` 1.0 s instead of 0.3 s. Python
# still reads bytecode that is there. The project's own files are compiled on every `make`
# (a few hundredths of a second when nothing changed), the dependencies once per install.
$(BYTECODE): $(STAMP)
	@echo "==> compiling the dependencies to bytecode"
	@$(PY) -m compileall -q -j 0 $(VENV)/lib >/dev/null
	@touch $@

# The browser tests drive Debian's Chromium with Playwright (Playwright's own browser
# download does not work on these machines).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "==> installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: /usr/bin/chromium missing; browser tests will be skipped (apt-get install chromium)"; fi; \
	fi

$(STAMP): requirements.lock pyproject.toml
	@echo "==> setting up $(VENV) (Python deps from requirements.lock)"
	@$(PYTHON3) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	@test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check uv==0.13.9
	@VIRTUAL_ENV=$(VENV) $(UV) pip install -q --require-hashes -r requirements.lock
	@VIRTUAL_ENV=$(VENV) $(UV) pip install -q --no-deps -e .
	@rm -f $(VENV)/.installed-* $(VENV)/.bytecode-*
	@touch $(STAMP)

# The simulated U16 year (42 members, 600 homes, a year of arrivals) through the real
# services, the coordinator's report, and the services left running (`transferpunt demo
# --year --exit` stops them; `transferpunt demo` alone runs the small demo region).
demo: setup
	$(VENV)/bin/transferpunt demo --year $(DEMO_FLAGS)

up: setup
	$(VENV)/bin/transferpunt up

down: setup
	$(VENV)/bin/transferpunt down

lint: setup
	$(VENV)/bin/ruff check .

typecheck: setup
	$(VENV)/bin/mypy services/intake/domain services/matching/domain services/contingent/domain services/aftercare/domain shared/events shared/clock.py

unit: setup
	$(PY) -m pytest tests/unit -q

test: setup lint typecheck
	$(PY) -m pytest -q

audit: setup
	$(VENV)/bin/pip-audit -r requirements.lock --require-hashes --disable-pip --strict

clean-var:
	rm -rf var
