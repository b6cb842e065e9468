"""The real MCP Gateway on specgen's `medium` profile (about 67M rows) in PostgreSQL: the same API
calls as the `small` test (test_gateway_read.py), on the first page of each listing.

A fresh database, the gateway's own schema (`alembic upgrade head`), `specgen compile --profile
medium --as-of now` (so that the gateway's "recent" views find activity), `specgen load
--existing-schema --truncate --jobs 2` and `specgen verify`, then the gateway started on it. For
the platform admin, a generated admin and a generated non-admin: the first page (PAGE items) of
every list endpoint - as many items as the visibility rules give, each of them visible to the
user, the newest first where the gateway orders by creation, a next page announced exactly when
there are more, and the totals the endpoints report -; get-by-id samples of every kind; the
metrics against the raw-plus-rollup formula and against every execution the data records; one
create of a server and of a tool; and the gateway's log without conversion failure, decryption
error or traceback. Expectations come from the database itself (expect.py, as for `small`).

Too slow for `make test`: it runs only with --gateway-medium (`make test-gateway-medium`).
SPECGEN_GATEWAY_MEDIUM_KEEP=path keeps the loaded database and writes what a later run needs to
reuse it (its name and the secrets its rows are encrypted with; mode 0600) to that file;
SPECGEN_GATEWAY_MEDIUM_REUSE=path starts the gateway on that database instead of loading one
(and leaves it in place).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import pytest

from dbtargets import unavailable

from .checks import (
    CHECKS,
    CREATE_KINDS,
    run_create_after_load,
    run_endpoint,
    run_gateway_log_clean,
    run_login,
)
from .expect import ROLES
from .harness import PostgresDatabase
from .session import Load, Prepared, Secrets, gateway_env, prepare_database, running_gateway, sigterm_unwinds

pytestmark = pytest.mark.gateway_medium

MEDIUM = Load(profile="medium", as_of="now", jobs=2, verify=True)
# /v1/export serialises every tool, resource, prompt, server and gateway a user sees at once: not
# a first-page call (the `small` test reads it whole).
SKIP = {"export"}
ENDPOINTS = [e for e in CHECKS if e not in SKIP]


def _reused(path: str, install, run_dir: Path) -> tuple[Prepared, Secrets]:
    doc = json.loads(Path(path).read_text())
    sec = Secrets(**doc["secrets"])
    db = PostgresDatabase(run_dir)
    db.name = doc["database"]
    if not db.rows(f"SELECT 1 FROM pg_database WHERE datname = '{db.name}'"):
        raise AssertionError(f"SPECGEN_GATEWAY_MEDIUM_REUSE={path}: database {db.name} does not exist")
    return Prepared("postgres", db, run_dir, gateway_env(install, sec, db, run_dir), {"reused": db.name}), sec


@pytest.fixture(scope="module")
def gw_medium(gateway_install, tmp_path_factory):
    reason = PostgresDatabase.probe()
    if reason:
        unavailable(reason)
    sigterm_unwinds()
    PostgresDatabase.drop_stale()
    run_dir = tmp_path_factory.mktemp("gateway-medium")
    (run_dir / "home").mkdir()
    (run_dir / "tmp").mkdir()
    reuse, keep = os.environ.get("SPECGEN_GATEWAY_MEDIUM_REUSE"), os.environ.get("SPECGEN_GATEWAY_MEDIUM_KEEP")
    if reuse:
        prep, sec = _reused(reuse, gateway_install, run_dir)
    else:
        sec = Secrets()
        prep = prepare_database("postgres", gateway_install, sec, run_dir, MEDIUM)
        if keep:
            fd = os.open(keep, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump({"database": prep.db.name, "secrets": asdict(sec)}, f)
    try:
        with running_gateway(prep, gateway_install, sec, first_page_only=True, start_timeout=600) as session:
            yield session
    finally:
        if not (reuse or keep):
            prep.db.drop()


def test_platform_admin_login(gw_medium, request):
    run_login(gw_medium, request)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("role", ROLES)
def test_endpoint(gw_medium, role, endpoint, request):
    run_endpoint(gw_medium, role, endpoint, request)


@pytest.mark.parametrize("kind", CREATE_KINDS)
@pytest.mark.parametrize("role", ROLES)
def test_create_after_load(gw_medium, role, kind, request):
    run_create_after_load(gw_medium, role, kind, request)


def test_gateway_log_clean(gw_medium, request):
    run_gateway_log_clean(gw_medium, request)
