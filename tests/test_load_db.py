"""Compile output loaded by the real clients into the real servers.

For each dialect: ``specgen compile --stdout`` piped into the client, and the directory output
loaded by its own load script, on a fresh database each time; row counts must equal the plan,
every query of ``verify.sql`` must return its expected number, and a round trip reads every
value back (canonicalised in SQL: epoch seconds, hex of the UTF-8 text, shortest floats) and
compares it with the generated arrays.

PostgreSQL (127.0.0.1:5432, user postgres) and MariaDB (127.0.0.1:3306, root) must be running:
with ``CI=true`` a missing server fails these tests, elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from conftest import SHOP, write_spec_set
from specgen import api, engine

pytestmark = pytest.mark.db

NASTY = ["", "plain", 'say "hi"', "it's", "C:\\path\\", "tab\there", "a\rb", "a\nb", "a\r\nb", "é中🎉 ü",
         "\\N", "\\\\N", "N", "NULL", "a,b", "\\.", "trailing\\", "  spaced  ", "semi;colon", "\\Nx"]

VALUES_SPEC = {
    "table": "vals",
    "rows": 3000,
    "primary_key": ["id"],
    "columns": {
        "id": {"type": "bigint", "gen": "sequence"},
        "txt": {"type": "text", "nullable": True, "null_rate": 0.15, "gen": {"categorical": {"values": NASTY}}},
        "word": {"type": "varchar(80)", "default": "it's", "gen": {"template": {"text": "{w|title} {_index}", "parts": {"w": {"pool": "words"}}}}},
        "flag": {"type": "boolean", "nullable": True, "null_rate": 0.2, "default": True, "gen": {"bernoulli": 0.5}},
        "big": {"type": "bigint", "gen": {"categorical": {"values": [0, -1, 9223372036854775807, -9223372036854775808, 42]}}},
        "small": {"type": "integer", "nullable": True, "null_rate": 0.1, "default": -1, "gen": {"uniform": {"min": -1000, "max": 1000}}},
        "ratio": {"type": "double", "gen": {"lognormal": {"median": 10.0, "sigma": 2.0}}},
        "edge": {"type": "double", "gen": {"categorical": {"values": [0.1, 1.0e+20, -2.5, 0.3333333333333333, -0.0,
                                                                      1.7976931348623157e+308, 5.0e-324]}}},
        "at": {"type": "timestamptz", "gen": {"timestamp": {"recency": {"half_life_days": 5}}}},
        "day": {"type": "date", "nullable": True, "null_rate": 0.3, "gen": {"timestamp": {}}},
        "doc": {"type": "json", "default": {"a": [1, "x"]}, "gen": {"json": {"object": {"txt": {"ref": "txt"}, "n": {"uniform": {"min": 0, "max": 9}},
                                                            "w": {"pool": "words"}}}}},
        "blob": {"type": "blob", "nullable": True, "null_rate": 0.1, "gen": {"hex": {"length": 16}}},
        "status": {"type": "varchar(10)", "nullable": True, "null_rate": 0.25,
                   "gen": {"categorical": {"values": ["new", "old", "it's"]}}},
        "empty_col": {"type": "text", "nullable": True},
    },
    "checks": [{"name": "ck_vals_status", "column": "status", "in": ["new", "old", "it's"]}],
    "indexes": [{"name": "ix_vals_small", "columns": ["small"], "where": "small IS NOT NULL"}],
}
KIDS_SPEC = {
    "table": "kids",
    "parent": {"table": "vals", "count": {"dist": "uniform", "min": 0, "max": 2, "mean": 1}},
    "primary_key": ["id"],
    "columns": {
        "id": {"type": "bigint", "gen": "sequence"},
        "vals_id": {"type": "bigint", "references": "vals.id", "on_delete": "cascade", "gen": {"ref": "parent.id"}},
        "n": {"type": "integer", "gen": {"ordinal": {"start": 1}}},
    },
    "unique": [["vals_id", "n"]],
}
NONE_SPEC = {"table": "nothing", "rows": 0, "columns": {"id": {"type": "bigint", "gen": "sequence"}}}


@pytest.fixture(scope="module")
def values_specs(tmp_path_factory):
    files = {name: yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
             for name, doc in (("vals.yaml", VALUES_SPEC), ("kids.yaml", KIDS_SPEC), ("nothing.yaml", NONE_SPEC))}
    return write_spec_set(tmp_path_factory.mktemp("values"), files)


# -- the three databases --------------------------------------------------------------------------


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: database tests must run)")
    pytest.skip(reason)


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


class Postgres(Target):
    dialect = "postgres"
    conn = ["-X", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:5432/{self.name}"

    @classmethod
    def probe(cls):
        if not shutil.which("psql"):
            return "psql is not installed"
        proc = subprocess.run(["psql", *cls.conn, "-d", "postgres", "-Atc", "SELECT 1"], capture_output=True)
        return None if proc.returncode == 0 else f"PostgreSQL not reachable: {proc.stderr.decode().strip()}"

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


class MariaDB(Target):
    dialect = "mysql"
    conn = ["-h", "127.0.0.1", "-P", "3306", "-uroot"]

    @property
    def url(self) -> str:
        return f"mysql://root@127.0.0.1:3306/{self.name}"

    @classmethod
    def probe(cls):
        if not shutil.which("mysql"):
            return "the mysql client is not installed"
        proc = subprocess.run(["mysql", *cls.conn, "-e", "SELECT 1"], capture_output=True)
        return None if proc.returncode == 0 else f"MariaDB not reachable: {proc.stderr.decode().strip()}"

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

        with sqlite3.connect(self.path) as con:
            return [[str(v) for v in row] for row in con.execute(sql)]

    def script_numbers(self, path: Path) -> list[str]:
        return self.run(["sqlite3", "-batch", "-noheader", str(self.path)], input=path.read_bytes()).stdout.decode().split()

    def canonical(self, col, kind):
        return {"int": f"CAST({col} AS TEXT)", "bool": f"CAST({col} AS TEXT)", "float": col,
                "timestamp": f"strftime('%s', {col})", "date": f"CAST(julianday({col}) - 2440587.5 AS INTEGER)",
                "text": f"lower(hex({col}))", "json": f"lower(hex({col}))", "bytes": f"lower(hex({col}))"}[kind]

    def length(self, col):
        return f"length({col})"


TARGETS = {"postgres": Postgres, "mysql": MariaDB, "sqlite": Sqlite}


@pytest.fixture(params=list(TARGETS))
def db(request, tmp_path):
    cls = TARGETS[request.param]
    reason = cls.probe()
    if reason:
        _unavailable(reason)
    target = cls(tmp_path)
    target.create()
    try:
        yield target
    finally:
        target.drop()


# -- helpers --------------------------------------------------------------------------------------


def pipe_stdout(db: Target, *args: str):
    """``specgen compile ... --stdout | client``, as a user types it."""
    producer = subprocess.Popen([sys.executable, "-m", "specgen", "compile", *args, "--dialect", db.dialect, "--stdout"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    consumer = subprocess.run(db.client(), stdin=producer.stdout, capture_output=True)
    producer.stdout.close()
    err = producer.stderr.read().decode()
    assert producer.wait() == 0, err
    assert consumer.returncode == 0, consumer.stderr.decode()[-3000:]


def counts(db: Target, tables) -> dict[str, int]:
    return {t: int(db.query(f"SELECT COUNT(*) FROM {_q(db, t)}")[0][0]) for t in tables}


def _q(db: Target, name: str) -> str:
    return f"`{name}`" if db.dialect == "mysql" else f'"{name}"'


def verify_results(db: Target, out: Path) -> list[tuple[str, object, object]]:
    """(check, expected, actual) for every check of verify.sql, run by specgen verify."""
    checks = api.verify(out, db.url)
    assert checks
    return [(c.name, c.expected, c.actual if c.ok else ("FAIL", c.actual)) for c in checks]


def round_trip(db: Target, plan, table: str, *, bytes_as_text: bool = False) -> int:
    """Read every value back, canonicalised in SQL, and compare with the generated columns."""
    chunk = engine.generate(plan, table)
    spec = plan.model.tables[table]
    selects = []
    for c in spec.stored:
        kind = "text" if (c.kind == "bytes" and bytes_as_text) else c.kind
        selects.append(f"CASE WHEN {_q(db, c.name)} IS NULL THEN 'NULL' ELSE {db.canonical(_q(db, c.name), kind)} END")
    rows = db.query(f"SELECT {', '.join(selects)} FROM {_q(db, table)} ORDER BY {_q(db, table)}.{_q(db, spec.primary_key[0])}")
    assert len(rows) == plan.rows[table]
    checked = 0
    for j, c in enumerate(spec.stored):
        col = chunk.columns[c.name]
        got = [r[j] for r in rows]
        nulls = col.null_mask()
        values = col.values.to_list() if hasattr(col.values, "to_list") else col.values.tolist()
        for i, (g, v, null) in enumerate(zip(got, values, nulls, strict=True)):
            if null:
                assert g == "NULL", (c.name, i, g)
                continue
            if c.kind == "float":
                ok = float(g) == v
            elif c.kind in ("int", "bool", "timestamp", "date"):
                ok = int(g.split(".")[0]) == int(v)
            elif c.kind == "bytes" and bytes_as_text:
                ok = bytes.fromhex(g).decode() == v
            elif c.kind == "bytes":
                ok = g == v
            else:
                ok = bytes.fromhex(g).decode("utf-8") == v
            assert ok, (db.dialect, table, c.name, i, g, v)
            checked += 1
    return checked


# -- tests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["native", "sql"])
def test_stdout_stream_piped_into_the_client(db, fmt):
    pipe_stdout(db, "--specs", str(SHOP), "--profile", "tiny", "--workers", "1", *(["--format", "sql"] if fmt == "sql" else []))
    plan = api.plan(SHOP, "tiny", estimate=False)
    assert counts(db, plan.rows) == plan.rows


def test_directory_loaded_by_its_load_script_then_verified(db, tmp_path):
    out = tmp_path / "out"
    m = api.compile(SHOP, "tiny", db.dialect, out=out, workers=1, chunk_rows=100)
    assert any(len(t["files"]) > 1 for t in m["tables"].values())
    db.load_dir(out)
    assert counts(db, m["tables"]) == {t: e["rows"] for t, e in m["tables"].items()}
    failed = [r for r in verify_results(db, out) if isinstance(r[2], tuple)]
    assert not failed


@pytest.mark.parametrize("mode", ["stdout", "csv", "sql"])
def test_round_trip_of_every_kind(db, values_specs, tmp_path, mode):
    plan = api.plan(values_specs, "default")
    if mode == "stdout":
        pipe_stdout(db, "--specs", str(values_specs), "--profile", "default", "--workers", "1")
    else:
        out = tmp_path / "out"
        api.compile(values_specs, "default", db.dialect, fmt=mode, out=out, workers=1, chunk_rows=1000)
        db.load_dir(out)
        failed = [r for r in verify_results(db, out) if isinstance(r[2], tuple)]
        assert not failed
    # SQLite's shell cannot turn hex text into a blob (no unhex() before 3.41): CSV keeps the hex.
    as_text = db.dialect == "sqlite" and mode == "csv"
    assert round_trip(db, plan, "vals", bytes_as_text=as_text) > 20000
    assert counts(db, ["kids", "nothing"]) == {"kids": plan.rows["kids"], "nothing": 0}
    # Lengths of text as the database counts them equal the manifest's sum_length.
    m_len = sum(len(v) for v in api.generate_table(plan, "vals")["txt"].drop_nulls().to_list())
    assert int(db.query(f"SELECT SUM({db.length(_q(db, 'txt'))}) FROM {_q(db, 'vals')}")[0][0]) == m_len


def test_post_data_constraints_exist(db, values_specs, tmp_path):
    out = tmp_path / "out"
    api.compile(values_specs, "default", db.dialect, out=out, workers=1)
    db.load_dir(out)
    # A duplicate key must now be rejected by the database.
    dup = "INSERT INTO {t} ({c}) SELECT {c} FROM {t} WHERE {c} = 1".format(t=_q(db, "vals"), c=_q(db, "id"))
    proc = db.run([*db.query_args(), dup], check=False)
    assert proc.returncode != 0, "the primary key was not created after the data"
    post = (out / "post_data.sql").read_text()
    schema = (out / "schema.sql").read_text()
    assert "DEFAULT 'it''s'" in schema and "DEFAULT TRUE" in schema and "DEFAULT -1" in schema
    if db.dialect == "mysql":
        assert "skipped: MySQL/MariaDB has no partial indexes" in post
    else:
        assert "WHERE" in post and "ix_vals_small" in post
