"""The calls each test case makes and what it checks, shared by the `small` test (every page of
every list) and the `medium` test (the first page of each, ``GatewaySession.first_page_only``).

A case is one (database, user, endpoint): the calls made, the problems found, the gateway's log
lines written meanwhile. The expected results come from ``expect.py``.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

import pytest

from . import expect
from .harness import q, summarize_problems

PAGE = 100  # items per page asked for (the gateway's default is 50, its maximum 500)
LOG_SETTLE_S = 0.3  # after a 5xx, the time the gateway's log gets to catch up

LISTS = {  # endpoint -> (path, key of the items in a cursor page, table)
    "tools": ("/v1/tools", "tools", "tools"),
    "resources": ("/v1/resources", "resources", "resources"),
    "prompts": ("/v1/prompts", "prompts", "prompts"),
    "servers": ("/v1/servers", "servers", "servers"),
    "gateways": ("/v1/gateways", "gateways", "gateways"),
    "a2a": ("/v1/a2a", "agents", "a2a_agents"),
}
ADMIN_ONLY = "admin"  # marker in EXPECTED_STATUS: platform admin and generated admin 200, member 403


class Case:
    """One (database, user, endpoint): the calls made, the problems found, the log written."""

    def __init__(self, gw, role: str, endpoint: str, request):
        if role in gw.missing:
            hints = hints_for(gw.missing[role])
            request.node.user_properties.extend([("db", gw.kind), ("role", role), ("endpoint", endpoint),
                                                 ("missing_user", True), ("hints", hints)])
            pytest.fail("\n".join([f"[{gw.kind}] no {role} user to call {endpoint} with: {gw.missing[role]}",
                                   *[f"  likely cause: {h}" for h in hints]]), pytrace=False)
        self.gw = gw
        self.role = role
        self.endpoint = endpoint
        self.v: expect.Viewer = gw.viewers[role]
        self.token = gw.tokens[role]
        self.node = request.node
        if gw.settle_log:
            # The previous case got a 5xx: uvicorn logs its traceback after the response is sent.
            time.sleep(LOG_SETTLE_S)
            gw.settle_log = False
        self.start = gw.log.offset()
        self.calls = []
        self.problems: list[str] = []
        self.expected_total = 0
        self.got_total = 0
        self._roles_noted = False

    # -- calls --
    def get(self, path: str, _accept: str = "application/json", **params):
        if params:
            path = f"{path}?{urlencode({k: v for k, v in params.items() if v is not None})}"
        r = self.gw.client.request("GET", path, self.token, accept=_accept)
        self.calls.append(r)
        return r

    def send(self, method: str, path: str, body=None):
        r = self.gw.client.request(method, path, self.token, body)
        self.calls.append(r)
        return r

    # -- findings --
    def problem(self, text: str, *details: str):
        self.problems.append(text)
        self.problems.extend(f"    {d}" for d in details if d)

    def status_ok(self, r, want: int | tuple, what: str) -> bool:
        wants = want if isinstance(want, tuple) else (want,)
        if r.status in wants:
            return True
        self.problem(f"{r.method} {r.path}: expected HTTP {'/'.join(map(str, wants))}{what}, got {r.status}: {r.snippet(300)}")
        if r.status == 403 and 403 not in wants and not self._roles_noted:
            self._roles_noted = True
            self.problem(f"roles of {self.v.email} in user_roles: {self.roles()}")
        return False

    def roles(self) -> str:
        db = self.gw.db
        rows = db.rows(f"SELECT r.name, ur.scope, ur.scope_id, {db.b('ur.is_active')} FROM user_roles ur "
                       f"JOIN roles r ON r.id = ur.role_id WHERE ur.user_email = {q(self.v.email)} ORDER BY 1, 2, 3")
        if not rows:
            n = db.rows("SELECT COUNT(*) FROM user_roles")[0][0]
            return f"none (user_roles holds {n} rows in all) - the gateway gives every user a global role and team roles"
        return "; ".join(f"{n} ({sc}{' ' + sid if sid else ''}{'' if str(a) == '1' else ', inactive'})" for n, sc, sid, a in rows)

    def compare(self, what: str, got_ids: list, expected: dict, describe=None, listing=None, newest_first=False):
        """The ids a listing returned against the expected rows (order not checked). When the
        listing is a first page only: see compare_first_page."""
        describe = describe or _describe_row
        if listing is not None and listing.first_page_only:
            return self.compare_first_page(what, got_ids, expected, describe, listing, newest_first)
        self.expected_total += len(expected)
        self.got_total += len(got_ids)
        dup = sorted(i for i, c in Counter(got_ids).items() if c > 1)
        got, exp = set(got_ids), set(expected)
        if got == exp and not dup:
            return
        missing, extra = sorted(exp - got), sorted(got - exp)
        self.problem(f"{what}: expected {len(exp)} ({_breakdown(expected)}), got {len(got_ids)} "
                     f"({len(missing)} missing, {len(extra)} unexpected, {len(dup)} returned twice)",
                     missing and f"missing e.g.: {', '.join(describe(expected[i]) for i in missing[:5])}",
                     extra and f"unexpected e.g.: {', '.join(map(str, extra[:5]))}",
                     dup and f"returned twice e.g.: {', '.join(map(str, dup[:5]))}")

    def compare_first_page(self, what, got_ids, expected, describe, listing, newest_first):
        """A first page of PAGE items: as many as the expected rows allow, each one of them, none
        twice; more pages announced exactly when there are more rows (``listing.more`` None: the
        endpoint does not say). ``newest_first``: the gateway orders the listing by created_at
        DESC, id DESC (its services' list_* queries), so the page holds the newest rows - every
        row newer than the page's oldest must be on it (rows sharing that timestamp may tie)."""
        want_n = min(PAGE, len(expected))
        self.expected_total += want_n
        self.got_total += len(got_ids)
        dup = sorted(i for i, c in Counter(got_ids).items() if c > 1)
        extra = sorted(set(got_ids) - set(expected))
        if len(got_ids) != want_n or dup or extra:
            self.problem(f"{what}: first page of {PAGE} expected to hold {want_n} of the {len(expected)} expected rows "
                         f"({_breakdown(expected)}), got {len(got_ids)} ({len(extra)} unexpected, {len(dup)} returned twice)",
                         extra and f"unexpected e.g.: {', '.join(map(str, extra[:5]))}",
                         dup and f"returned twice e.g.: {', '.join(map(str, dup[:5]))}")
        if listing.more is not None and listing.more != (len(expected) > PAGE):
            self.problem(f"{what}: {'announces' if listing.more else 'does not announce'} a next page, "
                         f"with {len(expected)} rows expected and pages of {PAGE}")
        if newest_first and want_n:
            ranked = sorted(expected.values(), key=lambda r: (r.created_at, r.id), reverse=True)
            oldest_on_page = ranked[want_n - 1].created_at
            newer = [r for r in ranked[:want_n] if r.created_at > oldest_on_page]
            missing = [r for r in newer if r.id not in set(got_ids)]
            if missing:
                self.problem(f"{what}: the first page (created_at DESC) lacks {len(missing)} of the {len(newer)} rows "
                             f"newer than {oldest_on_page:%Y-%m-%d %H:%M:%S.%f}",
                             f"missing e.g.: {', '.join(describe(r) for r in missing[:5])}")

    def finish(self):
        self.node.user_properties.extend([("db", self.gw.kind), ("role", self.role), ("endpoint", self.endpoint),
                                          ("expected", self.expected_total), ("got", self.got_total),
                                          ("statuses", dict(Counter(r.status for r in self.calls)))])
        if any(r.status >= 500 for r in self.calls):
            time.sleep(LOG_SETTLE_S)  # let the tracebacks of those 5xx reach the log
            self.gw.settle_log = True
        if not self.problems:
            return
        recs = self.gw.log.records(self.start)
        causes = summarize_problems(recs)
        self.node.user_properties.append(("causes", causes))
        statuses = ", ".join(f"{s} x{n}" for s, n in sorted(Counter(r.status for r in self.calls).items()))
        lines = [f"[{self.gw.kind}] {self.v.label()} - {self.endpoint}: {len(self.problems)} problem line(s); "
                 f"{len(self.calls)} calls ({statuses})", *[f"  {p}" for p in self.problems]]
        if causes:
            lines.append(f"  gateway log during these calls ({self.gw.log.path}):")
            lines += [f"    {c}" for c in causes]
        else:
            lines.append(f"  (no error in the gateway log during these calls; {self.gw.log.path})")
        hints = hints_for("\n".join(self.problems + causes))
        self.node.user_properties.append(("hints", hints))
        lines += [f"  likely cause: {h}" for h in hints]
        pytest.fail("\n".join(lines), pytrace=False)


# What a failure most likely says about the data, for the people who generate it.
HINTS = [
    (r"tags\.\d+.*valid dictionary|Input should be a valid dictionary",
     "tags stored as plain strings: ToolRead/PromptRead/ServerRead/A2AAgentRead declare tags as "
     "List[Dict[str, str]], i.e. [{\"id\": ..., \"label\": ...}] (schemas.py; rows that fail are dropped from "
     "lists with 'Failed to convert', get-by-id answers 404/422)"),
    (r"InvalidTag|InvalidToken|decrypt|Export failed:\s*$",
     "a column the gateway decrypts on read is not its ciphertext: auth_value of gateways/a2a_agents "
     "(utils/services_auth.py decode_auth: AES-256-GCM, key = SHA-256 of AUTH_ENCRYPTION_SECRET), "
     "OAuth client secrets in oauth_config, oauth_tokens; one bad row fails the whole list with 500"),
    (r"has no content", "resources without text_content or binary_content (resource_service read: 404)"),
    (r"user_roles: none|Access denied|Admin privileges required",
     "no RBAC rows for the user: the gateway expects user_roles (platform_admin or platform_viewer global; "
     "team_admin on owned and personal teams, viewer on others) - its routes need the permission from a role "
     "(admin API routes even for is_admin users: allow_admin_bypass=False)"),
    (r"duplicate key value violates unique constraint \S*(pk_|_pkey)|UniqueViolation",
     "a PostgreSQL sequence behind an integer id was left below the loaded ids (setval past MAX(id)): the "
     "gateway's own inserts fail - at start-up the platform admin's 'registration' email_auth_events row, which "
     "rolls the admin back, and then no RBAC role is created either"),
    (r"the gateway reports 0|no rollup with their count",
     "history only in raw *_metrics rows: the gateway reads raw rows for the last hour only and *_metrics_hourly "
     "before that (metrics_query_service.get_retention_cutoff), so every past hour needs its rollup row"),
]


def hints_for(text: str) -> list[str]:
    return [h for pat, h in HINTS if re.search(pat, text, re.M)]


def _describe_row(row) -> str:
    if not isinstance(row, dict):
        return str(row)
    bits = [str(row.get("id") or row.get("email"))]
    for k in ("name", "user_email", "visibility", "team_id"):
        if row.get(k) is not None:
            bits.append(f"{k}={row[k]}")
    if row.get("enabled") == 0 or row.get("is_active") == 0:
        bits.append("inactive")
    return "(" + " ".join(bits) + ")"


def _breakdown(expected: dict) -> str:
    """How the expected rows split by visibility (or state), to read a count at a glance."""
    c = Counter((r.get("visibility") if isinstance(r, dict) and "visibility" in r else None) for r in expected.values())
    if set(c) == {None}:
        return "all"
    return " + ".join(f"{n} {k}" for k, n in sorted(c.items(), key=lambda kv: str(kv[0])))


# -- pagination ------------------------------------------------------------------------------------

class Listing(list):
    """The items a listing returned: every page, or the first one only (the session's
    first_page_only); ``more``: whether the gateway announced a next page."""

    def __init__(self, items=(), first_page_only: bool = False, more: bool | None = None):
        super().__init__(items)
        self.first_page_only = first_page_only
        self.more = more


def cursor_pages(case: Case, path: str, key: str, expected_n: int, **params):
    """All pages of a cursor-paginated listing (limit + include_pagination + nextCursor), or the
    first one. Returns a Listing, or None after a non-200 (recorded as a problem)."""
    items, cursor, pages = Listing(first_page_only=case.gw.first_page_only), None, 0
    while True:
        r = case.get(path, limit=PAGE, include_pagination="true", cursor=cursor, **params)
        if not case.status_ok(r, 200, f" ({expected_n} items expected)"):
            return None
        body = r.json()
        items += body.get(key) or []
        pages += 1
        cursor = body.get("nextCursor") or body.get("next_cursor")
        if not cursor or items.first_page_only:
            items.more = bool(cursor)
            return items
        if pages > expected_n // PAGE + 20:
            case.problem(f"GET {path}: pagination did not end after {pages} pages of {PAGE} ({len(items)} items)")
            return items


def offset_pages(case: Case, path: str, key: str, expected_n: int, *, skip_name="offset", **params):
    """All pages of a limit/offset listing that reports `total`, or the first one."""
    items, offset = Listing(first_page_only=case.gw.first_page_only), 0
    while True:
        r = case.get(path, limit=PAGE, **{skip_name: offset}, **params)
        if not case.status_ok(r, 200, f" ({expected_n} items expected)"):
            return None
        body = r.json()
        page = body.get(key) or []
        items += page
        total = body.get("total")
        if total is not None and offset == 0 and total != expected_n:
            case.problem(f"GET {path}: reports total={total}, expected {expected_n}")
        offset += PAGE
        if items.first_page_only:
            items.more = None if total is None else total > PAGE
            return items
        if not page or total is None or offset >= total or offset > expected_n + 20 * PAGE:
            return items


def page_pages(case: Case, path: str, expected_n: int, accept: str = "application/json", **params):
    """All pages of the admin API's page/per_page listings ({data, pagination: {has_next}}), or
    the first one."""
    items, page = Listing(first_page_only=case.gw.first_page_only), 1
    while True:
        r = case.get(path, page=page, per_page=PAGE, _accept=accept, **params)
        if not case.status_ok(r, 200, f" ({expected_n} items expected)"):
            return None
        body = r.json()
        items += body.get("data") or []
        pag = body.get("pagination") or {}
        if items.first_page_only:
            items.more = pag.get("has_next")
        if not pag.get("has_next") or page > expected_n // PAGE + 20 or items.first_page_only:
            if page == 1 and pag.get("total_items") not in (None, expected_n):
                case.problem(f"GET {path}: reports total_items={pag.get('total_items')}, expected {expected_n}")
            return items
        page += 1


def _pages(items: Listing) -> str:
    return "first page" if items.first_page_only else "all pages"


def expected_status(endpoint: str, role: str) -> int:
    """The status a user with the roles the gateway gives its users (platform_admin to admins;
    platform_viewer, team_admin on owned teams, viewer on others to the rest) must get."""
    if EXPECTED_STATUS.get(endpoint) == ADMIN_ONLY:
        return 403 if role == "member" else 200
    return 200


# -- the endpoints ---------------------------------------------------------------------------------

def _list(kind: str, include_inactive: bool):
    def check(case: Case):
        path, key, table = LISTS[kind]
        exp = expect.expected_list(case.gw.snapshot, table, case.v, include_inactive)
        params = {"include_inactive": "true"} if include_inactive else {}
        items = cursor_pages(case, path, key, len(exp), **params)
        if items is not None:
            case.compare(f"GET {path} ({'include_inactive, ' if include_inactive else ''}{_pages(items)})",
                         [i.get("id") for i in items], exp, listing=items, newest_first=True)
    return check


def _admin_list(kind: str):
    def check(case: Case):
        table = LISTS[kind][2]
        exp = expect.expected_list(case.gw.snapshot, table, case.v)
        path = f"/v1/admin/{kind}"
        items = page_pages(case, path, len(exp))
        if items is not None:
            case.compare(f"GET {path} ({_pages(items)})", [i.get("id") for i in items], exp, listing=items,
                         newest_first=True)
    return check


def _server_children(kind: str):
    def check(case: Case):
        snap = case.gw.snapshot
        servers = expect.expected_list(snap, "servers", case.v)
        assoc = snap.server_children[kind]
        chosen = sorted(servers, key=lambda s: (-len(assoc.get(s, [])), s))[:3]
        if not chosen:
            case.problem(f"no server visible to {case.v.email} to list {kind} of (expected some)")
        for sid in chosen:
            exp = expect.expected_server_children(snap, kind, sid, case.v)
            r = case.get(f"/v1/servers/{sid}/{kind}")
            if case.status_ok(r, 200, f" ({len(exp)} {kind} expected)"):
                case.compare(f"GET /v1/servers/{sid}/{kind}", [i.get("id") for i in r.json() or []], exp)
    return check


def _by_id(kind: str, suffix: str = "", check_body=None, by=("visibility",)):
    def check(case: Case):
        path, _key, table = LISTS[kind]
        ids = expect.sample(expect.expected_list(case.gw.snapshot, table, case.v), by=by)
        case.expected_total = len(ids)
        for i in ids:
            r = case.get(f"{path}/{i}{suffix}")
            if case.status_ok(r, 200, f" ({kind[:-1] if kind.endswith('s') else kind} visible in its list)"):
                body = r.json()
                ok = check_body(body, i) if check_body else (isinstance(body, dict) and body.get("id") == i)
                if ok:
                    case.got_total += 1
                else:
                    case.problem(f"GET {path}/{i}{suffix}: 200 but not the requested item: {r.snippet(200)}")
    return check


def check_teams(case: Case):
    exp = expect.expected_teams(case.gw.snapshot, case.v)
    items = offset_pages(case, "/v1/teams/", "teams", len(exp), skip_name="skip")
    if items is not None:
        case.compare(f"GET /v1/teams/ (skip/limit, {_pages(items)})", [t.get("id") for t in items], exp, listing=items)


def check_team_by_id(case: Case):
    exp = expect.expected_teams(case.gw.snapshot, case.v)
    ids = expect.sample(exp, by="is_personal")
    case.expected_total = len(ids)
    for i in ids:
        r = case.get(f"/v1/teams/{i}")
        if case.status_ok(r, 200, " (a team of the user's team list)"):
            if (r.json() or {}).get("id") == i:
                case.got_total += 1
            else:
                case.problem(f"GET /v1/teams/{i}: 200 but not the requested team: {r.snippet(200)}")


def check_team_members(case: Case):
    snap, v = case.gw.snapshot, case.v
    size = Counter(m.team_id for m in snap.members if m.is_active == 1)
    mine = sorted(v.member_teams, key=lambda t: (-size[t], t))[:3]
    member_of = expect.active_memberships(snap, v.email)
    others = sorted((t.id for t in snap.teams if t.is_active == 1 and t.is_personal != 1
                     and t.id not in member_of), key=lambda t: (-size[t], t))[:1]
    for tid in mine:
        exp = expect.expected_members(snap, tid)
        items = cursor_pages(case, f"/v1/teams/{tid}/members", "members", len(exp))
        if items is not None:
            case.compare(f"GET /v1/teams/{tid}/members ({_pages(items)})", [m.get("id") for m in items], exp,
                         describe=lambda m: f"({m.id} {m.user_email} {m.role})", listing=items)
    for tid in others:
        # No admin bypass here: only active members may list a team's members.
        r = case.get(f"/v1/teams/{tid}/members")
        case.status_ok(r, 403, " (not a member of this team)")


def check_users(case: Case):
    exp = {u.email: u for u in case.gw.snapshot.users}
    want = expected_status("users", case.role)
    if want == 403:
        case.status_ok(case.get("/v1/auth/email/admin/users"), 403, " (admin.user_management)")
        return
    # One call with limit=0 ("0 means all"): this endpoint's cursor pages never end in 1.1.0
    # (routers/email_auth.py builds CursorPaginatedUsersResponse(next_cursor=...) but the field
    # only accepts its alias nextCursor, so nextCursor is always null and page 2 is unreachable).
    # First page only: limit=PAGE, and whether more follow is not said (same reason).
    first = case.gw.first_page_only
    r = case.get("/v1/auth/email/admin/users", limit=PAGE if first else 0)
    if case.status_ok(r, 200, f" ({len(exp)} users expected)"):
        body = r.json() or []
        users = body.get("users") or [] if isinstance(body, dict) else body
        case.compare(f"GET /v1/auth/email/admin/users?limit={PAGE if first else 0} ({'first page' if first else 'all users'})",
                     [u.get("email") for u in users], exp, describe=lambda u: f"({u.email})",
                     listing=Listing(first_page_only=first))


def check_user_by_email(case: Case):
    users = {u.email: u for u in case.gw.snapshot.users}
    emails = expect.sample(users, by="is_admin")
    want = expected_status("user-by-email", case.role)
    case.expected_total = len(emails) if want == 200 else 0
    for e in emails:
        r = case.get(f"/v1/auth/email/admin/users/{quote(e, safe='')}")
        if case.status_ok(r, want, "" if want == 200 else " (admin.user_management)") and want == 200:
            if (r.json() or {}).get("email") == e:
                case.got_total += 1
            else:
                case.problem(f"GET /v1/auth/email/admin/users/{e}: 200 but another user: {r.snippet(200)}")


def check_admin_users(case: Case):
    exp = {u.email: u for u in case.gw.snapshot.users}
    if expected_status("admin-users", case.role) == 403:
        case.status_ok(case.get("/v1/admin/users", page=1, per_page=PAGE), 403, " (admin.user_management)")
        return
    # Accept: */* - with application/json (or format=json) this route answers the admin UI's
    # user dropdown instead: {"users": [...]} of the first 100 users, no pagination.
    items = page_pages(case, "/v1/admin/users", len(exp), accept="*/*")
    if items is not None:
        case.compare(f"GET /v1/admin/users ({_pages(items)})", [u.get("email") for u in items], exp,
                     describe=lambda u: f"({u.email})", listing=items)


def _now():
    return datetime.now(UTC)


def check_tokens(case: Case):
    exp = expect.expected_own_tokens(case.gw.snapshot, case.v, _now())
    items = offset_pages(case, "/v1/tokens", "tokens", len(exp))
    if items is not None:
        case.compare(f"GET /v1/tokens (own and team tokens, {_pages(items)})", [t.get("id") for t in items], exp,
                     describe=lambda t: f"({t.id} {t.user_email} team={t.team_id})", listing=items)


def check_tokens_all(case: Case):
    exp = expect.expected_all_tokens(case.gw.snapshot, _now())
    if expected_status("tokens-all", case.role) == 403:
        case.status_ok(case.get("/v1/tokens/admin/all"), 403, " (admin only)")
        return
    items = offset_pages(case, "/v1/tokens/admin/all", "tokens", len(exp))
    if items is not None:
        case.compare(f"GET /v1/tokens/admin/all ({_pages(items)})", [t.get("id") for t in items], exp,
                     describe=lambda t: f"({t.id} {t.user_email} team={t.team_id})", listing=items)


def check_tokens_team(case: Case):
    snap = case.gw.snapshot
    per_team = Counter(t.team_id for t in snap.tokens)
    for tid in sorted(case.v.member_teams, key=lambda t: (-per_team[t], t))[:3]:
        exp = expect.expected_team_tokens(snap, tid, _now())
        items = offset_pages(case, f"/v1/tokens/teams/{tid}", "tokens", len(exp))
        if items is not None:
            case.compare(f"GET /v1/tokens/teams/{tid} ({_pages(items)})", [t.get("id") for t in items], exp,
                         describe=lambda t: f"({t.id} {t.user_email})", listing=items)


def check_token_by_id(case: Case):
    own = {t.id: t for t in case.gw.snapshot.tokens if t.user_email == case.v.email}
    ids = expect.sample(own, by="is_active")
    case.expected_total = len(ids)
    for i in ids:
        r = case.get(f"/v1/tokens/{i}")
        if case.status_ok(r, 200, " (the user's own token)"):
            case.got_total += 1


def _metrics_call(case: Case):
    """GET /v1/metrics and the expectations around it (recomputed if the hour turned)."""
    for _ in range(2):
        cut = expect.retention_cutoff(_now())
        r = case.get("/v1/metrics")
        if expect.retention_cutoff(_now()) == cut:
            return r, cut
    return r, cut


def check_metrics(case: Case):
    """The totals /v1/metrics reports against metrics_query_service.aggregate_metrics_combined
    computed in SQL: rollups before the retention cutoff + raw rows from it on."""
    want = expected_status("metrics", case.role)
    r, cut = _metrics_call(case)
    if not case.status_ok(r, want, "" if want == 200 else " (admin.metrics)") or want != 200:
        return
    body = r.json()
    snap, db = case.gw.snapshot, case.gw.db
    for key, (raw, hourly) in expect.METRIC_KINDS.items():
        m = body.get(key) or {}
        e = expect.gateway_metric_totals(db, raw, hourly, cut)
        if key == "a2aAgents":
            total, active = expect.a2a_agent_counts(snap)
            got = (m.get("totalAgents"), m.get("activeAgents"), m.get("totalInteractions"),
                   m.get("successfulInteractions"), m.get("failedInteractions"))
            want_v = (total, active, e.total, e.successful, e.failed)
            names = "agents, active agents, interactions, successful, failed"
        else:
            got = (m.get("totalExecutions"), m.get("successfulExecutions"), m.get("failedExecutions"))
            want_v = (e.total, e.successful, e.failed)
            names = "executions, successful, failed"
        case.expected_total += e.total
        case.got_total += (got[2] if key == "a2aAgents" else got[0]) or 0
        if got != want_v:
            case.problem(f"/v1/metrics {key}: ({names}) expected {want_v}, got {got} "
                         f"[{hourly} before {cut:%Y-%m-%d %H:00} + {raw} from then on]")


def check_metrics_history(case: Case):
    """Every execution the data records (raw rows; an hour without raw rows counts its rollup)
    shows in /v1/metrics: the gateway reads rollups for every hour before the retention cutoff,
    so each such hour with raw rows needs its *_metrics_hourly row."""
    want = expected_status("metrics-history", case.role)
    r, cut = _metrics_call(case)
    if not case.status_ok(r, want, "" if want == 200 else " (admin.metrics)") or want != 200:
        return
    body = r.json()
    for key, (raw, hourly) in expect.METRIC_KINDS.items():
        m = body.get(key) or {}
        got = m.get("totalInteractions") if key == "a2aAgents" else m.get("totalExecutions")
        h = expect.metric_history(case.gw.db, raw, hourly, cut)
        case.expected_total += h.executions
        case.got_total += got or 0
        if got != h.executions:
            case.problem(f"/v1/metrics {key}: the data records {h.executions} executions, the gateway reports {got}",
                         f"{raw}: {h.raw_rows} rows from {h.first_raw} to {h.last_raw}; {h.raw_before_cutoff} of them "
                         f"in {h.raw_hours_before_cutoff} hours before the cutoff {cut:%Y-%m-%d %H:00} (now - 1h: "
                         f"the gateway reads those hours from rollups only)",
                         f"{hourly}: {h.rollup_hours} hours, {h.rollup_total} executions; {h.uncovered_hours} hours "
                         "before the cutoff have raw rows but no rollup with their count")


def check_export(case: Case):
    want = expected_status("export", case.role)
    r = case.get("/v1/export")
    if not case.status_ok(r, want, "" if want == 200 else " (admin.export)") or want != 200:
        return
    body = r.json() or {}
    ents = body.get("entities") or {}
    for kind, n in expect.export_counts(case.gw.snapshot, case.v).items():
        got = len(ents.get(kind) or [])
        case.expected_total += n
        case.got_total += got
        if got != n:
            case.problem(f"/v1/export entities.{kind}: expected {n}, got {got}")


def _resource_content(body, _id):
    return isinstance(body, dict) and ("text" in body or "blob" in body)


def _prompt_rendered(body, _id):
    return isinstance(body, dict) and isinstance(body.get("messages"), list)


CHECKS = {
    **{k: _list(k, False) for k in LISTS},
    **{f"{k}-inactive": _list(k, True) for k in LISTS},
    "server-tools": _server_children("tools"),
    "server-resources": _server_children("resources"),
    "server-prompts": _server_children("prompts"),
    "tool-by-id": _by_id("tools"),
    "resource-by-id": _by_id("resources", check_body=_resource_content, by=("visibility", "mime_type")),
    "resource-info-by-id": _by_id("resources", "/info", by=("visibility", "mime_type")),
    "prompt-by-id": _by_id("prompts", check_body=_prompt_rendered),
    "server-by-id": _by_id("servers"),
    "gateway-by-id": _by_id("gateways"),
    "a2a-by-id": _by_id("a2a"),
    "teams": check_teams,
    "team-by-id": check_team_by_id,
    "team-members": check_team_members,
    "users": check_users,
    "user-by-email": check_user_by_email,
    "tokens": check_tokens,
    "tokens-all": check_tokens_all,
    "tokens-team": check_tokens_team,
    "token-by-id": check_token_by_id,
    "metrics": check_metrics,
    "metrics-history": check_metrics_history,
    "export": check_export,
    **{f"admin-{k}": _admin_list(k) for k in LISTS},
    "admin-users": check_admin_users,
}
EXPECTED_STATUS = {e: ADMIN_ONLY for e in ("users", "user-by-email", "admin-users", "tokens-all",
                                           "metrics", "metrics-history", "export")}


# -- the test bodies (test_gateway_read.py, test_gateway_medium.py) ---------------------------------

def run_login(gw, request):
    """POST /v1/auth/email/login with PLATFORM_ADMIN_EMAIL/PASSWORD (the gateway writes an
    email_auth_events row and the user's last_login)."""
    request.node.user_properties.extend([("db", gw.kind), ("role", "platform_admin"), ("endpoint", "login"),
                                         ("timings", gw.timings)])
    if "platform_admin" in gw.missing:
        hints = hints_for(gw.missing["platform_admin"])
        request.node.user_properties.extend([("missing_user", True), ("hints", hints)])
        pytest.fail("\n".join([f"[{gw.kind}] {gw.missing['platform_admin']}", *[f"  likely cause: {h}" for h in hints]]),
                    pytrace=False)
    r = gw.login
    if r.status != 200 or "access_token" not in (r.json() or {}):
        recs = gw.log.records()
        causes = summarize_problems([x for x in recs if "login" in x.message.lower() or "auth" in x.logger
                                     or x.exc]) or summarize_problems(recs)
        hints = hints_for("\n".join(causes))
        request.node.user_properties.extend([("causes", causes), ("hints", hints)])
        pytest.fail("\n".join([f"[{gw.kind}] platform_admin <{gw.secrets.admin_email}> - POST /v1/auth/email/login: "
                               f"expected 200 with an access_token, got {r.status}: {r.snippet(300)}",
                               "  (its tests use a session token minted with the gateway's JWT helper instead)",
                               "  gateway log:", *[f"    {c}" for c in causes],
                               *[f"  likely cause: {h}" for h in hints]]), pytrace=False)


def run_endpoint(gw, role, endpoint, request):
    case = Case(gw, role, endpoint, request)
    CHECKS[endpoint](case)
    case.finish()


_CREATE_BODIES = {
    "server": lambda tag, tool_ids: {"server": {"name": f"specgen-harness-{tag}", "description": "created by tests/gateway",
                                                "tags": ["specgen-harness"], "associated_tools": tool_ids}},
    "tool": lambda tag, _ids: {"tool": {"name": f"specgen_harness_{tag}", "url": f"https://{tag}.specgen-harness.invalid/probe",
                                        "description": "created by tests/gateway", "integration_type": "REST",
                                        "request_type": "GET", "input_schema": {"type": "object", "properties": {}},
                                        "tags": ["specgen-harness"]}},
}


CREATE_KINDS = ["server", "tool"]


def run_create_after_load(gw, role, kind, request):
    """One create through the API in the user's personal team (every user is team_admin there),
    read back, then deleted so the other tests' counts hold."""
    case = Case(gw, role, f"create-{kind}", request)
    v = case.v
    tag = f"{role.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
    visible_tools = sorted(expect.expected_list(gw.snapshot, "tools", v))[:2]
    body = _CREATE_BODIES[kind](tag, visible_tools)
    body.update({"team_id": v.personal_team_id, "visibility": "private"})
    if v.personal_team_id is None:
        case.problem(f"{v.email} has no active personal team to create in")
    base = f"/v1/{kind}s"
    r = case.send("POST", base, body)
    case.expected_total = 1
    if case.status_ok(r, (200, 201), f" (create a {kind} in the personal team)"):
        new_id = (r.json() or {}).get("id")
        g = case.get(f"{base}/{new_id}")
        if case.status_ok(g, 200, f" (the {kind} just created)"):
            case.got_total = 1
        d = case.send("DELETE", f"{base}/{new_id}")
        case.status_ok(d, 200, f" (delete the {kind} just created)")
    case.finish()


_LOG_PROBLEMS = {
    "conversion failures ('Failed to convert')": lambda rec: "Failed to convert" in rec.message,
    "decryption errors": lambda rec: re.search(r"decrypt|InvalidTag|InvalidToken", rec.message + rec.exc, re.I) is not None,
    "tracebacks": lambda rec: bool(rec.exc) or "Traceback (most recent call last)" in rec.message,
}


def run_gateway_log_clean(gw, request):
    """Runs after every call above: the gateway's whole log holds no conversion failure, no
    decryption error and no traceback."""
    request.node.user_properties.extend([("db", gw.kind), ("role", "-"), ("endpoint", "gateway-log")])
    recs = gw.log.records()
    found = {name: [r for r in recs if pred(r)] for name, pred in _LOG_PROBLEMS.items()}
    bad = {k: v for k, v in found.items() if v}
    request.node.user_properties.append(("counts", {k: len(v) for k, v in found.items()}))
    if bad:
        lines = [f"[{gw.kind}] the gateway's log ({gw.log.path}) has "
                 + ", ".join(f"{len(v)} {k}" for k, v in bad.items())]
        for k, v in bad.items():
            lines.append(f"  {k}:")
            lines += [f"    {c}" for c in summarize_problems(v, limit=8)]
        causes = summarize_problems([r for v in bad.values() for r in v], limit=12)
        request.node.user_properties.append(("causes", causes))
        pytest.fail("\n".join(lines), pytrace=False)
