"""Session fixtures: the installed gateway, and per database (SQLite, PostgreSQL) one gateway
started on specgen's `small` profile, with a session token for each of the three users (how:
session.py). The `medium` test (test_gateway_medium.py) has fixtures of its own and runs only
with --gateway-medium (`make test-gateway-medium`).

Set SPECGEN_GATEWAY_REPORT=path.json to get every case's outcome as JSON (used for reports).
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dbtargets import unavailable

from .harness import (
    DATABASES,
    GatewayUnavailable,
    Install,
    PostgresDatabase,
    ensure_installed,
    probe_namespace,
)
from .session import Secrets, prepare_database, running_gateway, sigterm_unwinds


@pytest.fixture(scope="session")
def gateway_install() -> Install:
    reason = probe_namespace()
    if reason:
        unavailable(reason)
    try:
        return ensure_installed()
    except GatewayUnavailable as e:
        reason = f"gateway unavailable: {e}"
    unavailable(reason)


@pytest.fixture(scope="session")
def gateway_secrets() -> Secrets:
    return Secrets()


@pytest.fixture(scope="session")
def prepared_databases(request, gateway_install, gateway_secrets, tmp_path_factory):
    """Every database this session's tests need, prepared at once in the background (alembic and
    the load take ~25 s per database): the PostgreSQL one is ready when the SQLite tests end."""
    kinds = sorted({item.callspec.params["gw"] for item in request.session.items
                    if hasattr(item, "callspec") and "gw" in item.callspec.params}, reverse=True)
    if "postgres" in kinds and PostgresDatabase.probe() is None:
        PostgresDatabase.drop_stale()
    futures, unusable = {}, {}
    sigterm_unwinds()
    pool = ThreadPoolExecutor(max_workers=max(len(kinds), 1), thread_name_prefix="gateway-db")
    for kind in kinds:
        reason = DATABASES[kind].probe()
        if reason:
            unusable[kind] = reason
            continue
        run_dir = tmp_path_factory.mktemp(f"gateway-{kind}")
        (run_dir / "home").mkdir()
        (run_dir / "tmp").mkdir()
        futures[kind] = pool.submit(prepare_database, kind, gateway_install, gateway_secrets, run_dir)
    try:
        yield futures, unusable
    finally:
        pool.shutdown(wait=True)
        for fut in futures.values():
            if fut.exception() is None:
                fut.result().db.drop()


@pytest.fixture(scope="session", params=sorted(DATABASES, reverse=True))  # sqlite, postgres
def gw(request, prepared_databases, gateway_install, gateway_secrets):
    kind = request.param
    futures, unusable = prepared_databases
    if kind in unusable:
        unavailable(unusable[kind])
    with running_gateway(futures[kind].result(), gateway_install, gateway_secrets) as session:
        yield session


# -- results as JSON (for the data engineers' table) ---------------------------------------------

_RESULTS: list[dict] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    if "gateway" in item.keywords and (rep.when == "call" or rep.outcome != "passed"):
        props = dict(rep.user_properties)
        _RESULTS.append({"nodeid": item.nodeid, "when": rep.when, "outcome": rep.outcome,
                         "seconds": round(rep.duration, 2), **props,
                         "message": rep.longreprtext if rep.outcome != "passed" else ""})
    return rep


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("SPECGEN_GATEWAY_REPORT")
    if path and _RESULTS:
        Path(path).write_text(json.dumps(_RESULTS, indent=1))


def pytest_terminal_summary(terminalreporter):
    """Where each gateway session's set-up time went (the login case records it)."""
    for r in _RESULTS:
        if r.get("endpoint") == "login" and r.get("timings"):
            steps = ", ".join(f"{k} {v} s" if isinstance(v, (int, float)) else f"{k} {v}" for k, v in r["timings"].items())
            terminalreporter.write_line(f"gateway set-up [{r.get('db')}] {r['nodeid'].split('::')[0]}: {steps}")
