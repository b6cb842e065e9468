"""The real MCP Gateway (mcp-contextforge-gateway, see harness.GATEWAY_VERSION) reads specgen's
`small` profile through its REST API, on SQLite and on PostgreSQL.

For each database and each of three users - the platform admin the gateway bootstraps, a
generated admin and a generated non-admin member of several teams - every list endpoint is read
to its last page and the items compared, id by id, with what the gateway's own visibility rules
give on the same rows (``expect.py``); a sample of get-by-id calls per kind; the aggregated
metrics against the gateway's raw-plus-rollup formula and against the executions the data
records; the configuration export; one create of a server and of a tool; and finally the
gateway's log must hold no conversion failure, no decryption error and no traceback.

Each (database, user, endpoint) is one test case; a failure names the endpoint, the user, the
database, expected vs got, the missing ids, and the gateway's log lines written during the calls.
"""

from __future__ import annotations

import pytest

from .checks import (
    CHECKS,
    CREATE_KINDS,
    run_create_after_load,
    run_endpoint,
    run_gateway_log_clean,
    run_login,
)
from .expect import ROLES

pytestmark = pytest.mark.gateway


def test_platform_admin_login(gw, request):
    """POST /v1/auth/email/login with PLATFORM_ADMIN_EMAIL/PASSWORD (the gateway writes an
    email_auth_events row and the user's last_login)."""
    run_login(gw, request)


@pytest.mark.parametrize("endpoint", list(CHECKS))
@pytest.mark.parametrize("role", ROLES)
def test_endpoint(gw, role, endpoint, request):
    run_endpoint(gw, role, endpoint, request)


@pytest.mark.parametrize("kind", CREATE_KINDS)
@pytest.mark.parametrize("role", ROLES)
def test_create_after_load(gw, role, kind, request):
    """One create through the API in the user's personal team, read back, then deleted."""
    run_create_after_load(gw, role, kind, request)


def test_gateway_log_clean(gw, request):
    """Runs after every call above: the gateway's whole log holds no conversion failure, no
    decryption error and no traceback."""
    run_gateway_log_clean(gw, request)
