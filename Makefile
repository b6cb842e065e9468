# specgen - developer and user entry points. `make generate-small` and `make test` work on a
# fresh clone: they create .venv and install the project on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SPECGEN := $(BIN)/specgen
STAMP  := $(VENV)/.installed
# specgen's own bytecode, written whenever a source changed: the editable install imports from the
# checkout, and with PYTHONDONTWRITEBYTECODE set (as on CI) every command would compile ~8,000
# lines again (~60 ms); a wheel install has them compiled by pip.
PYC    := $(VENV)/.compiled

PROFILES := tiny small medium large massive production
JOBS ?= 2

.PHONY: install test test-fast test-gateway test-gateway-medium fuzz lint bench pools clean help generate-report generate-clean $(addprefix generate-,$(PROFILES))

help:
	@echo "make generate-small  compile, load into \$$DATABASE_URL (default sqlite:///./mcp.db), verify, report"
	@echo "                     (also generate-tiny, -medium, -large, -massive, -production)"
	@echo "make generate-report print the latest load reports"
	@echo "make generate-clean  remove out/ and reports/"
	@echo "make install         create $(VENV) and install specgen (editable) with dev tools"
	@echo "make test            run the test suite (needs PostgreSQL and MariaDB running)"
	@echo "make test-gateway    only the real MCP Gateway reading specgen's data (tests/gateway)"
	@echo "make test-gateway-medium  the real gateway on the medium profile in PostgreSQL (not in make test)"
	@echo "make fuzz            the reliability contract fuzzed with many random specs (FUZZ_EXAMPLES=2000)"
	@echo "make lint            ruff"
	@echo "make bench           throughput and memory per stage (rows/s, MB/s, peak RSS)"
	@echo "make pools           rebuild the Faker-backed value pools in specs/pools"

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(PYC): $(STAMP) $(wildcard specgen/*.py specgen/*/*.py)
	$(BIN)/python -m compileall -q specgen
	touch $(PYC)

test: $(PYC)
	$(BIN)/python -m pytest -q --durations=15

test-fast: $(PYC)
	$(BIN)/python -m pytest -q -m "not db and not gateway"

# The reliability contract fuzzed at length (tests/reliability/test_fuzz.py): random spec sets and
# profiles, many more than the fixed budget `make test` runs; failures are replayed first next time.
FUZZ_EXAMPLES ?= 2000
fuzz: $(PYC)
	SPECGEN_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q tests/reliability/test_fuzz.py

# The real gateway (installed once into ~/.cache/specgen) on SQLite and PostgreSQL: see README.
test-gateway: $(PYC)
	$(BIN)/python -m pytest -q tests/gateway

# The same calls on the medium profile (first pages), loaded into a fresh PostgreSQL database: see
# README. Selected by --gateway-medium only, so never part of `make test`.
test-gateway-medium: $(PYC)
	$(BIN)/python -m pytest -q tests/gateway/test_gateway_medium.py --gateway-medium

lint: $(STAMP)
	$(BIN)/ruff check specgen tests bench

bench: $(PYC)
	$(BIN)/python bench/bench.py

pools: $(STAMP)
	$(SPECGEN) pools

# The database URL comes from $$DATABASE_URL (never echoed: it may hold a password).
$(addprefix generate-,$(PROFILES)): generate-%: $(PYC)
	$(SPECGEN) generate --profile $* --truncate --jobs $(JOBS)

generate-report: $(STAMP)
	$(SPECGEN) report

generate-clean:
	rm -rf out reports

clean:
	rm -rf out reports .pytest_cache .ruff_cache
