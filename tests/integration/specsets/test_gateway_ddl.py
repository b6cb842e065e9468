"""specgen's DDL for the 29 gateway tables, applied to real databases and read back from their
catalogs, equals the gateway's schema (tests/reference/mcp_gateway_schema.json): columns in order,
types, NOT NULL, primary keys, unique constraints and unique (partial) indexes, foreign keys with
their ON DELETE. PostgreSQL against the ORM's PostgreSQL types, SQLite against its SQLite types.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess

import pytest

from conftest import ROOT
from specgen import api

REFERENCE = json.loads((ROOT / "tests" / "reference" / "mcp_gateway_schema.json").read_text())
REF = {t["name"]: t for t in REFERENCE["tables"]}
# A foreign key to a table specgen does not fill cannot be created: the column stays NULL.
NOT_FILLED = {("tools", ("grpc_service_id",))}
_ON_DELETE = {"a": None, "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def _norm_pred(sql: str | None) -> str | None:
    """Predicates compared as the database reads them: SQLite's boolean 1 is true, and
    `not x is null` is `x is not null`."""
    if sql is None:
        return None
    s = re.sub(r"[()\s]+", " ", sql).strip().lower()
    s = re.sub(r"\bnot (\w+) is null\b", r"\1 is not null", s)
    return re.sub(r"= 1\b", "= true", s)


def expected(dialect: str) -> dict:
    out = {}
    for name, t in REF.items():
        uniques = {(tuple(u["columns"]), None) for u in t["unique_constraints"]}
        uniques |= {(tuple(ix["columns"]), _norm_pred((ix.get("dialect_options") or {}).get(f"{dialect}_where")))
                    for ix in t["indexes"] if ix["unique"]}
        fks = {(tuple(f["columns"]), f["references"][0].split(".")[0], tuple(r.split(".")[1] for r in f["references"]),
                f["ondelete"]) for f in t["foreign_keys"] if (name, tuple(f["columns"])) not in NOT_FILLED}
        out[name] = {
            "columns": [(c["name"], _norm_type(c[f"type_{dialect}"], dialect), not c["nullable"]) for c in t["columns"]],
            "primary_key": tuple(t["primary_key"]["columns"]),
            "uniques": uniques,
            "foreign_keys": fks,
        }
    return out


def _norm_type(t: str, dialect: str) -> str:
    t = t.upper()
    if dialect == "postgresql":
        t = {"FLOAT": "DOUBLE PRECISION"}.get(t, t)
        t = re.sub(r"^VARCHAR", "CHARACTER VARYING", t)
    return t


def compare(got: dict, want: dict) -> list[str]:
    problems = []
    assert set(want) <= set(got), f"tables missing from the DDL: {sorted(set(want) - set(got))}"
    for name, w in want.items():
        g = got[name]
        if g["columns"] != w["columns"]:
            gc, wc = {c[0]: c for c in g["columns"]}, {c[0]: c for c in w["columns"]}
            for col in wc:
                if gc.get(col) != wc[col]:
                    problems.append(f"{name}.{col}: DDL {gc.get(col)} != gateway {wc[col]}")
            if [c[0] for c in g["columns"]] != [c[0] for c in w["columns"]]:
                problems.append(f"{name}: column order differs")
        for key in ("primary_key", "uniques", "foreign_keys"):
            if g[key] != w[key]:
                problems.append(f"{name}.{key}: DDL {sorted(g[key]) if isinstance(g[key], set) else g[key]} != "
                                f"gateway {sorted(w[key]) if isinstance(w[key], set) else w[key]}")
    return problems


@pytest.fixture(scope="module")
def ddl(tmp_path_factory):
    out = {}
    for dialect in ("postgres", "sqlite"):
        d = tmp_path_factory.mktemp(f"ddl_{dialect}")
        api.compile(ROOT / "specs", "tiny", dialect, out=d, workers=1)
        out[dialect] = d
    return out


@pytest.mark.db
def test_postgres_ddl_matches_the_gateway_schema(ddl, tmp_path):
    from conftest import _fresh_db

    for db in _fresh_db("postgres", tmp_path):
        for f in ("schema.sql", "post_data.sql"):
            db.run(["psql", *db.conn, "-d", db.name, "-v", "ON_ERROR_STOP=1", "-q", "-f", str(ddl["postgres"] / f)])
        got = _read_postgres(db)
    problems = compare(got, expected("postgresql"))
    assert not problems, "\n".join(problems)


def _read_postgres(db) -> dict:
    def rows(sql):
        out = subprocess.run(["psql", *db.conn, "-d", db.name, "-At", "-F", "\t", "-c", sql], capture_output=True,
                             check=True).stdout.decode()
        return [line.split("\t") for line in out.splitlines()]

    got: dict = {}
    for table, col, typ, notnull in rows(
            "SELECT c.relname, a.attname, upper(format_type(a.atttypid, a.atttypmod)), a.attnotnull "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped "
            "ORDER BY c.relname, a.attnum"):
        t = got.setdefault(table, {"columns": [], "primary_key": (), "uniques": set(), "foreign_keys": set()})
        t["columns"].append((col, typ, notnull == "t"))
    keycols = ("SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest({arr}) WITH ORDINALITY k(attnum, ord) "
               "JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.attnum")
    for table, kind, cols, ref, refcols, deltype in rows(
            f"SELECT conrelid::regclass::text, contype, ({keycols.format(arr='conkey', rel='conrelid')}), "
            f"confrelid::regclass::text, ({keycols.format(arr='confkey', rel='confrelid')}), confdeltype "
            "FROM pg_constraint WHERE contype IN ('p', 'u', 'f') AND connamespace = 'public'::regnamespace"):
        t = got[table.strip('"')]
        if kind == "p":
            t["primary_key"] = tuple(cols.split(","))
        elif kind == "u":
            t["uniques"].add((tuple(cols.split(",")), None))
        else:
            t["foreign_keys"].add((tuple(cols.split(",")), ref.strip('"'), tuple(refcols.split(",")),
                                   _ON_DELETE[deltype]))
    for table, cols, pred in rows(
            f"SELECT i.indrelid::regclass::text, ({keycols.format(arr='i.indkey::int2[]', rel='i.indrelid')}), "
            "coalesce(pg_get_expr(i.indpred, i.indrelid), '') FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indisunique AND NOT i.indisprimary AND c.relnamespace = 'public'::regnamespace "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u'))"):
        got[table.strip('"')]["uniques"].add((tuple(cols.split(",")), _norm_pred(pred or None)))
    return got


def test_sqlite_ddl_matches_the_gateway_schema(ddl, tmp_path):
    path = tmp_path / "ddl.db"
    subprocess.run(["sqlite3", "-bail", str(path)], input=(ddl["sqlite"] / "schema.sql").read_bytes()
                   + (ddl["sqlite"] / "post_data.sql").read_bytes(), check=True, capture_output=True)
    con = sqlite3.connect(path)
    got: dict = {}
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            info = con.execute(f'PRAGMA table_info("{table}")').fetchall()
            pk = tuple(r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5]))
            t = got[table] = {"columns": [(r[1], r[2].upper(), bool(r[3])) for r in info],
                              "primary_key": pk, "uniques": set(), "foreign_keys": set()}
            for _, name, unique, origin, partial in con.execute(f'PRAGMA index_list("{table}")'):
                if not unique or origin == "pk":
                    continue
                cols = tuple(r[2] for r in con.execute(f'PRAGMA index_info("{name}")'))
                sql = con.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
                pred = sql.split(" WHERE ", 1)[1] if sql and partial else None
                t["uniques"].add((cols, _norm_pred(pred)))
            fks: dict = {}
            for fid, _, ref, col, refcol, _, on_delete, _ in con.execute(f'PRAGMA foreign_key_list("{table}")'):
                f = fks.setdefault(fid, [[], ref, [], None if on_delete == "NO ACTION" else on_delete])
                f[0].append(col)
                f[2].append(refcol)
            t["foreign_keys"] = {(tuple(c), ref, tuple(rc), od) for c, ref, rc, od in fks.values()}
    finally:
        con.close()
    problems = compare(got, expected("sqlite"))
    assert not problems, "\n".join(problems)
