# The two commands in the README: `make demo` (run the product) and `make test` (every check).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_WORKERS ?= 2

.PHONY: setup deps demo test lint test-node test-sqlite test-postgres bench
setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	touch $@

demo: setup  # make demo PORT=8500: the demo page on another port
	$(VENV)/bin/flask --app backend demo $(if $(PORT),--port $(PORT))

deps:
	scripts/test-deps.sh

lint: setup
	$(VENV)/bin/ruff check backend tests bench
	$(VENV)/bin/ruff format --check backend tests bench
	$(VENV)/bin/mypy

test-sqlite: setup
	env -u DATABASE_URL $(VENV)/bin/pytest -n $(PYTEST_WORKERS) --durations=15

test-postgres: setup
	DATABASE_URL="$$(scripts/test-postgres.sh)" $(VENV)/bin/pytest -n $(PYTEST_WORKERS) --durations=15

test-node: deps
	@if [ -d appsscript/tests ]; then node --test appsscript/tests/; fi

test: deps lint test-node test-sqlite test-postgres

bench: setup
	$(PY) bench/run_all.py
