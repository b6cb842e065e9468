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

from pathlib import Path

import pytest
import yaml

from conftest import SHOP, write_spec_set
from dbtargets import Target, pipe_stdout
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
        # MySQL's BINARY(n) and VARBINARY(n) keep them exactly (the engine refuses other lengths).
        "fixed": {"type": "binary(8)", "gen": {"hex": {"length": 16}}},
        "var": {"type": "varbinary(12)", "nullable": True, "null_rate": 0.2, "gen": {"hex": {"length": 16}}},
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


# -- helpers --------------------------------------------------------------------------------------


@pytest.fixture(params=["postgres", "mysql", "sqlite", "duckdb"])
def db(request, tmp_path):
    """The shared database matrix plus DuckDB (its load path is exercised here and in test_loader)."""
    from conftest import _fresh_db

    yield from _fresh_db(request.param, tmp_path)


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


@pytest.mark.parametrize("mode", ["stdout", "csv", "sql", "existing"])
def test_round_trip_of_every_kind(db, values_specs, tmp_path, mode):
    """existing: specgen load into tables that already have every key and index (the gateway's
    own schema), so NULL markers and escaped markers cannot be fixed after the data."""
    plan = api.plan(values_specs, "default")
    if mode == "stdout":
        pipe_stdout(db, "--specs", str(values_specs), "--profile", "default", "--workers", "1")
    elif mode == "existing":
        out = tmp_path / "out"
        api.compile(values_specs, "default", db.dialect, out=out, workers=1, chunk_rows=1000)
        prelude = "SET FOREIGN_KEY_CHECKS=0; " if db.dialect == "mysql" else ""
        db.execute(prelude + (out / "schema.sql").read_text())
        db.execute((out / "post_data.sql").read_text())
        assert api.load(out, db.url).existing_schema
        failed = [r for r in verify_results(db, out) if isinstance(r[2], tuple)]
        assert not failed
    else:
        out = tmp_path / "out"
        api.compile(values_specs, "default", db.dialect, fmt=mode, out=out, workers=1, chunk_rows=1000)
        db.load_dir(out)
        failed = [r for r in verify_results(db, out) if isinstance(r[2], tuple)]
        assert not failed
    # SQLite's shell cannot turn hex text into a blob (no unhex() before 3.41): CSV keeps the hex.
    as_text = db.dialect == "sqlite" and mode in ("csv", "existing")
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


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_truncate_takes_along_empty_tables_that_reference_the_dump(db, tmp_path):
    """The gateway's schema has tables specgen does not fill whose foreign keys point at tables
    it does (server_task_mappings -> servers): --truncate empties them with the dump's tables when
    they are empty, and refuses, naming them, when they hold rows."""
    out = tmp_path / "out"
    api.compile(SHOP, "tiny", "postgres", out=out, workers=1)
    db.execute((out / "schema.sql").read_text())
    db.execute((out / "post_data.sql").read_text())
    db.execute('CREATE TABLE watchers (id integer PRIMARY KEY, customer_id bigint REFERENCES customers (id)); '
               'CREATE TABLE watcher_notes (watcher_id integer REFERENCES watchers (id));')
    api.load(out, db.url)
    api.load(out, db.url, mode="truncate")  # the empty referencing tables go along
    assert counts(db, ["customers"]) == {"customers": api.plan(SHOP, "tiny").rows["customers"]}
    db.execute("INSERT INTO watchers VALUES (1, 1); INSERT INTO watcher_notes VALUES (1);")
    from specgen.errors import SpecgenError

    with pytest.raises(SpecgenError, match="watcher_notes, watchers|watchers, watcher_notes"):
        api.load(out, db.url, mode="truncate")
    assert counts(db, ["watchers"]) == {"watchers": 1}
