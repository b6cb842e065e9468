"""The machinery under the gateway tests: installing the gateway, its databases, starting it in a
network namespace of its own, talking HTTP to it over a unix socket, and reading its log.

Nothing here knows what the gateway should return; ``expect.py`` does.
"""

from __future__ import annotations

import fcntl
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import gatewayenv
from gatewayenv import GatewayUnavailable, Install

__all__ = ["GatewayUnavailable", "Install"]  # re-exported for the fixtures

# -- what is installed ---------------------------------------------------------------------------

# The release under test; installed (once, cached) by tests/gatewayenv.py like every release the
# drift tests read.
GATEWAY_VERSION = "1.1.0"

SPECGEN_ROOT = Path(__file__).resolve().parents[2]


def ensure_installed() -> Install:
    return gatewayenv.install(GATEWAY_VERSION)


# -- databases -----------------------------------------------------------------------------------

DB_PREFIX = "specgen_gw_"


class Database:
    """A fresh database for one gateway: created by the harness, dropped at the end."""

    kind = ""        # sqlite | postgres
    dialect = ""     # specgen's dialect name

    def __init__(self, tmp: Path):
        # The creation time in the name lets a later session drop what a killed one left behind.
        self.name = f"{DB_PREFIX}{int(time.time())}_{uuid.uuid4().hex[:8]}"
        self.tmp = tmp

    # SQL spellings that differ between the two.
    def ts(self, col: str) -> str:
        """A timestamp column as UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'."""
        raise NotImplementedError

    def hour(self, col: str) -> str:
        """A timestamp column's UTC hour as 'YYYY-MM-DD HH'."""
        raise NotImplementedError

    def ts_literal(self, dt) -> str:
        raise NotImplementedError

    def b(self, col: str) -> str:
        """A boolean column as 0/1 (NULL stays NULL)."""
        return f"CAST({col} AS INTEGER)"

    def rows(self, sql: str) -> list[tuple]:
        raise NotImplementedError


class SqliteDatabase(Database):
    kind, dialect = "sqlite", "sqlite"

    @classmethod
    def probe(cls):
        return None if shutil.which("sqlite3") else "the sqlite3 client is not installed (specgen loads through it)"

    @property
    def path(self) -> Path:
        return self.tmp / f"{self.name}.db"

    @property
    def specgen_url(self) -> str:
        return f"sqlite:///{self.path}"

    @property
    def gateway_url(self) -> str:
        return f"sqlite:///{self.path}"

    def create(self):
        pass

    def drop(self):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def ts(self, col):
        # The gateway (SQLAlchemy) and specgen both store 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC).
        return col

    def hour(self, col):
        return f"substr({col}, 1, 13)"

    def ts_literal(self, dt):
        return "'" + dt.strftime("%Y-%m-%d %H:%M:%S.%f") + "'"

    def rows(self, sql):
        import sqlite3

        con = sqlite3.connect(self.path, timeout=60)
        try:
            return [tuple(r) for r in con.execute(sql)]
        finally:
            con.close()


class PostgresDatabase(Database):
    kind, dialect = "postgres", "postgres"
    socket_dir = "/var/run/postgresql"
    conn = ["-X", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]

    @classmethod
    def probe(cls):
        if not shutil.which("psql"):
            return "the psql client is not installed"
        proc = subprocess.run(["psql", *cls.conn, "-d", "postgres", "-Atc", "SELECT 1"], capture_output=True)
        if proc.returncode != 0:
            return f"PostgreSQL not reachable on 127.0.0.1:5432: {proc.stderr.decode().strip()}"
        if not Path(cls.socket_dir).is_dir():
            return f"PostgreSQL's unix socket directory {cls.socket_dir} is missing (the gateway's namespace has no TCP)"
        return None

    @property
    def specgen_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:5432/{self.name}"

    @property
    def gateway_url(self) -> str:
        # Inside the gateway's network namespace only unix sockets reach the server.
        return f"postgresql+psycopg://postgres@/{self.name}?host={self.socket_dir}"

    def _psql(self, db: str, *args: str) -> subprocess.CompletedProcess:
        proc = subprocess.run(["psql", *self.conn, "-d", db, "-q", "-v", "ON_ERROR_STOP=1", *args],
                              capture_output=True, env={**os.environ, "PGTZ": "UTC"})
        if proc.returncode != 0:
            raise AssertionError(f"psql failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
        return proc

    def create(self):
        self._psql("postgres", "-c", f'CREATE DATABASE "{self.name}"')

    def drop(self):
        self._psql("postgres", "-c", f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    @classmethod
    def drop_stale(cls, older_than_s: float = 6 * 3600) -> None:
        """Drop this harness's databases left by sessions that were killed hours ago."""
        proc = subprocess.run(["psql", *cls.conn, "-d", "postgres", "-Atc",
                               f"SELECT datname FROM pg_database WHERE datname LIKE '{DB_PREFIX}%'"],
                              capture_output=True, text=True)
        for name in proc.stdout.split():
            m = re.fullmatch(rf"{DB_PREFIX}(\d+)_[0-9a-f]+", name)
            if m and time.time() - int(m.group(1)) > older_than_s:
                subprocess.run(["psql", *cls.conn, "-d", "postgres", "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                               capture_output=True)

    def ts(self, col):
        return f"to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"

    def hour(self, col):
        return f"to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"

    def ts_literal(self, dt):
        return "TIMESTAMPTZ '" + dt.strftime("%Y-%m-%d %H:%M:%S.%f") + "+00'"

    def rows(self, sql):
        out = self._psql(self.name, "-c", f"COPY ({sql}) TO STDOUT").stdout.decode()
        return [tuple(_copy_field(f) for f in line.split("\t")) for line in out.splitlines()]


_COPY_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def _copy_field(f: str):
    if f == "\\N":
        return None
    if "\\" not in f:
        return f
    return re.sub(r"\\(.)", lambda m: _COPY_ESCAPES.get(m.group(1), m.group(1)), f)


DATABASES = {"sqlite": SqliteDatabase, "postgres": PostgresDatabase}


def q(s) -> str:
    """A SQL string literal."""
    return "'" + str(s).replace("'", "''") + "'"


# -- running things in the gateway's environment -------------------------------------------------

def run_logged(args, *, env, cwd, log: Path, what: str, timeout=600) -> None:
    with open(log, "ab") as out:
        out.write(f"\n$ {' '.join(map(str, args))}\n".encode())
        out.flush()
        proc = subprocess.run(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise AssertionError(f"{what} failed ({proc.returncode}); last lines of {log}:\n{tail}")


# -- the gateway process -------------------------------------------------------------------------

# Inside `unshare --net` only: bring loopback up, insist it is the only interface, then become the
# gateway (exec keeps the PID), listening on a unix socket the test process reaches from outside.
_NAMESPACE_SCRIPT = r'''
"$1" link set lo up || exit 97
[ "$("$1" -o link show | wc -l)" -eq 1 ] || { echo "network namespace has more than loopback" >&2; exit 98; }
exec "$2" -m mcpgateway.cli --uds "$3"
'''

FILELOCK_NAME = "gateway_service_leader.lock"


def probe_namespace() -> str | None:
    if not shutil.which("unshare") or not shutil.which("ip"):
        return "unshare or ip (util-linux, iproute2) not installed: cannot give the gateway a network namespace"
    proc = subprocess.run(["unshare", "--net", "--", shutil.which("ip"), "link", "set", "lo", "up"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return f"cannot create a network namespace (unshare --net needs root or CAP_SYS_ADMIN): {proc.stderr.strip()}"
    return None


class GatewayProcess:
    """One gateway (uvicorn, one worker) in a network namespace with only loopback."""

    def __init__(self, install: Install, env: dict, run_dir: Path):
        self.install = install
        self.env = env
        self.run_dir = run_dir
        self.sock = run_dir / "gateway.sock"
        self.log = GatewayLog(run_dir / "gateway.log")
        self.proc: subprocess.Popen | None = None
        self._leader_lock = None

    def start(self, timeout: float = 120) -> None:
        # The gateway health-checks registered gateways from whichever worker holds this file lock
        # (in $TMPDIR). Holding it here means none of its workers ever runs a health check.
        tmp = Path(self.env["TMPDIR"])
        tmp.mkdir(parents=True, exist_ok=True)
        self._leader_lock = open(tmp / FILELOCK_NAME, "a")
        fcntl.flock(self._leader_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.sock.unlink(missing_ok=True)
        out = open(self.log.path, "ab")
        # setpriv --pdeathsig: should pytest itself be killed, the gateway gets SIGTERM too (the
        # setting survives the execs into unshare, sh and python).
        guard = ["setpriv", "--pdeathsig", "TERM", "--"] if shutil.which("setpriv") else []
        try:
            self.proc = subprocess.Popen(
                [*guard, "unshare", "--net", "--", "/bin/sh", "-c", _NAMESPACE_SCRIPT, "gateway",
                 shutil.which("ip"), self.install.python, str(self.sock)],
                env=self.env, cwd=self.run_dir, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        finally:
            out.close()
        deadline = time.monotonic() + timeout
        client = UnixClient(self.sock)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the gateway exited with {self.proc.returncode} while starting; "
                                     f"last lines of {self.log.path}:\n{self.log.tail(40)}")
            if self.sock.exists():
                try:
                    r = client.request("GET", "/health")
                    if r.status == 200:
                        client.close()
                        self._check_isolated()
                        return
                except OSError:
                    pass
            time.sleep(0.25)
        self.stop()
        raise AssertionError(f"the gateway did not answer /health within {timeout:.0f}s; "
                             f"last lines of {self.log.path}:\n{self.log.tail(40)}")

    def _check_isolated(self) -> None:
        """The process answering is the one started, in a network namespace other than ours."""
        try:
            theirs = os.readlink(f"/proc/{self.proc.pid}/ns/net")
            ours = os.readlink("/proc/self/ns/net")
        except OSError as e:
            self.stop()
            raise AssertionError(f"cannot read the gateway's network namespace: {e}") from None
        if theirs == ours:
            self.stop()
            raise AssertionError("the gateway runs in the test's own network namespace: refusing to go on")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL, to the gateway's process group (its own session: the gateway
        and the sandbox workers it forks); nothing else is signalled."""
        proc, self.proc = self.proc, None
        if proc is not None:
            pgid = proc.pid
            if proc.poll() is None:
                _signal_group(pgid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    _signal_group(pgid, signal.SIGKILL)
                    proc.wait(timeout=10)
            # Children that outlived it (same process group).
            _signal_group(pgid, signal.SIGKILL)
            for _ in range(50):
                if not _group_alive(pgid):
                    break
                time.sleep(0.1)
        if self._leader_lock is not None:
            self._leader_lock.close()
            self._leader_lock = None
        self.sock.unlink(missing_ok=True)


def _signal_group(pgid: int, sig) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


# -- HTTP over the unix socket --------------------------------------------------------------------

class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = str(path)

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self._path)
        self.sock = s


@dataclass
class Response:
    method: str
    path: str
    status: int
    body: bytes
    seconds: float = 0.0
    _json: object = field(default=None, repr=False)

    def json(self):
        if self._json is None:
            self._json = json.loads(self.body) if self.body else None
        return self._json

    def snippet(self, n: int = 400) -> str:
        text = self.body.decode("utf-8", "replace")
        return text if len(text) <= n else text[:n] + f"... ({len(text)} bytes)"


class UnixClient:
    """A keep-alive HTTP/1.1 client on the gateway's unix socket (the standard library only)."""

    def __init__(self, sock: Path, timeout: float = 120):
        self.sock = sock
        self.timeout = timeout
        self._conn: _UnixConnection | None = None

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, token: str | None = None, body=None,
                accept: str = "application/json") -> Response:
        headers = {"Accept": accept, "Host": "localhost"}
        data = None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = _UnixConnection(self.sock, self.timeout)
            t0 = time.monotonic()
            try:
                self._conn.request(method, path, body=data, headers=headers)
                r = self._conn.getresponse()
                payload = r.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest, http.client.ResponseNotReady):
                self.close()
                if attempt == 2:
                    raise
                continue
            if r.getheader("connection", "").lower() == "close":
                self.close()
            return Response(method, path, r.status, payload, time.monotonic() - t0)
        raise AssertionError("unreachable")


# -- the gateway's log ---------------------------------------------------------------------------

@dataclass
class LogRecord:
    level: str
    logger: str
    message: str
    exc: str = ""
    raw: str = ""

    @property
    def is_problem(self) -> bool:
        return self.level in ("ERROR", "CRITICAL") or bool(self.exc) or "Traceback" in self.message


_HEX_ID = re.compile(r"\b[0-9a-f]{32}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_PYD_URL = re.compile(r"\n?\s*For further information visit \S+")


class GatewayLog:
    """The gateway's stdout+stderr in a file: JSON records once its logging service is up, plain
    lines before that (and from uvicorn's own error output)."""

    def __init__(self, path: Path):
        self.path = path

    def offset(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def text(self, start: int = 0, end: int | None = None) -> str:
        try:
            with open(self.path, "rb") as f:
                f.seek(start)
                data = f.read() if end is None else f.read(max(end - start, 0))
        except FileNotFoundError:
            return ""
        return data.decode("utf-8", "replace")

    def tail(self, n: int) -> str:
        return "\n".join(line[:500] for line in self.text().splitlines()[-n:])

    def records(self, start: int = 0, end: int | None = None) -> list[LogRecord]:
        out: list[LogRecord] = []
        for line in self.text(start, end).splitlines():
            if not line.strip():
                continue
            if line.startswith("{"):
                try:
                    d = json.loads(line)
                except ValueError:
                    d = None
                if isinstance(d, dict):
                    out.append(LogRecord(d.get("levelname", ""), d.get("name", ""), str(d.get("message", "")),
                                         str(d.get("exc_info") or ""), line))
                    continue
            m = re.match(r"\S+ - (\S+) - (DEBUG|INFO|WARNING|ERROR|CRITICAL) - (.*)", line)
            if m:
                out.append(LogRecord(m.group(2), m.group(1), m.group(3), "", line))
            else:
                level = "ERROR" if line.startswith(("Traceback", "ERROR")) else ""
                out.append(LogRecord(level, "", line, "", line))
        return out


def describe(rec: LogRecord, width: int = 700) -> str:
    """One problem record, readable: level, logger, message (pydantic help links dropped), and
    the root exception and where it was raised in the gateway's code."""
    msg = _PYD_URL.sub("", rec.message).strip()
    site, frame = exception_site(rec.exc) if rec.exc else ("", "")
    if site and "validation error" in msg:
        site = ""  # the message already carries pydantic's field errors
    where = ", ".join(x for x in (site, frame and f"at {frame}") if x)
    text = f"{rec.level} {rec.logger}: {msg}" + (f"  <- {where}" if where else "")
    text = re.sub(r"\s*\n\s*", " | ", text)
    return text if len(text) <= width else text[:width] + " ..."


_EXC_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Warning|InvalidTag|InvalidToken|Invalid\w*)\b(: .*)?$")


def exception_site(exc: str) -> tuple[str, str]:
    """The root exception (the first one printed: a chain prints its cause first; pydantic's
    field errors with it) and the innermost frame inside mcpgateway (outside its middleware)
    above it."""
    lines = [ln.strip(" |+-") for ln in exc.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("For further information")]
    frame, site = "", ""
    for i, ln in enumerate(lines):
        m = re.match(r'File ".*/(mcpgateway/[^"]+)", line (\d+), in (\S+)', ln)
        if m and "/middleware/" not in m.group(1):
            frame = f"{m.group(1)}:{m.group(2)} {m.group(3)}"
        elif _EXC_LINE.match(ln) and not ln.startswith(("ExceptionGroup", "BaseExceptionGroup")):
            site = ln
            if "validation error" in ln:  # pydantic: the failing fields follow (loc, then message)
                detail = []
                for nxt in lines[i + 1:i + 7]:
                    if nxt.startswith(("File ", "Traceback", "The above", "During handling")):
                        break
                    detail.append(nxt)
                site += " | " + " | ".join(detail)
            break
    return site[:400], frame


def cause_key(rec: LogRecord) -> str:
    """What two records have in common when they fail for the same reason (ids and values out)."""
    site, frame = exception_site(rec.exc) if rec.exc else ("", "")
    text = f"{rec.level} {rec.logger}: {_PYD_URL.sub('', rec.message)} | {site} | {frame}"
    text = _HEX_ID.sub("<id>", text)
    text = re.sub(r"input_value=('[^']*'|\"[^\"]*\"|[^,\]]+)", "input_value=...", text)
    text = re.sub(r"\(([^()]*)\): ", "(<name>): ", text, count=1)
    text = re.sub(r"\btags\.\d+", "tags.N", text)
    text = re.sub(r"\d+ validation errors?", "N validation errors", text)
    parts = []
    for part in re.split(r"\s*(?:\||\n)\s*", text):  # pydantic repeats a line per failing field
        if part and part not in parts:
            parts.append(part)
    return re.sub(r"\s+", " ", " | ".join(parts)).strip()[:600]


def summarize_problems(records: list[LogRecord], limit: int = 6) -> list[str]:
    """Distinct problems among the records, most frequent first, each with a count and one full
    example."""
    groups: dict[str, list[LogRecord]] = {}
    for r in records:
        if r.is_problem:
            groups.setdefault(cause_key(r), []).append(r)
    lines = []
    for _key, recs in sorted(groups.items(), key=lambda kv: -len(kv[1]))[:limit]:
        lines.append(f"{len(recs)}x {describe(recs[0])}")
    if len(groups) > limit:
        lines.append(f"... and {len(groups) - limit} more distinct problems")
    return lines


def python_env_base() -> dict:
    """The minimum of the test's environment the gateway and its tools get (no DATABASE_URL,
    proxies or credentials of the caller)."""
    keep = ("PATH", "LANG", "LC_ALL", "TZ")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def specgen_cmd(*args: str) -> list[str]:
    """specgen's CLI from the test's own environment."""
    return [sys.executable, "-m", "specgen", *args]
