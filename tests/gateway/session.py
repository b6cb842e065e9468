"""Setting up one gateway on one loaded database, shared by the `small` and the `medium` tests:
a fresh database -> the gateway's own schema (`alembic upgrade head`) -> `specgen compile` +
`specgen load --existing-schema --truncate` -> the gateway in a network namespace of its own,
listening on a unix socket -> the tables read back for the expected results (after the gateway's
start-up bootstrap wrote its rows) -> a session token for each of the three users.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import expect
from .expect import ROLES
from .harness import (
    DATABASES,
    FILELOCK_NAME,
    SPECGEN_ROOT,
    GatewayProcess,
    Install,
    Response,
    UnixClient,
    python_env_base,
    run_logged,
    specgen_cmd,
    summarize_problems,
)

# Nothing may leave the machine: proxies point here (nothing listens in the namespace).
CLOSED_PROXY = "http://127.0.0.1:9"


@dataclass(frozen=True)
class Secrets:
    """Generated per test session; they travel in environments only, never on a command line."""

    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    encryption_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    admin_email: str = "harness-admin@example.com"
    admin_password: str = field(default_factory=lambda: "Hx9!" + secrets.token_urlsafe(24))
    default_password: str = field(default_factory=lambda: "Dp7#" + secrets.token_urlsafe(12))


@dataclass
class GatewaySession:
    """One running gateway on one loaded database, and what the tests need to talk to it."""

    kind: str
    db: object
    install: Install
    proc: GatewayProcess
    client: UnixClient
    secrets: Secrets
    snapshot: expect.Snapshot
    viewers: dict = field(default_factory=dict)     # role -> Viewer
    missing: dict = field(default_factory=dict)     # role -> why there is no such user
    tokens: dict = field(default_factory=dict)      # role -> session token
    login: Response | None = None                   # the platform admin's POST /v1/auth/email/login
    timings: dict = field(default_factory=dict)
    startup_problems: list = field(default_factory=list)
    settle_log: bool = False                        # the last case got a 5xx (its traceback may trail)
    first_page_only: bool = False                   # lists: the first page only (big profiles)

    @property
    def log(self):
        return self.proc.log


def gateway_env(install: Install, sec: Secrets, db, run_dir: Path) -> dict:
    """The gateway's whole environment (also used for its alembic and its JWT helper)."""
    env = python_env_base()
    env.update({
        "HOME": str(run_dir / "home"),
        "TMPDIR": str(run_dir / "tmp"),
        "DATABASE_URL": db.gateway_url,
        "JWT_SECRET_KEY": sec.jwt_secret,
        "AUTH_ENCRYPTION_SECRET": sec.encryption_secret,
        "PLATFORM_ADMIN_EMAIL": sec.admin_email,
        "PLATFORM_ADMIN_PASSWORD": sec.admin_password,
        "DEFAULT_USER_PASSWORD": sec.default_password,
        "TOKEN_EXPIRY": "240",
        # Nothing reaches out (besides the namespace, which has no route anywhere).
        "HEALTH_CHECK_INTERVAL": "86400",
        "FILELOCK_NAME": FILELOCK_NAME,          # held by the harness: no worker runs health checks
        "MCPGATEWAY_CATALOG_ENABLED": "false",
        "MCPGATEWAY_CATALOG_AUTO_HEALTH_CHECK": "false",
        "AUTO_REFRESH_SERVERS": "false",
        "PLUGINS_ENABLED": "false",
        "OBSERVABILITY_ENABLED": "false",
        "OTEL_ENABLE_OBSERVABILITY": "false",
        "SSO_ENABLED": "false",
        "CACHE_TYPE": "memory",
        "HTTP_PROXY": CLOSED_PROXY, "HTTPS_PROXY": CLOSED_PROXY, "ALL_PROXY": CLOSED_PROXY,
        "http_proxy": CLOSED_PROXY, "https_proxy": CLOSED_PROXY, "all_proxy": CLOSED_PROXY,
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        # No DNS in the namespace: let the create test register a tool URL it cannot resolve.
        "SSRF_DNS_FAIL_CLOSED": "false",
        # The API under test.
        "MCPGATEWAY_ADMIN_API_ENABLED": "true",
        "MCPGATEWAY_UI_ENABLED": "false",
        "RATE_LIMITING_ENABLED": "false",
        # Keep the database as specgen wrote it while it is read: the rollup job would roll up and
        # delete raw metric rows at start, the cleanup job delete raw rows older than 7 days.
        "METRICS_ROLLUP_ENABLED": "false",
        "METRICS_CLEANUP_ENABLED": "false",
        # Nor record the test's own calls (prompt renders, resource reads): those rows reach the
        # database on a buffer flush while /v1/metrics answers from a cache, so its totals would
        # race the SQL that checks them.
        "DB_METRICS_RECORDING_ENABLED": "false",
        "LOG_LEVEL": "INFO",
    })
    return env


_MINT = r"""
import asyncio, json, sys, uuid
from datetime import datetime, timedelta, timezone
from mcpgateway.config import settings
from mcpgateway.utils.create_jwt_token import create_jwt_token

async def main():
    out = {}
    for u in json.load(sys.stdin):
        # The payload of routers/email_auth.py create_access_token: what POST /auth/email/login
        # returns for this user, signed by the gateway's own helper.
        now = datetime.now(tz=timezone.utc)
        iat = int(now.timestamp())
        out[u["id"]] = await create_jwt_token({
            "sub": u["id"], "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "iat": iat,
            "exp": int((now + timedelta(minutes=settings.token_expiry)).timestamp()),
            "jti": str(uuid.uuid4()), "last_activity": iat,
            "auth_provider": u["auth_provider"], "token_use": "session",
            "scopes": {"server_id": None, "permissions": ["*"], "ip_restrictions": [], "time_restrictions": {}},
        })
    json.dump(out, sys.stdout)

asyncio.run(main())
"""


def mint_session_tokens(install: Install, env: dict, run_dir: Path, users: list[dict]) -> dict:
    proc = subprocess.run([install.python, "-c", _MINT], input=json.dumps(users), capture_output=True,
                          text=True, env=env, cwd=run_dir)
    if proc.returncode != 0:
        raise AssertionError(f"minting session tokens with mcpgateway.utils.create_jwt_token failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


@dataclass
class Prepared:
    """A database with the gateway's schema and specgen's data in it (no gateway yet)."""

    kind: str
    db: object
    run_dir: Path
    env: dict
    timings: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Load:
    """What specgen puts into the gateway's database, and how."""

    profile: str = "small"
    as_of: str | None = None      # --as-of (None: the profile's fixed window)
    jobs: int = 1                 # specgen load/verify --jobs
    verify: bool = False          # also `specgen verify` the load (as `specgen generate` does)


def prepare_database(kind: str, install: Install, sec: Secrets, run_dir: Path, load: Load = Load()) -> Prepared:
    """A fresh database -> the gateway's alembic upgrade head -> specgen compile + load."""
    db = DATABASES[kind](run_dir)
    prep = Prepared(kind, db, run_dir, gateway_env(install, sec, db, run_dir))
    db.create()
    try:
        _fill(prep, install, sec, load)
    except BaseException:
        db.drop()
        raise
    return prep


def _fill(prep: Prepared, install: Install, sec: Secrets, load: Load) -> None:
    kind, db, run_dir = prep.kind, prep.db, prep.run_dir
    t = time.monotonic()
    run_logged([install.python, "-m", "alembic", "-c", str(install.alembic_ini), "upgrade", "head"],
               env=prep.env, cwd=run_dir, log=run_dir / "alembic.log", what=f"the gateway's alembic upgrade head on {kind}")
    prep.timings["alembic"] = round(time.monotonic() - t, 1)
    sg_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    sg_env["AUTH_ENCRYPTION_SECRET"] = sec.encryption_secret
    dump = run_dir / "dump"
    log = run_dir / "specgen.log"
    as_of = ("--as-of", load.as_of) if load.as_of else ()
    jobs = ("--jobs", str(load.jobs))
    t = time.monotonic()
    run_logged(specgen_cmd("compile", "--specs", str(SPECGEN_ROOT / "specs"), "--profile", load.profile, *as_of,
                           "--dialect", db.dialect, "--out", str(dump)),
               env=sg_env, cwd=run_dir, log=log, what=f"specgen compile --profile {load.profile}", timeout=3600)
    prep.timings["compile"] = round(time.monotonic() - t, 1)
    t = time.monotonic()
    # --truncate: alembic seeds rows of its own (roles: platform_viewer) in tables specgen may fill.
    run_logged(specgen_cmd("load", str(dump), "--url", db.specgen_url, "--existing-schema", "--truncate", *jobs),
               env=sg_env, cwd=run_dir, log=log, what=f"specgen load --existing-schema into {kind}", timeout=4 * 3600)
    prep.timings["load"] = round(time.monotonic() - t, 1)
    if load.verify:
        t = time.monotonic()
        run_logged(specgen_cmd("verify", str(dump), "--url", db.specgen_url, *jobs,
                               "--report", str(run_dir / "verify-report.json")),
                   env=sg_env, cwd=run_dir, log=log, what=f"specgen verify of the {load.profile} load", timeout=3600)
        prep.timings["verify"] = round(time.monotonic() - t, 1)
    # The gateway reads the database, not the files: a big dump need not outlive the load.
    shutil.rmtree(dump, ignore_errors=True)
    prep.timings["specgen"] = round(sum(prep.timings.get(k, 0) for k in ("compile", "load", "verify")), 1)


@contextmanager
def running_gateway(prep: Prepared, install: Install, sec: Secrets, first_page_only: bool = False,
                    start_timeout: float = 120):
    """The gateway started on a prepared database, with the snapshot the expectations come from and
    a session token per user; stopped on exit."""
    kind = prep.kind
    proc = None
    client = None
    try:
        t = time.monotonic()
        proc = GatewayProcess(install, prep.env, prep.run_dir)
        started_at = proc.log.offset()
        proc.start(start_timeout)
        prep.timings["gateway_start"] = round(time.monotonic() - t, 1)
        client = UnixClient(proc.sock)

        t = time.monotonic()
        snap = expect.Snapshot.read(prep.db)
        prep.timings["snapshot"] = round(time.monotonic() - t, 1)
        session = GatewaySession(kind, prep.db, install, proc, client, sec, snap, timings=prep.timings,
                                 first_page_only=first_page_only)
        session.startup_problems = summarize_problems(proc.log.records(started_at), limit=8)
        picked = expect.pick_generated_users(snap, sec.admin_email)
        emails = {"platform_admin": sec.admin_email, **picked}
        for role in ROLES:
            if emails.get(role) is None:
                session.missing[role] = {"admin": "no generated user with is_admin, is_active and no password change required",
                                         "member": "no generated non-admin user (active, no password change required) "
                                                   "with active memberships in 3 or more active teams"}[role]
                continue
            try:
                session.viewers[role] = expect.make_viewer(snap, role, emails[role])
            except LookupError as e:
                session.missing[role] = "\n".join([f"{e}: the gateway's start-up bootstrap did not create it; "
                                                    f"problems in its start-up log ({proc.log.path}):",
                                                    *[f"    {c}" for c in session.startup_problems]])

        # The platform admin logs in with its password; generated users' password hashes hide
        # no known password, so they get the session token login would give them.
        if "platform_admin" in session.viewers:
            session.login = client.request("POST", "/v1/auth/email/login",
                                           body={"email": sec.admin_email, "password": sec.admin_password})
        logged_in = session.login is not None and session.login.status == 200
        to_mint = [{"id": v.user_id, "auth_provider": v.auth_provider} for role, v in session.viewers.items()
                   if not (role == "platform_admin" and logged_in)]
        minted = mint_session_tokens(install, prep.env, prep.run_dir, to_mint) if to_mint else {}
        for role, v in session.viewers.items():
            session.tokens[role] = session.login.json()["access_token"] if role == "platform_admin" and logged_in \
                else minted[v.user_id]
        yield session
    finally:
        if client is not None:
            client.close()
        if proc is not None:
            proc.stop()


def sigterm_unwinds() -> None:
    """A SIGTERM to pytest unwinds like ^C from here on, so that gateways are stopped and
    databases dropped by the fixtures' own clean-up."""
    signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")
