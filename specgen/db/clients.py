"""The databases' own command-line clients, driven as subprocesses: ``psql``, ``mysql``, ``sqlite3``.

specgen needs no database driver: loading uses the clients' bulk paths (``\\copy``,
``LOAD DATA LOCAL INFILE``, ``.import``) and queries read the clients' tab-separated output.
Connection secrets travel through the environment (``PGPASSWORD``) or a 0600 option file, never
through argv. Each client class names its program; a dialect profile's ``client:`` knob picks one
from ``CLIENTS``, so a new database is its profile, its templates and one class here. Scripts are
fed on stdin; a script may print marker lines (``MARKER <text>``) that
are reported as they arrive, which is how per-part progress and the resume ledger are followed.
"""

from __future__ import annotations

import functools
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from specgen.db.urls import DatabaseUrl, client_env, option_file
from specgen.errors import SpecgenError
from specgen.sql import dialect as dialects

MARKER = "@@specgen"
NULL = "\\N"


class ClientError(SpecgenError):
    """The database client reported an error (its message is kept, secrets are not)."""


# Client name (a dialect profile's ``client:``) -> class; filled by ``Client.__init_subclass__``.
CLIENTS: dict[str, type[Client]] = {}


def client_for(url: DatabaseUrl, cwd: Path | None = None) -> Client:
    name = dialects.load(url.dialect).client
    if name not in CLIENTS:
        raise SpecgenError(f"dialect '{url.dialect}' names no known client ('client: {name}'; known: "
                           f"{', '.join(sorted(CLIENTS))})")
    return CLIENTS[name](url, cwd)


class Client:
    """One database, reached through its command-line client."""

    program: str = ""  # the executable, and the name a dialect profile's ``client:`` gives

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.program:
            CLIENTS[cls.program] = cls

    def __init__(self, url: DatabaseUrl, cwd: Path | None = None):
        self.url = url
        self.cwd = cwd

    # subclasses: argv, env and the statement that prints a marker
    def argv(self, stack: ExitStack, query: bool) -> list[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def command(self, stack: ExitStack, query: bool) -> tuple[list[str], tuple[int, ...]]:
        """argv and the file descriptors the client must inherit (``pass_fds``)."""
        return self.argv(stack, query), ()

    def env(self) -> dict[str, str]:
        return client_env(self.url)

    def marker(self, text: str) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def which(self) -> str:
        path = shutil.which(self.program)
        if path is None:
            raise SpecgenError(f"'{self.program}' not found on PATH: install the {self.url.dialect} client")
        return path

    def run_script(self, script: str, on_marker: Callable[[str], None] | None = None, tabular: bool = False) -> str:
        """Run a script; call ``on_marker`` for each marker line as it arrives; return other output
        (tab-separated rows when ``tabular``)."""
        with ExitStack() as stack:
            argv, fds = self.command(stack, query=tabular)
            proc = started(subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, cwd=self.cwd, env=self.env(), text=True,
                                            bufsize=1, pass_fds=fds))
            stack.callback(ended, proc)
            stack.callback(lambda: proc.poll() is None and proc.kill())  # left early (an exception)
            err_chunks: list[str] = []
            t = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()), daemon=True)
            t.start()
            writer = threading.Thread(target=_feed, args=(proc, script), daemon=True)
            writer.start()
            out = []
            for line in proc.stdout:
                line = line.rstrip("\n")
                if line.startswith(MARKER):
                    if on_marker:
                        on_marker(line[len(MARKER):].strip())
                else:
                    out.append(line)
            rc = proc.wait()
            writer.join()
            t.join()
            err = "".join(err_chunks)
            if rc != 0 or self.failed(err):
                raise ClientError(f"{self.program} failed on {self.url.redacted()}: {self.clean(err) or f'exit code {rc}'}")
            return "\n".join(out)

    def failed(self, stderr: str) -> bool:
        return False

    def prepare(self) -> None:
        """Anything needed before the first connection (a directory for a database file)."""

    def missing_database(self, error: ClientError) -> bool:
        """Whether ``error`` says the database does not exist (so it can be created)."""
        return False

    def transient(self, error: ClientError) -> bool:
        """Whether the database rolled the transaction back for another's sake (a deadlock
        victim, a lock wait that timed out): the same work, tried again, can succeed."""
        return False

    def session_preamble(self) -> str:
        """Client commands a long-lived loading session starts with (not SQL)."""
        return ""

    def query_many(self, statements: list[str], prefix: str = "") -> list[list[str | None]]:
        """The one row each statement returns, all in one client session, in order."""
        script = prefix + "".join(sql if sql.rstrip().endswith(";") else sql + ";\n" for sql in statements)
        out = self.run_script(script + "\n", tabular=True)
        lines = [line for line in out.splitlines() if line != ""]
        if len(lines) != len(statements):
            raise ClientError(f"expected {len(statements)} result rows from {self.program}, got {len(lines)}")
        return [[None if v in (NULL, "NULL") else v for v in line.split("\t")] for line in lines]

    def clean(self, stderr: str) -> str:
        text = stderr.strip()
        if self.url.password:
            text = text.replace(self.url.password, "***")
        return text

    def query(self, sql: str) -> list[list[str | None]]:
        """Rows of one query, values as text, NULL as None."""
        with ExitStack() as stack:
            argv, fds = self.command(stack, query=True)
            proc = subprocess.run(argv, input=sql, capture_output=True, text=True, cwd=self.cwd, env=self.env(),
                                  pass_fds=fds)
        if proc.returncode != 0 or self.failed(proc.stderr):
            raise ClientError(f"{self.program} failed on {self.url.redacted()}: {self.clean(proc.stderr)}")
        rows = []
        for line in proc.stdout.splitlines():
            if line == "":
                continue
            rows.append([None if v in (NULL, "NULL") else v for v in line.split("\t")])
        return rows



# Client processes running now: a command stopped by a signal ends them (``end_sessions``) rather
# than leave a session working on in the database after specgen has gone.
_live: set = set()
_live_lock = threading.Lock()


def started(proc: subprocess.Popen) -> subprocess.Popen:
    with _live_lock:
        _live.add(proc)
    return proc


def ended(proc: subprocess.Popen) -> None:
    with _live_lock:
        _live.discard(proc)


def end_sessions() -> None:
    """Terminate every client process still running (the server rolls back their transactions)."""
    with _live_lock:
        procs = list(_live)
        _live.clear()
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _feed(proc: subprocess.Popen, script: str) -> None:
    try:
        proc.stdin.write(script)
        proc.stdin.close()
    except BrokenPipeError:  # the client stopped early (an error); its exit code tells
        pass


class PsqlClient(Client):
    program = "psql"

    def argv(self, stack, query):
        args = [self.which(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"]
        if query:
            args += ["-A", "-t", "-F", "\t", "-P", f"null={NULL}"]
        return args

    def marker(self, text):
        return f"\\echo {MARKER} {text}"

    def missing_database(self, error):
        return "does not exist" in str(error)

    def transient(self, error):
        return "deadlock detected" in str(error)


class MysqlClient(Client):
    program = "mysql"

    def command(self, stack, query):
        # The option file (with the password) is a pipe the client inherits: see dburl.option_file.
        cnf, fd = stack.enter_context(option_file(self.url))
        # --defaults-extra-file must come first; --batch gives tab-separated output;
        # --unbuffered: flush after each statement, or marker lines would wait for the end.
        args = [self.which(), f"--defaults-extra-file={cnf}", "--local-infile=1", "--batch", "--unbuffered",
                "--skip-column-names", "--default-character-set=utf8mb4", self.url.database]
        if query:
            args.insert(-1, "--raw")
        return args, (fd,)

    def env(self):
        env = client_env(self.url)
        env.pop("MYSQL_PWD", None)
        return env

    def marker(self, text):
        return f"SELECT '{MARKER} {text}';"

    def missing_database(self, error):
        return "Unknown database" in str(error)

    def transient(self, error):
        # ERROR 1213 (40001) Deadlock found...; ERROR 1205 Lock wait timeout exceeded
        return "ERROR 1213" in str(error) or "ERROR 1205" in str(error)


class SqliteClient(Client):
    """``sqlite3`` CLI when installed; Python's sqlite3 module for queries (and where the CLI is absent)."""

    program = "sqlite3"

    def argv(self, stack, query):
        return [self.which(), "-bail", "-batch", "-noheader", "-separator", "\t", "-nullvalue", NULL,
                self.url.database]

    def marker(self, text):
        return f".print {MARKER} {text}"

    def failed(self, stderr):
        # sqlite3 -bail stops at the first error, but .import problems are reported as text.
        return "Error" in stderr or "error:" in stderr

    def prepare(self) -> None:
        Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)

    def session_preamble(self) -> str:
        # Wait for a concurrent reader (the gateway, a monitor) instead of failing with
        # "database is locked" at COMMIT.
        return ".timeout 30000\n"

    def run_script(self, script, on_marker=None, tabular=False):
        if on_marker is None and not tabular and not any(line.startswith(".") for line in script.splitlines()):
            self.execute(script)  # plain SQL: in-process, no client start-up
            return ""
        return super().run_script(script, on_marker, tabular)

    def query_many(self, statements, prefix=""):
        """In-process, with REGEXP from Python (see query). Statements that call REGEXP run on a
        second connection in a thread: their per-row callbacks hold Python's lock, while SQLite
        scans the others with it released."""
        calls = [i for i, sql in enumerate(statements) if "REGEXP" in sql]
        if not calls or len(calls) == len(statements):
            return self._query_all(statements)
        import threading

        other: list = []

        def run() -> None:
            try:
                other.append(self._query_all([statements[i] for i in calls]))
            except BaseException as exc:  # noqa: BLE001 - raised below
                other.append(exc)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            answered_there = set(calls)
            rest = iter(self._query_all([sql for i, sql in enumerate(statements) if i not in answered_there]))
        finally:
            thread.join()
        if isinstance(other[0], BaseException):
            raise other[0]
        answered = dict(zip(calls, other[0], strict=True))
        return [answered[i] if i in answered else next(rest) for i in range(len(statements))]

    def _query_all(self, statements) -> list:
        con = self._connect()
        try:
            return [self._fetch(con, sql.rstrip().rstrip(";"))[0] for sql in statements]
        finally:
            con.close()

    def execute(self, sql: str) -> None:
        """Run SQL statements in-process (no dot-commands): DDL, ledger and fix-ups need no CLI."""
        con = sqlite3.connect(self.url.database, isolation_level=None, timeout=30)
        try:
            con.executescript(sql)
        except sqlite3.Error as exc:
            raise ClientError(f"sqlite3 failed on {self.url.redacted()}: {exc}") from None
        finally:
            con.close()

    def query(self, sql):
        con = self._connect()
        try:
            return self._fetch(con, sql)
        finally:
            con.close()

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.url.database, timeout=30)
        con.create_function("REGEXP", 2, _regexp, deterministic=True)
        return con

    def _fetch(self, con: sqlite3.Connection, sql: str) -> list[list[str | None]]:
        try:
            rows = con.execute(sql).fetchall()
        except sqlite3.Error as exc:
            raise ClientError(f"sqlite3 failed on {self.url.redacted()}: {exc}") from None
        return [[None if v is None else _text(v) for v in row] for row in rows]


def _regexp(pattern, value):
    # SQLite evaluates "value REGEXP pattern" as regexp(pattern, value).
    return None if pattern is None or value is None else _search(pattern)(value) is not None


@functools.cache
def _search(pattern: str):
    return re.compile(pattern).search


def _text(v) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return repr(v)
    return str(v)


class DuckdbClient(Client):
    """The ``duckdb`` CLI (PyPI: duckdb-cli) on a database file; its shell reads the sqlite3
    shell's dot-commands, so markers and tab-separated output work the same way."""

    program = "duckdb"

    def which(self) -> str:
        # pip puts duckdb-cli's binary beside specgen's own scripts, which need not be on PATH.
        beside = Path(sys.executable).parent / self.program
        return shutil.which(self.program) or (str(beside) if beside.is_file() else super().which())

    def argv(self, stack, query):
        return [self.which(), "-bail", "-batch", "-list", "-noheader", "-separator", "\t", "-nullvalue", NULL,
                self.url.database]

    def marker(self, text):
        return f".print {MARKER} {text}"

    def prepare(self) -> None:
        Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
