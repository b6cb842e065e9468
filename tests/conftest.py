"""Shared fixtures: spec sets, plans, and running the CLI as users do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "specs" / "examples" / "shop"
CASES = Path(__file__).resolve().parent / "cases"
GOLDEN = Path(__file__).resolve().parent / "golden"

# The suite keeps specgen's caches (compiled templates, specs known valid) to itself, and removes
# them when it ends (pytest_sessionfinish).
_OWN_CACHE = "SPECGEN_CACHE_DIR" not in os.environ
# The gateway's secret changes what the gateway specs generate: tests that want it set it themselves.
os.environ.pop("AUTH_ENCRYPTION_SECRET", None)
os.environ.setdefault("SPECGEN_CACHE_DIR", os.path.join(os.environ.get("TMPDIR", "/tmp"), f"specgen-test-cache-{os.getpid()}"))


def pytest_addoption(parser):
    parser.addoption("--gateway-medium", action="store_true",
                     help="also run the tests marked gateway_medium: the real gateway on the medium profile "
                          "(a load of about 67M rows; make test-gateway-medium)")


INTEGRATION = Path(__file__).resolve().parent / "integration"


def pytest_collection_modifyitems(config, items):
    # tests/unit mirrors specgen's packages and needs no server; everything under tests/integration
    # talks to real database servers and clients, and carries the db marker (make test-fast skips it).
    for item in items:
        if INTEGRATION in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.db)
    # The medium gateway test takes many minutes: never part of a plain `pytest` or `make test`.
    if config.getoption("--gateway-medium"):
        return
    skipped = [i for i in items if i.get_closest_marker("gateway_medium")]
    if skipped:
        items[:] = [i for i in items if not i.get_closest_marker("gateway_medium")]
        config.hook.pytest_deselected(items=skipped)


def pytest_sessionfinish(session, exitstatus):
    if _OWN_CACHE:
        import shutil

        shutil.rmtree(os.environ["SPECGEN_CACHE_DIR"], ignore_errors=True)

DEFAULT_PROFILE = 'window: {end: "2026-01-01T00:00:00Z", days: 30}\nseed: 1\n'


def run_cli(*args: str, cwd: Path | None = None, input: bytes | None = None, env: dict | None = None,
            check: bool = False) -> subprocess.CompletedProcess:
    """``specgen ARGS`` in a fresh interpreter, exactly as a user would run it."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("SPECGEN_DEBUG", None)
    proc = subprocess.run([sys.executable, "-m", "specgen", *args], cwd=cwd, input=input,
                          capture_output=True, env=full_env)
    if check and proc.returncode != 0:
        raise AssertionError(f"specgen {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr.decode()}")
    return proc


def write_spec_set(root: Path, files: dict[str, str]) -> Path:
    """Materialise a spec set (``files`` maps relative paths to text) under ``root/specs``."""
    specs = root / "specs"
    for rel, text in files.items():
        p = specs / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    if not (specs / "profiles").is_dir():
        (specs / "profiles").mkdir(parents=True)
        (specs / "profiles" / "default.yaml").write_text(DEFAULT_PROFILE)
    return specs


@pytest.fixture(scope="session")
def shop_tiny():
    from specgen import api

    return api.plan(SHOP, "tiny")


@pytest.fixture(scope="session")
def shop_small():
    from specgen import api

    return api.plan(SHOP, "small")


def _fresh_db(name: str, tmp_path):
    from dbtargets import fresh

    with fresh(name, tmp_path) as target:
        yield target


@pytest.fixture(params=["postgres", "mysql", "sqlite"])
def db(request, tmp_path):
    """A fresh database on each of the three servers (see ``dbtargets``)."""
    yield from _fresh_db(request.param, tmp_path)


@pytest.fixture
def duck_db(tmp_path):
    """A fresh DuckDB file, for what the shared matrix cannot do with it: its writer locks the
    file, so a test cannot read the database while a load is running."""
    yield from _fresh_db("duckdb", tmp_path)


@pytest.fixture(params=["postgres", "mysql"])
def server_db(request, tmp_path):
    """A fresh database on each database server (for what SQLite has not: users, passwords)."""
    yield from _fresh_db(request.param, tmp_path)
