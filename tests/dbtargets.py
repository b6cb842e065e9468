"""The three databases tests load into: a fresh, uniquely named database per use, driven
through each server's own command-line client.

PostgreSQL (127.0.0.1:5432, user postgres) and MariaDB (127.0.0.1:3306, root) must be running:
with ``CI=true`` a missing server fails the tests that need it, elsewhere they are skipped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest


def unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: database tests must run)")
    pytest.skip(reason)


def make(name: str, where: Path) -> Target:
    """A created database of ``TARGETS[name]`` (its files under ``where``), or the test is skipped
    (failed under CI=true) when its server or client is missing; the caller drops it."""
    cls = TARGETS[name]
    reason = cls.probe()
    if reason:
        unavailable(reason)
    target = cls(where)
    target.create()
    return target


@contextlib.contextmanager
def fresh(name: str, where: Path):
    """``make``'s database for the block, dropped after it."""
    target = make(name, where)
    try:
        yield target
    finally:
        target.drop()


class Target:
    """A fresh database on one server, driven through its own command-line client."""

    dialect = ""

    def __init__(self, tmp: Path):
        self.name = f"specgen_test_{uuid.uuid4().hex[:10]}"
        self.tmp = tmp

    def run(self, args, *, input=None, cwd=None, check=True) -> subprocess.CompletedProcess:
        proc = subprocess.run(args, input=input, cwd=cwd, capture_output=True)
        if check and proc.returncode != 0:
            raise AssertionError(f"{args[0]} failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
        return proc

    def query(self, sql: str) -> list[list[str]]:
        out = self.run([*self.query_args(), sql]).stdout.decode()
        return [line.split("\t") for line in out.splitlines()]

    def execute(self, sql: str) -> None:
        """Run statements (no result wanted)."""
        self.run([*self.query_args(), sql])


class Server(Target):
    """A database server, reached with ``program`` and the connection arguments ``conn``."""

    program = ""
    title = ""
    conn: list[str] = []
    ping: list[str] = []  # the client's arguments that run SELECT 1

    @classmethod
    def probe(cls):
        if not shutil.which(cls.program):
            return f"the {cls.program} client is not installed"
        proc = subprocess.run([cls.program, *cls.conn, *cls.ping], capture_output=True)
        return None if proc.returncode == 0 else f"{cls.title} not reachable: {proc.stderr.decode().strip()}"


class Postgres(Server):
    dialect = "postgres"
    program, title = "psql", "PostgreSQL"
    conn = ["-X", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
    ping = ["-d", "postgres", "-Atc", "SELECT 1"]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:5432/{self.name}"

    def create(self):
        self.run(["psql", *self.conn, "-d", "postgres", "-qc", f'CREATE DATABASE "{self.name}"'])

    def drop(self):
        self.run(["psql", *self.conn, "-d", "postgres", "-qc", f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'])

    def client(self):
        return ["psql", *self.conn, "-q", "-v", "ON_ERROR_STOP=1", "-d", self.name]

    def load_dir(self, d: Path):
        self.run([*self.client(), "-f", "load.psql"], cwd=d)

    def query_args(self):
        return ["psql", *self.conn, "-d", self.name, "-At", "-F", "\t", "-c"]

    def script_numbers(self, path: Path) -> list[str]:
        return self.run(["psql", *self.conn, "-d", self.name, "-At", "-v", "ON_ERROR_STOP=1", "-f", str(path)]).stdout.decode().split()

    def canonical(self, col, kind):
        return {"int": f"{col}::text", "bool": f"CASE WHEN {col} THEN '1' ELSE '0' END", "float": f"{col}::text",
                "timestamp": f"EXTRACT(EPOCH FROM {col})::bigint::text", "date": f"({col} - DATE '1970-01-01')::text",
                "text": f"encode(convert_to({col}::text, 'UTF8'), 'hex')", "json": f"encode(convert_to({col}::text, 'UTF8'), 'hex')",
                "bytes": f"encode({col}, 'hex')"}[kind]

    def length(self, col):
        return f"length({col})"


class MariaDB(Server):
    dialect = "mysql"
    program, title = "mysql", "MariaDB"
    conn = ["-h", "127.0.0.1", "-P", "3306", "-uroot"]
    ping = ["-e", "SELECT 1"]

    @property
    def url(self) -> str:
        return f"mysql://root@127.0.0.1:3306/{self.name}"

    def create(self):
        self.run(["mysql", *self.conn, "-e", f"CREATE DATABASE `{self.name}`"])

    def drop(self):
        self.run(["mysql", *self.conn, "-e", f"DROP DATABASE IF EXISTS `{self.name}`"])

    def client(self):
        return ["mysql", *self.conn, "--local-infile=1", self.name]

    def load_dir(self, d: Path):
        self.run(self.client(), input=(d / "load.mysql.sql").read_bytes(), cwd=d)

    def query_args(self):
        return ["mysql", *self.conn, "-N", "-B", "--init-command=SET time_zone='+00:00'", self.name, "-e"]

    def script_numbers(self, path: Path) -> list[str]:
        return self.run(["mysql", *self.conn, "-N", "-B", self.name], input=path.read_bytes()).stdout.decode().split()

    def canonical(self, col, kind):
        return {"int": f"CAST({col} AS CHAR)", "bool": f"CAST({col} AS CHAR)", "float": f"CAST({col} AS CHAR)",
                "timestamp": f"CAST(UNIX_TIMESTAMP({col}) AS CHAR)", "date": f"CAST(DATEDIFF({col}, '1970-01-01') AS CHAR)",
                "text": f"LOWER(HEX({col}))", "json": f"LOWER(HEX({col}))", "bytes": f"LOWER(HEX({col}))"}[kind]

    def length(self, col):
        return f"CHAR_LENGTH({col})"


class Sqlite(Target):
    dialect = "sqlite"

    @classmethod
    def probe(cls):
        return None if shutil.which("sqlite3") else "the sqlite3 client is not installed"

    @property
    def path(self) -> Path:
        return self.tmp / f"{self.name}.db"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def create(self):
        pass

    def drop(self):
        self.path.unlink(missing_ok=True)

    def client(self):
        return ["sqlite3", "-bail", str(self.path)]

    def load_dir(self, d: Path):
        self.run(["sqlite3", str(self.path)], input=(d / "load.sqlite.sql").read_bytes(), cwd=d)

    def query_args(self):
        return ["sqlite3", "-batch", "-noheader", "-separator", "\t", str(self.path)]

    def query(self, sql: str) -> list[list[str]]:
        # Read back through the library, not the shell: the shell prints REALs with at most
        # 17 digits computed in long double, which is not always the stored double.
        import sqlite3

        con = sqlite3.connect(self.path, timeout=30)
        try:
            return [[str(v) for v in row] for row in con.execute(sql)]
        finally:
            con.close()

    def execute(self, sql: str) -> None:
        import sqlite3

        con = sqlite3.connect(self.path, isolation_level=None)
        try:
            con.executescript(sql)
        finally:
            con.close()

    def script_numbers(self, path: Path) -> list[str]:
        return self.run(["sqlite3", "-batch", "-noheader", str(self.path)], input=path.read_bytes()).stdout.decode().split()

    def canonical(self, col, kind):
        return {"int": f"CAST({col} AS TEXT)", "bool": f"CAST({col} AS TEXT)", "float": col,
                "timestamp": f"strftime('%s', {col})", "date": f"CAST(julianday({col}) - 2440587.5 AS INTEGER)",
                "text": f"lower(hex({col}))", "json": f"lower(hex({col}))", "bytes": f"lower(hex({col}))"}[kind]

    def length(self, col):
        return f"length({col})"


class Duckdb(Target):
    """A DuckDB file, through the duckdb CLI (PyPI duckdb-cli, installed beside the venv's python)."""

    dialect = "duckdb"

    @staticmethod
    def program() -> str:
        import sys

        beside = Path(sys.executable).parent / "duckdb"
        return shutil.which("duckdb") or str(beside)

    @classmethod
    def probe(cls):
        return None if Path(cls.program()).is_file() else "the duckdb client is not installed (pip install duckdb-cli)"

    @property
    def path(self) -> Path:
        return self.tmp / f"{self.name}.duckdb"

    @property
    def url(self) -> str:
        return f"duckdb:///{self.path}"

    def create(self):
        pass

    def drop(self):
        self.path.unlink(missing_ok=True)

    def client(self):
        return [self.program(), "-bail", str(self.path)]

    def load_dir(self, d: Path):
        self.run(self.client(), input=(d / "load.duckdb.sql").read_bytes(), cwd=d)

    def query_args(self):
        return [self.program(), "-batch", "-list", "-noheader", "-separator", "\t", "-nullvalue", "NULL", str(self.path), "-c"]

    def script_numbers(self, path: Path) -> list[str]:
        return self.run([self.program(), "-batch", "-list", "-noheader", str(self.path)], input=path.read_bytes()).stdout.decode().split()

    def canonical(self, col, kind):
        return {"int": f"CAST({col} AS VARCHAR)", "bool": f"CASE WHEN {col} THEN '1' ELSE '0' END",
                "float": f"CAST({col} AS VARCHAR)", "timestamp": f"CAST(EXTRACT(EPOCH FROM {col}) AS BIGINT)",
                "date": f"CAST({col} - DATE '1970-01-01' AS VARCHAR)",
                "text": f"lower(hex(CAST({col} AS VARCHAR)))", "json": f"lower(hex(CAST({col} AS VARCHAR)))",
                "bytes": f"lower(hex({col}))"}[kind]

    def length(self, col):
        return f"length({col})"


TARGETS = {"postgres": Postgres, "mysql": MariaDB, "sqlite": Sqlite, "duckdb": Duckdb}


# -- helpers the database tests share ---------------------------------------------------------------


def q(db: Target, name: str) -> str:
    """``name`` quoted for ``db``'s SQL."""
    return f"`{name}`" if db.dialect == "mysql" else f'"{name}"'


def tables_sql(db: Target) -> str:
    """A query listing the database's tables."""
    if db.dialect == "sqlite":
        return "SELECT name FROM sqlite_master WHERE type = 'table'"
    if db.dialect == "postgres":
        return "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    return "SHOW TABLES"


def ledger_marks(db: Target, ledger: str = "specgen_load_ledger") -> list[str] | None:
    """The load ledger's rows (None: no ledger table)."""
    if ledger not in [r[0] for r in db.query(tables_sql(db))]:
        return None
    return sorted(r[0] for r in db.query(f"SELECT {q(db, 'part')} FROM {q(db, ledger)}"))


def pipe_stdout(db: Target, *args: str) -> None:
    """``specgen compile ... --stdout | client``, as a user types it."""
    producer = subprocess.Popen([sys.executable, "-m", "specgen", "compile", *args, "--dialect", db.dialect, "--stdout"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    consumer = subprocess.run(db.client(), stdin=producer.stdout, capture_output=True)
    producer.stdout.close()
    err = producer.stderr.read().decode()
    assert producer.wait() == 0, err
    assert consumer.returncode == 0, consumer.stderr.decode()[-3000:]
