# specgen - developer and user entry points. `make generate-small` and `make test` work on a
# fresh clone: they create .venv and install the project on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SPECGEN := $(BIN)/specgen
STAMP  := $(VENV)/.installed

.PHONY: install test test-fast lint bench pools clean help

help:
	@echo "make install         create $(VENV) and install specgen (editable) with dev tools"
	@echo "make test            run the test suite (needs PostgreSQL and MariaDB running)"
	@echo "make lint            ruff"
	@echo "make bench           throughput and memory per stage (rows/s, MB/s, peak RSS)"
	@echo "make pools           rebuild the Faker-backed value pools in specs/pools"

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not db"

lint: $(STAMP)
	$(BIN)/ruff check specgen tests bench

bench: $(STAMP)
	$(BIN)/python bench/bench.py

pools: $(STAMP)
	$(SPECGEN) pools

clean:
	rm -rf out reports .pytest_cache .ruff_cache
