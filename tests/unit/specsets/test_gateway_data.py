"""The gateway spec set's `small` profile, generated in memory, keeps every rule the gateway's schema,
API and ORM enforce - checked here on the generated data with polars (the database-level versions of
these checks belong to `specgen verify`)."""

from __future__ import annotations

import json
import re
import unicodedata

import jsonschema
import polars as pl
import pytest

from conftest import ROOT
from specgen import api

SPECS = ROOT / "specs"
OWNED = ["gateways", "tools", "resources", "prompts", "servers", "a2a_agents"]
NAME_RE = r"^[a-zA-Z0-9_][a-zA-Z0-9._/-]*$"
# Columns that may lie past the window's end on purpose (expiry dates).
FUTURE_OK = {"expires_at", "locked_until", "token_expiry"}


def slugify(text: str) -> str:
    """The gateway's slugify (mcpgateway/utils/create_slug.py), recomputed independently."""
    s = re.sub(r"(\w)['\u2019](\w)", r"\1\2", text.lower())
    s = re.sub(r"[\W_]+", "-", s).strip("-")
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


@pytest.fixture(scope="module")
def plan():
    return api.plan(SPECS, "small")


@pytest.fixture(scope="module")
def f(plan):
    return {t: api.generate_table(plan, t) for t in plan.rows}


def _missing(child: pl.DataFrame, parent: pl.DataFrame, on: dict[str, str]) -> int:
    """Rows of ``child`` (non-NULL keys) with no row of ``parent`` matching ``on`` (child -> parent)."""
    keys = child.select(list(on)).drop_nulls()
    target = parent.select([pl.col(p).alias(c) for c, p in on.items()]).unique()
    return keys.join(target, on=list(on), how="anti").height


def test_every_table_has_rows(plan):
    empty = [t for t, n in plan.rows.items() if n == 0]
    assert not empty and len(plan.rows) == 36


def test_no_foreign_key_orphans(plan, f):
    problems = []
    for name, spec in plan.model.tables.items():
        for col, ref_table, ref_col, _ in spec.foreign_keys():
            n = _missing(f[name], f[ref_table], {col: ref_col})
            if n:
                problems.append(f"{name}.{col} -> {ref_table}.{ref_col}: {n} orphans")
    # References the gateway keeps without a foreign key.
    n = _missing(f["token_usage_logs"], f["email_api_tokens"], {"token_jti": "jti", "user_email": "user_email"})
    n += _missing(f["token_revocations"], f["email_api_tokens"], {"jti": "jti"})
    n += _missing(f["resource_subscriptions"], f["mcp_sessions"], {"subscriber_id": "session_id"})
    n += _missing(f["email_auth_events"], f["email_users"], {"user_email": "email"})
    n += _missing(f["permission_audit_log"], f["email_team_members"], {"team_id": "team_id", "user_email": "user_email"})
    assert not problems and n == 0, problems


def test_not_null_columns_are_filled(plan, f):
    bad = [f"{t}.{c.name}: {f[t][c.name].null_count()}" for t, spec in plan.model.tables.items()
           for c in spec.stored if not c.nullable and f[t][c.name].null_count()]
    assert not bad, bad


def test_unique_sets_hold_including_partial_indexes(plan, f):
    bad = []
    for t, spec in plan.model.tables.items():
        sets = [(spec.primary_key, None)] + [(u.columns, None) for u in spec.uniques]
        sets += [(ix.columns, ix.where) for ix in spec.indexes if ix.unique]
        for cols, where in sets:
            df = f[t]
            if where:
                df = df.filter(pl.sql_expr(where))
            df = df.select(cols).drop_nulls()  # SQL never compares NULLs in a unique constraint
            if df.is_duplicated().any():
                bad.append(f"{t} {cols} where {where}: {df.is_duplicated().sum()} duplicates")
    assert not bad, bad


def test_email_team_visibility_check(f):
    assert set(f["email_teams"]["visibility"].unique()) <= {"private", "public"}


CHILD_AFTER_PARENT = [
    # child table, child time, parent table, {child col: parent col}, parent time
    ("email_teams", "created_at", "email_users", {"created_by": "email"}, "created_at"),
    ("email_team_members", "joined_at", "email_teams", {"team_id": "id"}, "created_at"),
    ("email_team_members", "joined_at", "email_users", {"user_email": "email"}, "created_at"),
    ("email_api_tokens", "created_at", "email_team_members", {"team_id": "team_id", "user_email": "user_email"}, "joined_at"),
    ("gateways", "created_at", "email_team_members", {"team_id": "team_id", "owner_email": "user_email"}, "joined_at"),
    ("tools", "created_at", "gateways", {"gateway_id": "id"}, "created_at"),
    ("resources", "created_at", "email_team_members", {"team_id": "team_id", "owner_email": "user_email"}, "joined_at"),
    ("prompts", "created_at", "email_team_members", {"team_id": "team_id", "owner_email": "user_email"}, "joined_at"),
    ("servers", "created_at", "email_team_members", {"team_id": "team_id", "owner_email": "user_email"}, "joined_at"),
    ("a2a_agents", "created_at", "email_team_members", {"team_id": "team_id", "owner_email": "user_email"}, "joined_at"),
    ("tool_metrics", "timestamp", "tools", {"tool_id": "id"}, "created_at"),
    ("resource_metrics", "timestamp", "resources", {"resource_id": "id"}, "created_at"),
    ("prompt_metrics", "timestamp", "prompts", {"prompt_id": "id"}, "created_at"),
    ("server_metrics", "timestamp", "servers", {"server_id": "id"}, "created_at"),
    ("a2a_agent_metrics", "timestamp", "a2a_agents", {"a2a_agent_id": "id"}, "created_at"),
    ("token_usage_logs", "timestamp", "email_api_tokens", {"token_jti": "jti"}, "created_at"),
    ("email_auth_events", "timestamp", "email_users", {"user_email": "email"}, "created_at"),
    ("permission_audit_log", "timestamp", "email_team_members", {"team_id": "team_id", "user_email": "user_email"}, "joined_at"),
    ("mcp_messages", "created_at", "mcp_sessions", {"session_id": "session_id"}, "created_at"),
    ("resource_subscriptions", "created_at", "resources", {"resource_id": "id"}, "created_at"),
    ("resource_subscriptions", "created_at", "mcp_sessions", {"subscriber_id": "session_id"}, "created_at"),
    ("email_team_invitations", "invited_at", "email_teams", {"team_id": "id"}, "created_at"),
    ("email_team_join_requests", "requested_at", "email_teams", {"team_id": "id"}, "created_at"),
    ("email_team_join_requests", "requested_at", "email_users", {"user_email": "email"}, "created_at"),
    ("token_revocations", "revoked_at", "email_api_tokens", {"jti": "jti"}, "created_at"),
    ("oauth_tokens", "created_at", "gateways", {"gateway_id": "id"}, "created_at"),
    ("oauth_tokens", "created_at", "email_users", {"app_user_email": "email"}, "created_at"),
]


@pytest.mark.parametrize("child,col,parent,on,pcol", CHILD_AFTER_PARENT,
                         ids=[f"{c[0]}<-{c[2]}" for c in CHILD_AFTER_PARENT])
def test_children_are_not_older_than_parents(f, child, col, parent, on, pcol):
    p = f[parent].select([pl.col(v).alias(k) for k, v in on.items()] + [pl.col(pcol).alias("_parent_time")])
    j = f[child].join(p.unique(subset=list(on)), on=list(on), how="inner")
    assert j.height == f[child].drop_nulls(list(on)).height
    assert (j[col] >= j["_parent_time"]).all(), f"{(j[col] < j['_parent_time']).sum()} rows older than their parent"


def test_sessions_are_not_older_than_their_user(f):
    s = f["mcp_sessions"].with_columns(pl.col("data").str.json_path_match("$.user_email").alias("email"))
    j = s.join(f["email_users"].select("email", pl.col("created_at").alias("user_at")), on="email")
    assert j.height == s.height and (j["created_at"] >= j["user_at"]).all()
    m = f["mcp_messages"].join(f["mcp_sessions"].select("session_id", pl.col("last_accessed").alias("s_last")), on="session_id")
    assert (m["created_at"] <= m["s_last"]).all() and (m["last_accessed"] <= m["s_last"]).all()


def test_timestamps_are_tz_aware_and_inside_the_window(plan, f):
    p = plan.model.profile
    lo, hi = p.window_start * 1_000_000, p.window_end * 1_000_000
    for t, df in f.items():
        for c in df.columns:
            if df[c].dtype == pl.Datetime:
                assert df[c].dtype.time_zone == "UTC", f"{t}.{c}"
                us = df[c].drop_nulls().dt.epoch("us")
                assert (us >= lo).all(), f"{t}.{c} before the window"
                if c not in FUTURE_OK:
                    assert (us <= hi).all(), f"{t}.{c} after the window"


def test_updated_after_created(f):
    for t, df in f.items():
        if {"created_at", "updated_at"} <= set(df.columns):
            assert (df["updated_at"] >= df["created_at"]).all(), t


def test_usage_logs_fall_inside_the_tokens_life(f):
    tok = f["email_api_tokens"].select("jti", "user_email", "created_at", "expires_at", "is_active")
    rev = f["token_revocations"].select("jti", "revoked_at")
    logs = f["token_usage_logs"].join(tok, left_on="token_jti", right_on="jti", suffix="_tok").join(
        rev, left_on="token_jti", right_on="jti", how="left")
    assert (logs["user_email"] == logs["user_email_tok"]).all()
    assert logs.filter(pl.col("expires_at").is_not_null() & (pl.col("timestamp") > pl.col("expires_at"))).height == 0
    assert logs.filter(pl.col("revoked_at").is_not_null() & (pl.col("timestamp") > pl.col("revoked_at"))).height == 0
    # Every revoked (inactive) token has exactly one revocation, and only those.
    inactive = tok.filter(~pl.col("is_active"))["jti"].sort()
    assert inactive.to_list() == f["token_revocations"]["jti"].sort().to_list()


ENUMS = {
    ("email_team_members", "role"): {"owner", "member"},
    ("email_team_invitations", "role"): {"owner", "member"},
    ("gateways", "transport"): {"SSE", "STREAMABLEHTTP"},
    ("tools", "integration_type"): {"MCP", "REST"},
    ("email_teams", "visibility"): {"private", "public"},
    ("email_team_join_requests", "status"): {"pending", "approved", "rejected", "expired"},
    ("email_auth_events", "event_type"): {"login", "registration", "password_change"},
    ("gateways", "auth_type"): {"basic", "bearer", "authheaders", "oauth", "query_param"},
    ("a2a_agents", "auth_type"): {"basic", "bearer", "authheaders", "oauth", "query_param"},
    ("oauth_tokens", "token_type"): {"Bearer"},
    **{(t, "visibility"): {"private", "team", "public"} for t in OWNED},
}


@pytest.mark.parametrize("table,column", list(ENUMS), ids=[f"{t}.{c}" for t, c in ENUMS])
def test_enum_values_are_ones_the_api_accepts(f, table, column):
    values = set(f[table][column].drop_nulls().unique())
    assert values <= ENUMS[(table, column)], values - ENUMS[(table, column)]


def test_tool_request_types_follow_the_integration_type(f):
    t = f["tools"]
    mcp = set(t.filter(pl.col("integration_type") == "MCP")["request_type"].unique())
    rest = set(t.filter(pl.col("integration_type") == "REST")["request_type"].unique())
    assert mcp <= {"SSE", "STDIO", "STREAMABLEHTTP"} and rest <= {"GET", "POST", "PUT", "DELETE", "PATCH"}
    assert mcp and rest
    # Discovered tools use their gateway's transport.
    j = t.filter(pl.col("integration_type") == "MCP").join(f["gateways"].select(pl.col("id").alias("gateway_id"), "transport"),
                                                          on="gateway_id")
    assert (j["request_type"] == j["transport"]).all()


@pytest.mark.parametrize("table", OWNED)
def test_owned_rows_have_a_team_and_an_owner_who_is_a_member(f, table):
    df = f[table]
    assert df["team_id"].null_count() == 0 and df["owner_email"].null_count() == 0
    assert _missing(df, f["email_team_members"], {"team_id": "team_id", "owner_email": "user_email"}) == 0
    personal = f["email_teams"].filter(pl.col("is_personal")).select(pl.col("id").alias("team_id"))
    assert set(df.join(personal, on="team_id")["visibility"].unique()) <= {"private"}


def test_discovered_objects_inherit_their_gateways_ownership(f):
    gw = f["gateways"].select(pl.col("id").alias("gateway_id"), pl.col("team_id").alias("g_team"),
                              pl.col("owner_email").alias("g_owner"), pl.col("visibility").alias("g_vis"))
    j = f["tools"].join(gw, on="gateway_id")
    assert j.height == f["tools"].height
    assert (j["team_id"] == j["g_team"]).all() and (j["owner_email"] == j["g_owner"]).all()
    assert (j["visibility"] == j["g_vis"]).all()


def test_api_token_team_is_one_of_its_users_teams(f):
    tok = f["email_api_tokens"]
    assert tok["team_id"].null_count() == 0
    assert _missing(tok, f["email_team_members"], {"team_id": "team_id", "user_email": "user_email"}) == 0


def test_team_members_start_with_the_creator_as_owner(f):
    teams = f["email_teams"].select(pl.col("id").alias("team_id"), "created_by", "is_personal")
    m = f["email_team_members"].join(teams, on="team_id")
    creators = m.filter(pl.col("user_email") == pl.col("created_by"))
    assert creators.height == teams.height and (creators["role"] == "owner").all()
    assert m.filter(pl.col("is_personal")).height == teams.filter(pl.col("is_personal")).height


def test_tool_and_prompt_names_match_the_api_pattern(f):
    for t in ("tools", "prompts"):
        for c in ("name", "original_name", "custom_name"):
            assert f[t][c].str.contains(NAME_RE).all(), f"{t}.{c}"


def test_input_and_argument_schemas_are_json_schemas(f):
    checked = 0
    for t, c in (("tools", "input_schema"), ("prompts", "argument_schema")):
        for doc in f[t][c].unique().to_list():
            jsonschema.Draft202012Validator.check_schema(json.loads(doc))
            checked += 1
    assert checked > 50


def test_prompt_templates_use_their_arguments(f):
    for tpl, schema in f["prompts"].select("template", "argument_schema").unique().iter_rows():
        used = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", tpl))
        assert used and used == set(json.loads(schema)["properties"]), tpl


def test_derived_columns_are_what_the_orm_writes(f):
    gw = f["gateways"]
    assert gw["slug"].to_list() == [slugify(n) for n in gw["name"]]
    a2a = f["a2a_agents"]
    assert a2a["slug"].to_list() == [slugify(n) for n in a2a["name"]]
    teams = f["email_teams"].join(f["email_users"].select(pl.col("email").alias("created_by")), on="created_by")
    for slug, name, personal, email in teams.select("slug", "name", "is_personal", "created_by").iter_rows():
        expected = "personal-" + email.replace("@", "-").replace(".", "-").lower() if personal else slugify(name)
        assert slug == expected
    tools = f["tools"].join(gw.select(pl.col("id").alias("gateway_id"), pl.col("name").alias("gw_name")), on="gateway_id")
    for orig, custom, display, cslug, name, gw_name in tools.select(
            "original_name", "custom_name", "display_name", "custom_name_slug", "name", "gw_name").iter_rows():
        assert custom == orig and display == custom and cslug == slugify(custom)
        assert name == f"{slugify(gw_name)}-{cslug}"
    pr = f["prompts"]
    assert pr["gateway_id"].null_count() == pr.height  # local prompts: no gateway prefix
    for orig, custom, display, cslug, name in pr.select(
            "original_name", "custom_name", "display_name", "custom_name_slug", "name").iter_rows():
        assert custom == orig and display == custom and cslug == slugify(custom) and name == cslug


def test_json_text_columns_parse(f):
    for t, c in (("mcp_sessions", "data"), ("mcp_messages", "message"), ("email_auth_events", "details")):
        for doc in f[t][c].drop_nulls().unique().to_list():
            assert isinstance(json.loads(doc), dict), (t, c, doc)
    assert f["oauth_tokens"]["user_id"].str.contains(r"^[0-9]+$").all()


def test_without_the_secret_credentials_are_null_or_marked_placeholders(f):
    """AUTH_ENCRYPTION_SECRET unset: what needs encrypting is NULL - and so is auth_type, an
    unauthenticated gateway - except OAuth secrets, which stay marked placeholders (the gateway's
    read path returns values that are not encrypted unchanged). tests/integration/specsets/test_gateway_crypto.py
    covers the dump made with the secret."""
    o = f["oauth_tokens"]
    assert o["access_token"].str.starts_with("specgen-placeholder:").all()
    assert o["refresh_token"].drop_nulls().str.starts_with("specgen-placeholder:").all()
    for t in ("gateways", "a2a_agents"):
        df = f[t]
        assert df["auth_value"].null_count() == df["auth_query_params"].null_count() == df.height
        assert set(df["auth_type"].drop_nulls()) == {"oauth"}
        oauth = df.filter(pl.col("auth_type") == "oauth")["oauth_config"].to_list()
        assert oauth and all(json.loads(c)["client_secret"].startswith("specgen-placeholder:") for c in oauth)
        assert df.filter(pl.col("auth_type").is_null())["oauth_config"].null_count() == df["auth_type"].null_count()


def test_metrics_are_heavy_tailed_per_object(f):
    counts = f["tool_metrics"].group_by("tool_id").len()["len"].sort(descending=True)
    top = counts.head(max(1, counts.len() // 10)).sum()
    assert top / counts.sum() > 0.35  # the busiest tenth of the tools takes a large share
    success = f["tool_metrics"]["is_success"].mean()
    assert 0.9 < success < 0.99


def test_columns_the_gateway_fills_with_python_defaults_are_filled(f):
    """Where the ORM would fill a column on insert (tags [], enabled true, version 1, ...), so do we."""
    from test_gateway_schema import REF_TABLES

    missing, wrong = [], []
    for table, ref in REF_TABLES.items():
        for c in ref["columns"]:
            default = c["default"]
            if not default or c["primary_key"]:
                continue
            s = f[table][c["name"]]
            if s.null_count():
                missing.append(f"{table}.{c['name']} ({s.null_count()} NULLs)")
            if default["kind"] == "scalar" and isinstance(default["value"], bool) and s.dtype != pl.Boolean:
                wrong.append(f"{table}.{c['name']}: {s.dtype} for a boolean default")
            if default["kind"] == "callable" and default["name"] in ("list", "dict"):
                kinds = {type(json.loads(v)).__name__ for v in s.drop_nulls().unique().to_list()}
                if kinds != {default["name"]}:
                    wrong.append(f"{table}.{c['name']}: {kinds} where the gateway writes a {default['name']}")
    assert not missing and not wrong, missing + wrong


def test_last_used_and_last_interaction_are_the_latest_calls(f):
    """Counters of the gateway's own making are aggregates of the rows they summarise."""
    tokens, logs = f["email_api_tokens"], f["token_usage_logs"]
    latest = logs.group_by("token_jti").agg(pl.col("timestamp").max().alias("latest"))
    j = tokens.join(latest, left_on="jti", right_on="token_jti", how="left")
    assert j.filter(pl.col("last_used").ne_missing(pl.col("latest"))).height == 0
    assert j["last_used"].null_count() == j["latest"].null_count() > 0
    agents, calls = f["a2a_agents"], f["a2a_agent_metrics"]
    latest = calls.group_by("a2a_agent_id").agg(pl.col("timestamp").max().alias("latest"))
    j = agents.join(latest, left_on="id", right_on="a2a_agent_id", how="left")
    assert j.filter(pl.col("last_interaction").ne_missing(pl.col("latest"))).height == 0
