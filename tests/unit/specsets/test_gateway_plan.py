"""`specgen plan --format json` for every gateway profile lands in the range the product promises,
run as users run it. The profiles are planned in parallel processes (massive computes the fan-out
counts of every parent row, its rollups' hours and calls included: the longest of the suite's
set-ups, about a minute on the 2-core machine, its parents counted on both cores)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import ROOT, run_cli
from specgen import api

SPECS = ROOT / "specs"
RANGES = {
    "tiny": (1_500, 4_000),
    "small": (60_000, 90_000),
    "medium": (60_000_000, 80_000_000),
    "large": (600_000_000, 800_000_000),
    "massive": (6_000_000_000, 8_000_000_000),
}
USERS = {"tiny": 12, "small": 100, "medium": 10_000, "large": 100_000, "massive": 1_000_000, "production": 160_000}
METRICS = ["tool_metrics", "resource_metrics", "prompt_metrics", "server_metrics", "a2a_agent_metrics"]
ROLLUPS = [f"{m}_hourly" for m in METRICS]
HISTORY = [*METRICS, *ROLLUPS, "token_usage_logs", "permission_audit_log", "mcp_sessions", "mcp_messages",
           "resource_subscriptions"]
INTEGER_KEYED = [*METRICS, *ROLLUPS, "token_usage_logs", "email_auth_events", "permission_audit_log", "mcp_messages",
                 "resource_subscriptions"]
TABLES = 36


@pytest.fixture(scope="module")
def plans():
    def plan(profile):
        out = run_cli("plan", "--specs", str(SPECS), "--profile", profile, "--format", "json", check=True).stdout
        return profile, json.loads(out)

    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(pool.map(plan, [*RANGES, "production"]))


@pytest.mark.parametrize("profile", list(RANGES))
def test_profile_total_is_in_range(plans, profile):
    lo, hi = RANGES[profile]
    total = plans[profile]["total_rows"]
    assert lo <= total <= hi, f"{profile}: {total:,} rows, expected {lo:,}..{hi:,}"


@pytest.mark.parametrize("profile", list(USERS))
def test_user_counts(plans, profile):
    d = plans[profile]
    assert d["tables"]["email_users"]["rows"] == USERS[profile]
    assert len(d["tables"]) == TABLES
    assert d["window"]["end"] == "2026-01-01T00:00:00Z"


def test_production_has_the_core_entities_and_no_history(plans):
    t = plans["production"]["tables"]
    core = ["email_teams", "email_team_members", "email_api_tokens", "gateways", "tools", "resources", "prompts",
            "servers", "a2a_agents", "server_tool_association", "server_resource_association",
            "server_prompt_association", "server_a2a_association"]
    assert all(t[name]["rows"] > 1000 for name in core), {n: t[n]["rows"] for n in core}
    assert all(t[name]["rows"] == 0 for name in HISTORY), {n: t[n]["rows"] for n in HISTORY}
    assert t["email_auth_events"]["rows"] == USERS["production"]  # the registration event only


@pytest.mark.parametrize("profile", list(USERS))
def test_integer_keyed_tables_stay_below_2_to_the_31(plans, profile):
    # The gateway's metric and log tables have INTEGER (32-bit) primary keys.
    t = plans[profile]["tables"]
    assert all(t[name]["rows"] < 2**31 for name in INTEGER_KEYED)


def test_large_profiles_are_dominated_by_metrics_logs_and_messages(plans):
    for profile in ("medium", "large", "massive"):
        t = plans[profile]["tables"]
        volume = sum(t[n]["rows"] for n in HISTORY + ["email_auth_events"])
        assert volume / plans[profile]["total_rows"] > 0.97


def test_tiny_plan_equals_what_generation_produces():
    plan = api.plan(SPECS, "tiny")
    for table, rows in plan.rows.items():
        assert api.generate_table(plan, table).height == rows, table
