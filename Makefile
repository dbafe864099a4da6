# The two commands every new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.dev-installed
export FLASK_APP := wsgi
# Test processes: one per core; every test module keeps its own databases, so they run apart.
TEST_WORKERS ?= auto
# The slowest tests are listed after every run: where the suite's time goes.
PYTEST_ARGS ?= --durations=30

.PHONY: run test test-multihost setup translations lint bench clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(BIN)/python -m pip install -q -r requirements-dev.lock
	touch $(DEV_STAMP)

setup: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/python scripts/i18n.py compile

run: setup
	$(BIN)/flask schema apply
	$(BIN)/flask org load-divisions
	$(BIN)/flask users bootstrap
	$(BIN)/flask demo load
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: setup $(DEV_STAMP)
	scripts/ensure_chromium.sh
	$(BIN)/ruff check app generator tests scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

# Two app hosts and a worker in network namespaces of their own, on the shared PostgreSQL and
# Redis (tests/multihost/; docs/deploy.md "The multi-host test"). Needs root and `ip netns`.
test-multihost: setup $(DEV_STAMP)
	scripts/ensure_iproute2.sh
	ADMIN_MULTIHOST=1 $(BIN)/python -m pytest -n 0 -p no:cacheprovider tests/multihost $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check app generator tests scripts

clean:
	rm -rf $(VENV) instance/app.db

# Benchmarks beside their anchors (bench/): `make bench` rewrites docs/performance.md (about
# half an hour); `make bench-quick` runs every scenario at small size (CI smoke test, a few
# minutes) into instance/performance-quick.md. bench/ makes the anchors' own environment
# (Django, django-import-export, tablib) under instance/bench-anchor-venv by itself.
BENCH_STAMP := $(VENV)/.bench-installed
.PHONY: bench-quick

$(BENCH_STAMP): $(DEV_STAMP)
	$(BIN)/python -m pip install -q -e ".[bench]"
	touch $(BENCH_STAMP)

bench: setup $(BENCH_STAMP)
	$(BIN)/python -m bench.run

bench-quick: setup $(BENCH_STAMP)
	$(BIN)/python -m bench.run --quick
