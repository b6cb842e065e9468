"""Types in one vocabulary: a spec's type as each dialect creates it reads back equal to what the
database's catalog prints for it (no live database here: the catalog's spellings are written out)."""

from __future__ import annotations

import pytest

from specgen.engine.model import SqlType
from specgen.evolve import catalog as cat
from specgen.sql import dialect as dialects


def _spec(text: str, dialect: str) -> cat.Type:
    return cat.spec_type(SqlType.parse(text), dialects.load(dialect))


@pytest.mark.parametrize(("spec", "printed"), [
    ("varchar(80)", "VARCHAR"),  # DuckDB keeps no length
    ("char(2)", "VARCHAR"),
    ("text", "VARCHAR"),
    ("uuid", "VARCHAR"),
    ("real", "FLOAT"),  # DuckDB's FLOAT is four bytes
    ("float", "DOUBLE"),
    ("double", "DOUBLE"),
    ("integer", "INTEGER"),
    ("bigint", "BIGINT"),
    ("boolean", "BOOLEAN"),
    ("timestamptz", "TIMESTAMP WITH TIME ZONE"),
    ("timestamp", "TIMESTAMP"),
    ("numeric(10,2)", "DECIMAL(10,2)"),
    ("json", "JSON"),
    ("blob", "BLOB"),
])
def test_duckdb_catalog_spellings_are_the_spec_types(spec, printed):
    d = dialects.load("duckdb")
    assert _spec(spec, "duckdb") == cat.parse_type(printed, d)


def test_lengths_and_float_widths_still_count_where_the_catalog_keeps_them():
    pg = dialects.load("postgres")
    assert _spec("varchar(80)", "postgres") == cat.Type("varchar", (80,))
    assert cat.parse_type("character varying(40)", pg) != _spec("varchar(80)", "postgres")
    assert cat.parse_type("real", pg) == cat.Type("real") and cat.parse_type("float8", pg) == cat.Type("float")

