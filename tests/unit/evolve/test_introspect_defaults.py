"""Introspection's reading of what a catalog prints, without a database."""

from __future__ import annotations

import pytest

from specgen.evolve.specwriter import _default


@pytest.mark.parametrize(("printed", "kind", "value"), [
    ("CAST('t' AS BOOLEAN)", "bool", True),  # DuckDB's TRUE
    ("CAST('f' AS BOOLEAN)", "bool", False),
    ("true", "bool", True),  # PostgreSQL's
    ("'x''y'", "text", "x'y"),
    ("'active'::character varying", "text", "active"),
    ("-1.5", "float", -1.5),
    ("(0)", "int", 0),
    ("nextval('s')", "int", None),  # not a literal
    ("current_timestamp", "timestamp", None),
])
def test_introspect_reads_literal_defaults_as_each_database_prints_them(printed, kind, value):
    got = _default(printed, kind)
    assert got == value and type(got) is type(value)
