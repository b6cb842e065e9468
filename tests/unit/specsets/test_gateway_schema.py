"""The gateway spec set describes the gateway's own schema: for each of the 29 tables, the same
columns in the same order, types, nullability (the stricter of the ORM metadata and the
alembic-built database, so data loads into either), primary keys, unique constraints and unique
indexes (partial ones with their predicate), secondary indexes, foreign keys with their ON DELETE,
and the alembic CHECK on email_teams.visibility. Any difference fails with a precise message.

The reference is a trimmed copy of ../shared/reference/mcp_gateway_schema.json (CI runs from a clean
clone), taken from IBM/mcp-context-forge's Base.metadata and an `alembic upgrade head` database.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import ROOT
from specgen import api

REFERENCE = json.loads((ROOT / "tests" / "reference" / "mcp_gateway_schema.json").read_text())
REF_TABLES = {t["name"]: t for t in REFERENCE["tables"]}
ALEMBIC = REFERENCE["alembic_sqlite"]["tables"]

# Foreign keys to tables specgen does not fill: the column stays NULL and the constraint is left out
# of specgen's DDL (a FOREIGN KEY to a missing table cannot be created).
FK_TARGETS_NOT_FILLED = {("tools", "grpc_service_id", "grpc_services.id")}

_PG_TYPES = {"TEXT": "text", "INTEGER": "integer", "FLOAT": "float", "BOOLEAN": "boolean",
             "TIMESTAMP WITH TIME ZONE": "timestamptz", "JSON": "json", "BYTEA": "bytea", "VARCHAR": "varchar"}
_SPEC_ALIASES = {"timestamp with time zone": "timestamptz", "blob": "bytea", "double precision": "float",
                 "double": "float", "int": "integer", "bool": "boolean", "jsonb": "json"}


def norm_reference_type(pg: str) -> str:
    m = re.fullmatch(r"VARCHAR\((\d+)\)", pg)
    return f"varchar({m.group(1)})" if m else _PG_TYPES[pg]


def norm_spec_type(sql_type) -> str:
    base = _SPEC_ALIASES.get(sql_type.base, sql_type.base)
    return f"{base}({', '.join(map(str, sql_type.args))})" if sql_type.args else base


@pytest.fixture(scope="module")
def model():
    return api.model(ROOT / "specs", "tiny")


def test_the_gateway_tables_are_specified(model):
    assert sorted(model.tables) == sorted(REF_TABLES), (
        f"missing: {sorted(set(REF_TABLES) - set(model.tables))}, extra: {sorted(set(model.tables) - set(REF_TABLES))}")


def _check(problems: list[str]) -> None:
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("table", sorted(REF_TABLES))
def test_columns_order_types_and_nullability(model, table):
    spec, ref = model.tables[table], REF_TABLES[table]
    got = [c.name for c in spec.stored]
    want = [c["name"] for c in ref["columns"]]
    _check([] if got == want else [f"{table}: columns differ\n  spec:      {got}\n  reference: {want}"])
    alembic_nullable = {c["name"]: c["nullable"] for c in ALEMBIC[table]["columns"]}
    problems = []
    for rc in ref["columns"]:
        c = spec.columns[rc["name"]]
        want_type, got_type = norm_reference_type(rc["type_postgresql"]), norm_spec_type(c.type)
        if got_type != want_type:
            problems.append(f"{table}.{rc['name']}: type {got_type}, reference {rc['type_postgresql']} ({want_type})")
        # NOT NULL where either the ORM metadata or the alembic database says so.
        want_nullable = rc["nullable"] and alembic_nullable.get(rc["name"], True)
        if c.nullable != want_nullable:
            problems.append(f"{table}.{rc['name']}: nullable {c.nullable}, reference {want_nullable} "
                            f"(metadata {rc['nullable']}, alembic {alembic_nullable.get(rc['name'])})")
    _check(problems)


@pytest.mark.parametrize("table", sorted(REF_TABLES))
def test_primary_key(model, table):
    got, want = model.tables[table].primary_key, REF_TABLES[table]["primary_key"]["columns"]
    _check([] if got == want else [f"{table}: primary key {got}, reference {want}"])


@pytest.mark.parametrize("table", sorted(REF_TABLES))
def test_unique_constraints(model, table):
    spec = model.tables[table]
    got = {(u.name, tuple(u.columns)) for u in spec.uniques}
    got |= {(None, (c.name,)) for c in spec.stored if c.unique}
    want = {(u["name"], tuple(u["columns"])) for u in REF_TABLES[table]["unique_constraints"]}
    _check([f"{table}: unique {n} {list(cols)} not in the reference" for n, cols in sorted(got - want, key=str)] +
           [f"{table}: reference unique {n} {list(cols)} missing from the spec" for n, cols in sorted(want - got, key=str)])


def _portable(where: str | None) -> str | None:
    return re.sub(r"= 1\b", "= true", where) if where else where


@pytest.mark.parametrize("table", sorted(REF_TABLES))
def test_indexes_including_partial_unique_ones(model, table):
    got = {(ix.name, tuple(ix.columns), ix.unique, ix.where) for ix in model.tables[table].indexes}
    want = set()
    for ix in REF_TABLES[table]["indexes"]:
        opts = ix["dialect_options"]
        where = opts.get("postgresql_where") or opts.get("sqlite_where")
        # SQLite spells the boolean true as 1; the spec writes the portable form.
        assert opts.get("postgresql_where") == _portable(opts.get("sqlite_where")), ix
        want.add((ix["name"], tuple(ix["columns"]), ix["unique"], where))
    _check([f"{table}: index {i} not in the reference" for i in sorted(got - want, key=str)] +
           [f"{table}: reference index {i} missing from the spec" for i in sorted(want - got, key=str)])


@pytest.mark.parametrize("table", sorted(REF_TABLES))
def test_foreign_keys_with_on_delete(model, table):
    got = {(col, f"{t}.{c}", (od or "").upper() or None) for col, t, c, od in model.tables[table].foreign_keys()}
    want = set()
    for fk in REF_TABLES[table]["foreign_keys"]:
        (col,), (target,) = fk["columns"], fk["references"]
        if (table, col, target) not in FK_TARGETS_NOT_FILLED:
            want.add((col, target, fk["ondelete"]))
    _check([f"{table}: foreign key {k} not in the reference" for k in sorted(got - want, key=str)] +
           [f"{table}: reference foreign key {k} missing from the spec" for k in sorted(want - got, key=str)])


def test_foreign_keys_left_out_point_only_at_unfilled_tables():
    for table, col, target in FK_TARGETS_NOT_FILLED:
        assert target.split(".")[0] not in REF_TABLES
        assert any(fk["columns"] == [col] and fk["references"] == [target] for fk in REF_TABLES[table]["foreign_keys"])


@pytest.mark.parametrize("table", sorted(REF_TABLES))
def test_check_constraints(model, table):
    got = {(ck.name, ck.column, tuple(sorted(ck.values))) for ck in model.tables[table].checks}
    want = set()
    for ck in REF_TABLES[table]["check_constraints"] + ALEMBIC[table]["check_constraints"]:
        m = re.fullmatch(r"\s*(\w+)\s+IN\s*\((.*)\)\s*", ck["sqltext"])
        assert m, f"unexpected CHECK form: {ck['sqltext']}"
        values = tuple(sorted(v.strip().strip("'") for v in m.group(2).split(",")))
        want.add((ck["name"], m.group(1), values))
    _check([] if got == want else [f"{table}: checks {sorted(got)}, reference {sorted(want)}"])
