"""What the gateway (mcp-contextforge-gateway 1.1.0) should return, computed from the rows in its
database with the rules of its own code.

Every rule cites where the gateway implements it (paths inside the installed package
``mcpgateway/``). The tables are read once, after the gateway has started (its bootstrap adds the
platform admin, a personal team, roles), into plain Python rows; the rules are then applied in
Python with SQL's NULL semantics (a NULL never equals anything).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .harness import Database

ROLES = ("platform_admin", "admin", "member")  # the three users each endpoint is called as

# Columns read per table (all exist in the gateway's alembic schema).
OWNED_COLUMNS = "id, {enabled}, visibility, team_id, owner_email, {created}"
OWNED_TABLES = {  # table -> (extra columns, their names)
    "tools": (", gateway_id, integration_type, name", "gateway_id integration_type name"),
    "resources": (", uri_template, CASE WHEN text_content IS NULL AND binary_content IS NULL THEN 0 ELSE 1 END, mime_type",
                  "uri_template has_content mime_type"),
    "prompts": ("", ""),
    "servers": ("", ""),
    "gateways": ("", ""),
    "a2a_agents": ("", ""),
}
ASSOCIATIONS = {"tools": ("server_tool_association", "tool_id"),
                "resources": ("server_resource_association", "resource_id"),
                "prompts": ("server_prompt_association", "prompt_id")}
METRIC_KINDS = {  # /v1/metrics key -> (raw table, hourly table)
    "tools": ("tool_metrics", "tool_metrics_hourly"),
    "resources": ("resource_metrics", "resource_metrics_hourly"),
    "servers": ("server_metrics", "server_metrics_hourly"),
    "prompts": ("prompt_metrics", "prompt_metrics_hourly"),
    "a2aAgents": ("a2a_agent_metrics", "a2a_agent_metrics_hourly"),
}


class Row(dict):
    __getattr__ = dict.get


def _parse_ts(v) -> datetime | None:
    if v is None or v == "":
        return None
    s = str(v).replace("T", " ").rstrip("Z")
    if s.endswith("+00:00") or s.endswith("+00"):
        s = s.rsplit("+", 1)[0]
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


def _as_int(v):
    return None if v is None else int(v)


@dataclass
class Snapshot:
    """The rows the expectations are computed from, read once from one database."""

    db: Database
    users: list[Row] = field(default_factory=list)
    teams: list[Row] = field(default_factory=list)
    members: list[Row] = field(default_factory=list)
    tokens: list[Row] = field(default_factory=list)
    owned: dict[str, list[Row]] = field(default_factory=dict)
    server_children: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @classmethod
    def read(cls, db: Database) -> Snapshot:
        s = cls(db)
        b, ts = db.b, db.ts
        s.users = s._rows(f"SELECT id, email, {b('is_admin')}, {b('is_active')}, {b('password_change_required')}, "
                          "auth_provider, full_name FROM email_users",
                          "id email is_admin is_active password_change_required auth_provider full_name")
        s.teams = s._rows(f"SELECT id, name, {b('is_personal')}, visibility, {b('is_active')}, created_by, "
                          f"{ts('created_at')} FROM email_teams",
                          "id name is_personal visibility is_active created_by created_at")
        s.members = s._rows(f"SELECT id, team_id, user_email, role, {b('is_active')}, {ts('joined_at')} "
                            "FROM email_team_members", "id team_id user_email role is_active joined_at")
        s.tokens = s._rows(f"SELECT id, user_email, team_id, {b('is_active')}, {ts('expires_at')}, {ts('created_at')} "
                           "FROM email_api_tokens", "id user_email team_id is_active expires_at created_at")
        for table, (extra, extra_names) in OWNED_TABLES.items():
            cols = OWNED_COLUMNS.format(enabled=b("enabled"), created=ts("created_at")) + extra
            s.owned[table] = s._rows(f"SELECT {cols} FROM {table}",
                                     f"id enabled visibility team_id owner_email created_at {extra_names}")
        for kind, (assoc, col) in ASSOCIATIONS.items():
            m: dict[str, list[str]] = {}
            for server_id, child in db.rows(f"SELECT server_id, {col} FROM {assoc}"):
                m.setdefault(str(server_id), []).append(str(child))
            s.server_children[kind] = m
        return s

    def _rows(self, sql: str, names: str) -> list[Row]:
        keys = names.split()
        out = []
        for r in self.db.rows(sql):
            row = Row(zip(keys, r, strict=True))
            for k in keys:
                if k in ("is_admin", "is_active", "is_personal", "enabled", "password_change_required", "has_content"):
                    row[k] = _as_int(row[k])
                elif k in ("created_at", "joined_at", "expires_at"):
                    row[k] = _parse_ts(row[k])
                elif row[k] is not None and not isinstance(row[k], str):
                    row[k] = str(row[k])
            out.append(row)
        return out

    # -- lookups --
    def user(self, email: str) -> Row | None:
        return next((u for u in self.users if u.email == email), None)

    def team(self, team_id: str) -> Row | None:
        return next((t for t in self.teams if t.id == team_id), None)


# -- who is asking ---------------------------------------------------------------------------------

@dataclass
class Viewer:
    """A user calling the API with a session token, as the gateway sees them."""

    role: str                 # platform_admin | admin | member
    email: str
    user_id: str
    is_admin: bool
    auth_provider: str
    # Team ids a session token resolves to (auth.py: _get_auth_context_batched_sync: active
    # memberships of active teams, ordered by membership id); None for admins ("admin bypass",
    # resolve_session_teams returns None when is_admin).
    session_teams: list[str] | None
    # TeamManagementService.get_user_teams(email, include_personal=True): active memberships of
    # active teams. Used where the gateway looks teams up by email instead of the token.
    member_teams: list[str]
    personal_team_id: str | None

    @property
    def bypass(self) -> bool:
        return self.session_teams is None

    def label(self) -> str:
        return f"{self.role} <{self.email}>"


def member_teams(snap: Snapshot, email: str) -> list[str]:
    active = {t.id for t in snap.teams if t.is_active == 1}
    return [m.team_id for m in sorted(snap.members, key=lambda m: m.id)
            if m.user_email == email and m.is_active == 1 and m.team_id in active]


def make_viewer(snap: Snapshot, role: str, email: str) -> Viewer:
    u = snap.user(email)
    if u is None:
        raise LookupError(f"user {email} is not in email_users")
    teams = member_teams(snap, email)
    personal = next((t.id for t in snap.teams if t.is_personal == 1 and t.created_by == email and t.is_active == 1), None)
    return Viewer(role, email, u.id, u.is_admin == 1, u.auth_provider or "local",
                  None if u.is_admin == 1 else teams, teams, personal)


def pick_generated_users(snap: Snapshot, platform_admin_email: str) -> dict[str, str | None]:
    """A generated admin and a generated non-admin member of several teams.

    Both are active, need no password change (the gateway's PasswordChangeEnforcementMiddleware
    would block them) and, for the member, every active membership is in an active team (the two
    ways the gateway resolves a session's teams then agree). Among those: owners of API tokens
    first (their token endpoints have something to return), then the most team memberships, then
    the smallest email - deterministic for a given data set.
    """
    active_teams = {t.id for t in snap.teams if t.is_active == 1}
    all_active: dict[str, int] = {}
    in_active: dict[str, int] = {}
    for m in snap.members:
        if m.is_active == 1:
            all_active[m.user_email] = all_active.get(m.user_email, 0) + 1
            if m.team_id in active_teams:
                in_active[m.user_email] = in_active.get(m.user_email, 0) + 1

    def usable(u):
        return u.is_active == 1 and u.password_change_required != 1 and u.email != platform_admin_email

    owners = {t.user_email for t in snap.tokens}
    admins = [u for u in snap.users if usable(u) and u.is_admin == 1]
    members = [u for u in snap.users if usable(u) and u.is_admin != 1 and in_active.get(u.email, 0) >= 3
               and in_active.get(u.email, 0) == all_active.get(u.email, 0)]
    key = lambda u: (u.email not in owners, -in_active.get(u.email, 0), u.email)  # noqa: E731
    return {"admin": min(admins, key=key).email if admins else None,
            "member": min(members, key=key).email if members else None}


# -- visibility rules --------------------------------------------------------------------------------

def list_visible(row: Row, v: Viewer) -> bool:
    """services/base_service.py BaseService._apply_access_control (+ _apply_visibility_filter),
    used by the list_* of tools, resources, prompts, servers, gateways and A2A agents.

    Admin session (token_teams None, is_user_admin): visibility != 'private' OR own private row.
    Others: public, OR own private row, OR (team_id in the session's teams AND visibility in
    team/public).
    """
    if v.bypass:
        return row.visibility is not None and (row.visibility != "private" or row.owner_email == v.email)
    return (row.visibility == "public"
            or (row.owner_email == v.email and row.visibility == "private")
            or (row.team_id is not None and row.team_id in v.session_teams and row.visibility in ("team", "public")))


def server_child_visible(kind: str, row: Row, v: Viewer) -> bool:
    """tool_service.list_server_tools: admin bypass (is_admin_bypass_granted) sees every tool.
    resource_service.list_server_resources / prompt_service.list_server_prompts have no bypass:
    with an email they use the token's teams, or for an admin (token_teams None) the admin's own
    teams from get_user_teams(email); a row is visible if public, OR owned by the caller (any
    visibility), OR in one of those teams with visibility team/public."""
    if kind == "tools" and v.bypass:
        return True
    teams = v.member_teams if v.bypass else v.session_teams
    return (row.visibility == "public" or row.owner_email == v.email
            or (row.team_id is not None and row.team_id in teams and row.visibility in ("team", "public")))


def enabled_ok(row: Row, include_inactive: bool) -> bool:
    return include_inactive or row.enabled == 1


def expected_list(snap: Snapshot, kind: str, v: Viewer, include_inactive: bool = False) -> dict[str, Row]:
    """GET /v1/{tools,resources,prompts,servers,gateways,a2a}: all pages together."""
    out = {}
    for r in snap.owned[kind]:
        if kind == "resources" and r.uri_template is not None:
            continue  # resource_service.list_resources: uri_template IS NULL (templates are listed apart)
        if enabled_ok(r, include_inactive) and list_visible(r, v):
            out[r.id] = r
    return out


def expected_server_children(snap: Snapshot, kind: str, server_id: str, v: Viewer) -> dict[str, Row]:
    ids = set(snap.server_children[kind].get(server_id, []))
    out = {}
    for r in snap.owned[kind]:
        if r.id not in ids or r.enabled != 1:
            continue
        if kind == "resources" and r.uri_template is not None:
            continue
        if server_child_visible(kind, r, v):
            out[r.id] = r
    return out


def export_counts(snap: Snapshot, v: Viewer) -> dict[str, int]:
    """services/export_service.py export_configuration: the list_* of each kind, all pages,
    enabled only; tools without MCP tools of a gateway (only local REST tools are exportable)."""
    tools = [r for r in expected_list(snap, "tools", v).values()
             if not (r.integration_type == "MCP" and r.gateway_id is not None)]
    return {"tools": len(tools),
            "gateways": len(expected_list(snap, "gateways", v)),
            "servers": len(expected_list(snap, "servers", v)),
            "prompts": len(expected_list(snap, "prompts", v)),
            "resources": len(expected_list(snap, "resources", v))}


def expected_teams(snap: Snapshot, v: Viewer) -> dict[str, Row]:
    """routers/teams.py list_teams: a platform admin (PermissionService.check_platform_admin_permission:
    platform_admin_email or is_admin) gets TeamManagementService.list_teams(personal_owner_email=me):
    active teams, not personal unless created by the caller. Others get get_user_teams(me,
    include_personal=True) narrowed to the session's teams."""
    if v.is_admin:
        return {t.id: t for t in snap.teams if t.is_active == 1 and (t.is_personal != 1 or t.created_by == v.email)}
    allowed = set(v.session_teams)
    return {t: snap.team(t) for t in v.member_teams if t in allowed}


def active_memberships(snap: Snapshot, email: str) -> set[str]:
    """The teams TeamManagementService.get_user_role_in_team finds the user in: an active
    membership (the team's own state is not checked)."""
    return {m.team_id for m in snap.members if m.user_email == email and m.is_active == 1}


def expected_members(snap: Snapshot, team_id: str) -> dict[str, Row]:
    """TeamManagementService.get_team_members: active memberships joined to email_users."""
    emails = {u.email for u in snap.users}
    return {m.id: m for m in snap.members if m.team_id == team_id and m.is_active == 1 and m.user_email in emails}


def token_active(t: Row, now: datetime) -> bool:
    """token_catalog_service: is_active AND (expires_at IS NULL OR expires_at > now)."""
    return t.is_active == 1 and (t.expires_at is None or t.expires_at > now)


def expected_own_tokens(snap: Snapshot, v: Viewer, now: datetime) -> dict[str, Row]:
    """TokenCatalogService.list_user_and_team_tokens: the caller's tokens plus the tokens of the
    caller's teams (get_user_teams), active and not expired."""
    teams = set(v.member_teams)
    return {t.id: t for t in snap.tokens
            if (t.user_email == v.email or (t.team_id is not None and t.team_id in teams)) and token_active(t, now)}


def expected_all_tokens(snap: Snapshot, now: datetime) -> dict[str, Row]:
    return {t.id: t for t in snap.tokens if token_active(t, now)}


def expected_team_tokens(snap: Snapshot, team_id: str, now: datetime) -> dict[str, Row]:
    return {t.id: t for t in snap.tokens if t.team_id == team_id and token_active(t, now)}


def sample(ids: dict[str, Row], n: int = 5, by: str | tuple[str, ...] = "visibility") -> list[str]:
    """At least n ids (when there are), deterministic: the first (in id order) of each value of
    each ``by`` column (one public, one team, one private row; for resources also one per MIME
    type, whose content the gateway serialises differently), then ids spread evenly over the
    rest."""
    keys = sorted(ids)
    chosen: list[str] = []
    for col in (by,) if isinstance(by, str) else by:
        seen = {ids[c].get(col) for c in chosen}
        for k in keys:
            if ids[k].get(col) not in seen and k not in chosen:
                chosen.append(k)
                seen.add(ids[k].get(col))
    rest = [k for k in keys if k not in set(chosen)]
    need = min(n - len(chosen), len(rest))
    if need > 0:
        chosen += [rest[(i * len(rest)) // need] for i in range(need)]
    return chosen


# -- metrics -------------------------------------------------------------------------------------------

def retention_cutoff(now: datetime, retention_days: int = 7, delete_raw_after_rollup: bool = True,
                     delete_raw_hours: int = 1) -> datetime:
    """services/metrics_query_service.py get_retention_cutoff with the gateway's defaults
    (METRICS_RETENTION_DAYS=7, METRICS_DELETE_RAW_AFTER_ROLLUP=true, ..._HOURS=1): the later of
    now-7d and now-1h, floored to the hour. Raw rows count from the cutoff on, hourly rollups
    before it - split, never added for the same hour."""
    cutoff = now - timedelta(days=retention_days)
    if delete_raw_after_rollup:
        cutoff = max(cutoff, now - timedelta(hours=delete_raw_hours))
    return cutoff.replace(minute=0, second=0, microsecond=0)


@dataclass
class MetricTotals:
    total: int
    successful: int
    failed: int


def gateway_metric_totals(db: Database, raw: str, hourly: str, cutoff: datetime) -> MetricTotals:
    """metrics_query_service.aggregate_metrics_combined: SUM of the hourly rollups with
    hour_start < cutoff, plus COUNT of the raw rows with timestamp >= cutoff (the completed hours
    and the current one); failures are is_success = false."""
    c = db.ts_literal(cutoff)
    (rt, rs, rf), = db.rows(f"SELECT COALESCE(SUM(total_count), 0), COALESCE(SUM(success_count), 0), "
                           f"COALESCE(SUM(failure_count), 0) FROM {hourly} WHERE hour_start < {c}")
    (n, ok, bad), = db.rows(f"SELECT COUNT(id), COALESCE(SUM(CASE WHEN {db.b('is_success')} = 1 THEN 1 ELSE 0 END), 0), "
                           f"COALESCE(SUM(CASE WHEN {db.b('is_success')} = 0 THEN 1 ELSE 0 END), 0) "
                           f"FROM {raw} WHERE timestamp >= {c}")
    return MetricTotals(int(rt) + int(n), int(rs) + int(ok), int(rf) + int(bad))


@dataclass
class History:
    executions: int          # what the data records: raw rows, plus rollup totals of hours without raw rows
    raw_rows: int
    raw_before_cutoff: int
    raw_hours_before_cutoff: int
    rollup_hours: int
    rollup_total: int
    uncovered_hours: int     # hours before the cutoff with raw rows whose rollup is missing or differs
    first_raw: str | None
    last_raw: str | None


def metric_history(db: Database, raw: str, hourly: str, cutoff: datetime) -> History:
    """How many executions the data records, hour by hour: an hour's raw rows if it has any, else
    its rollup's total_count. The gateway reports all of them only if every hour before the
    cutoff that has raw rows also has a rollup with the same count."""
    raw_hours = {h: int(n) for h, n in db.rows(f"SELECT {db.hour('timestamp')}, COUNT(id) FROM {raw} GROUP BY 1")}
    roll_hours: dict[str, int] = {}
    for h, n in db.rows(f"SELECT {db.hour('hour_start')}, SUM(total_count) FROM {hourly} GROUP BY 1"):
        roll_hours[h] = int(n or 0)
    cut = cutoff.strftime("%Y-%m-%d %H")
    before = {h: n for h, n in raw_hours.items() if h < cut}
    executions = sum(raw_hours.values()) + sum(n for h, n in roll_hours.items() if h not in raw_hours)
    uncovered = sum(1 for h, n in before.items() if roll_hours.get(h) != n)
    (first, last), = db.rows(f"SELECT MIN({db.ts('timestamp')}), MAX({db.ts('timestamp')}) FROM {raw}")
    return History(executions, sum(raw_hours.values()), sum(before.values()), len(before), len(roll_hours),
                   sum(roll_hours.values()), uncovered, first, last)


def a2a_agent_counts(snap: Snapshot) -> tuple[int, int]:
    """cache/a2a_stats_cache.py get_counts: COUNT(*) and SUM(enabled) of a2a_agents."""
    rows = snap.owned["a2a_agents"]
    return len(rows), sum(1 for r in rows if r.enabled == 1)
