"""specgen drift against databases specgen loaded itself, on each of the four databases: the shop
example and the gateway spec set show no difference (what each database prints its own way - DuckDB's
VARCHAR without its length, checks it renames, foreign keys the dialect declares none of - is not
drift); a schema altered by hand afterwards shows exactly what was altered. And DuckDB's catalog as
another tool leaves it (defaults as casts, foreign keys, multi-column indexes) is read right by drift
and introspect.

A missing server or duckdb client skips these tests, or fails them with CI=true (dbtargets).
"""

from __future__ import annotations

import pytest

from conftest import ROOT, SHOP, _fresh_db
from dbtargets import TARGETS
from specgen import api
from specgen.db.urls import parse
from specgen.evolve import catalog

DATABASES = ["sqlite", "duckdb", pytest.param("postgres", marks=pytest.mark.db),
             pytest.param("mysql", marks=pytest.mark.db)]


@pytest.fixture
def target(request, tmp_path):
    yield from _fresh_db(request.param, tmp_path)


def _open(report) -> str:
    return "\n".join(d.text() for d in report.open)


@pytest.mark.parametrize("target", DATABASES, indirect=True)
@pytest.mark.parametrize("specs", [SHOP, ROOT / "specs"], ids=["shop", "gateway"])
def test_a_database_specgen_loaded_has_no_drift(target, specs, tmp_path):
    api.generate(specs, "tiny", target.url, out=tmp_path / "dump", report=tmp_path / "r.json")
    report = api.drift(specs, target.url)
    assert not report.open, _open(report)
    assert report.spec_tables == report.db_tables - 1  # and the load's ledger


# DuckDB and SQLite take the same statements for these changes (DuckDB alters no table an index
# depends on: page_views has only its key).
ALTERATIONS = [
    "ALTER TABLE page_views DROP COLUMN duration_ms",
    "ALTER TABLE customers ADD COLUMN loyalty_tier VARCHAR(10)",
    "DROP TABLE reviews",
    "CREATE TABLE audit_log (id INTEGER NOT NULL, note VARCHAR(200))",
    "CREATE UNIQUE INDEX uq_products_sku_name ON products (sku, name)",
    "CREATE INDEX ix_products_category ON products (category)",
]
EXPECTED = {
    ("column.missing", "page_views.duration_ms", "load"),
    ("column.extra", "customers.loyalty_tier", "app"),
    ("table.missing", "reviews", "load"),
    ("table.extra", "audit_log", "app"),
    ("unique.missing", "products.uq_products_sku_name", "app"),  # sku is unique already
    ("index.missing", "products.ix_products_category", "cosmetic"),
}


@pytest.mark.parametrize("target", ["sqlite", "duckdb"], indirect=True)
def test_an_altered_schema_shows_what_was_altered(target, tmp_path):
    api.generate(SHOP, "tiny", target.url, out=tmp_path / "dump", report=tmp_path / "r.json")
    for sql in ALTERATIONS:
        target.execute(sql)
    report = api.drift(SHOP, target.url)
    got = {(d.code, d.object, d.severity) for d in report.open}
    assert got == EXPECTED, _open(report)
    assert report.breaks_load
    where = {d.object: d.where for d in report.open}
    assert "page_views.yaml:" in where["page_views.duration_ms"] and "customers.yaml:" in where["customers.loyalty_tier"]


@pytest.mark.parametrize("target", ["duckdb"], indirect=True)
def test_duckdb_types_changed_by_hand_are_drift(target, tmp_path):
    """Lengths aside (DuckDB keeps none), a type changed after the load is reported."""
    api.generate(SHOP, "tiny", target.url, out=tmp_path / "dump", report=tmp_path / "r.json")
    target.execute("ALTER TABLE page_views ALTER COLUMN duration_ms TYPE BIGINT; "
                   "ALTER TABLE order_items ALTER COLUMN unit_price TYPE INTEGER")
    report = api.drift(SHOP, target.url)
    got = {(d.code, d.object, d.severity) for d in report.open}
    assert got == {("column.type", "page_views.duration_ms", "app"),  # wider
                   ("column.type", "order_items.unit_price", "load")}, _open(report)


# A schema written for DuckDB by hand (or by another tool): VARCHAR lengths, a boolean default
# that reads back as CAST('t' AS BOOLEAN), foreign keys, a multi-column index on a keyword column.
HAND_MADE = """
CREATE TABLE teams (id INTEGER PRIMARY KEY, name VARCHAR(80) NOT NULL UNIQUE, active BOOLEAN NOT NULL DEFAULT TRUE,
                    score DOUBLE, kind VARCHAR(10) NOT NULL CHECK (kind IN ('a', 'b')));
CREATE TABLE members (id BIGINT PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES teams (id),
                      "timestamp" TIMESTAMP WITH TIME ZONE NOT NULL, email VARCHAR(255) NOT NULL,
                      UNIQUE (team_id, email));
CREATE INDEX ix_members_team_time ON members (team_id, "timestamp");
INSERT INTO teams SELECT i, 'team ' || i, i % 3 <> 0, i * 1.5, CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END
  FROM range(1, 41) t(i);
INSERT INTO members SELECT i, 1 + i % 40, TIMESTAMPTZ '2025-01-01 00:00:00+00' + i * INTERVAL 1 HOUR,
  'user' || i || '@example.com' FROM range(1, 401) t(i);
"""


@pytest.mark.parametrize("target", ["duckdb"], indirect=True)
def test_duckdb_catalog_as_another_tool_leaves_it(target, tmp_path):
    target.execute(HAND_MADE)
    cat = catalog.read(parse(target.url))
    teams, members = cat.tables["teams"], cat.tables["members"]
    assert teams.columns["name"].type == catalog.Type("varchar")  # VARCHAR(80) reads back VARCHAR
    assert teams.columns["score"].type == catalog.Type("float")
    assert teams.columns["active"].default == "CAST('t' AS BOOLEAN)"
    assert teams.primary_key == ("id",) and [u.columns for u in teams.uniques] == [("name",)]
    assert [(c.column, c.values) for c in teams.checks] == [("kind", ("a", "b"))]
    assert [(fk.columns, fk.ref_table, fk.ref_columns, fk.on_delete) for fk in members.foreign_keys] == \
        [(("team_id",), "teams", ("id",), None)]
    assert [ix.columns for ix in members.indexes] == [("team_id", "timestamp")]
    assert [u.columns for u in members.uniques] == [("team_id", "email")]

    out = tmp_path / "specs"
    api.introspect(target.url, out)
    assert not api.validate(out), api.validate(out)
    text = (out / "teams.yaml").read_text()
    assert "default: true" in text, text
    assert "parent:" in (out / "members.yaml").read_text()
    report = api.drift(out, target.url)
    assert not report.open, _open(report)
    # generated into a fresh DuckDB file from the introspected specs: no drift there either
    copy = TARGETS["duckdb"](tmp_path / "copy")
    doc = api.generate(out, "default", copy.url, out=tmp_path / "dump", report=tmp_path / "r.json")
    assert doc["verification"]["failed"] == 0
    report = api.drift(out, copy.url)
    assert not report.open, _open(report)
