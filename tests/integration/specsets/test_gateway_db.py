"""The gateway's `small` profile loaded into SQLite, PostgreSQL and MariaDB with specgen's DDL.

`specgen generate` compiles, loads and verifies (row counts, NULLs, sums, orphans for every foreign
key, duplicate keys, enum domains, child-not-before-parent); the queries here add the gateway's
ownership rules, which no single foreign key expresses.
"""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, run_cli

pytestmark = pytest.mark.db

OWNED = ("gateways", "tools", "resources", "prompts", "servers", "a2a_agents", "email_api_tokens")


def q(db, name: str) -> str:
    return f"`{name}`" if db.dialect == "mysql" else f'"{name}"'


def test_small_profile_loads_and_holds_the_gateway_rules(db, tmp_path):
    report = tmp_path / "report.json"
    proc = run_cli("generate", "--specs", str(ROOT / "specs"), "--profile", "small", "--url", db.url,
                   "--out", str(tmp_path / "dump"), "--report", str(report), "--jobs", "2")
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    doc = json.loads(report.read_text())
    assert doc["ok"] and 60_000 <= doc["total_rows"] <= 90_000
    kinds = {c["kind"] for c in doc["verification"]["checks"]}
    assert {"fk", "nulls", "unique", "not_before", "enum"} <= kinds
    assert all(c["ok"] for c in doc["verification"]["checks"])

    def count(sql: str) -> int:
        return int(db.query(sql)[0][0])

    members = q(db, "email_team_members")
    for table in OWNED:
        t = q(db, table)
        assert count(f"SELECT COUNT(*) FROM {t}") > 0, table
        # Every owned row has a team and an owner (API tokens may be global: no team), and the
        # owner is a member of that team.
        if table != "email_api_tokens":
            assert count(f"SELECT COUNT(*) FROM {t} WHERE team_id IS NULL OR owner_email IS NULL") == 0, table
        owner = "user_email" if table == "email_api_tokens" else "owner_email"
        orphans = count(f"SELECT COUNT(*) FROM {t} o WHERE o.team_id IS NOT NULL AND NOT EXISTS "
                        f"(SELECT 1 FROM {members} m WHERE m.team_id = o.team_id AND m.user_email = o.{owner})")
        assert orphans == 0, f"{table}: {orphans} rows whose owner is not a member of their team"
    # Usage logs belong to existing tokens of the same user.
    assert count(f"SELECT COUNT(*) FROM {q(db, 'token_usage_logs')} l WHERE NOT EXISTS (SELECT 1 FROM "
                 f"{q(db, 'email_api_tokens')} k WHERE k.jti = l.token_jti AND k.user_email = l.user_email)") == 0
    # Roles and transports only from the sets the gateway's API accepts.
    assert count(f"SELECT COUNT(*) FROM {members} WHERE role NOT IN ('owner', 'member')") == 0
    assert count(f"SELECT COUNT(*) FROM {q(db, 'gateways')} WHERE transport NOT IN ('SSE', 'STREAMABLEHTTP')") == 0
    assert count(f"SELECT COUNT(*) FROM {q(db, 'tools')} WHERE integration_type = 'MCP' AND "
                 "request_type NOT IN ('SSE', 'STDIO', 'STREAMABLEHTTP')") == 0
    assert count(f"SELECT COUNT(*) FROM {q(db, 'email_teams')} WHERE visibility NOT IN ('private', 'public')") == 0


def test_generate_again_into_its_own_tables(db, tmp_path):
    """`make generate-small` twice: the second run finds the tables specgen made (the ledger says
    so; foreign keys in cycles, unique indexes over columns that are mostly NULL) and creates
    them again for --truncate, keys after the data."""
    for _ in range(2):
        proc = run_cli("generate", "--specs", str(ROOT / "specs"), "--profile", "tiny", "--url", db.url,
                       "--out", str(tmp_path / "dump"), "--report", str(tmp_path / "r.json"), "--truncate")
        assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    assert "creating it again" in proc.stderr.decode()
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["ok"] and all(c["ok"] for c in doc["verification"]["checks"])
    assert int(db.query(f"SELECT COUNT(*) FROM {q(db, 'prompts')} WHERE gateway_id IS NULL")[0][0]) > 0
    # The gateway's first write after the load: a tool metric inserted without its id gets max + 1.
    metrics = q(db, "tool_metrics")
    top = int(db.query(f"SELECT MAX(id) FROM {metrics}")[0][0])
    db.execute(f"INSERT INTO {metrics} (tool_id, {q(db, 'timestamp')}, response_time, is_success) "
               f"SELECT id, '2026-01-01 00:00:00', 0.5, TRUE FROM {q(db, 'tools')} ORDER BY id LIMIT 1")
    assert int(db.query(f"SELECT MAX(id) FROM {metrics}")[0][0]) == top + 1
