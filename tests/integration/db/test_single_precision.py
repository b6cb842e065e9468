"""Single-precision float columns (spec types real and float4) loaded into every database and
verified: the values read back are the generated ones, bit for bit, and every check passes.

A 4-byte column (REAL in PostgreSQL and DuckDB; float4, a FLOAT, in MySQL) rounds what it is
given to float32: the engine generates float32 values for these types, so the stored data is the
dump's and the manifest's, and verify reads their sums and extremes as doubles
(``verify_float_value``). Where real is 8 bytes (SQLite, MySQL) the same values load unchanged.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import write_spec_set
from dbtargets import Target, q
from specgen import api

pytestmark = pytest.mark.db

SPEC = """table: readings
rows: 2000
primary_key: [id]
columns:
  id: {type: bigint, gen: sequence}
  r: {type: real, nullable: true, null_rate: 0.1, gen: {lognormal: {median: 10.0, sigma: 2.0}}}
  f4: {type: float4, gen: {normal: {mean: 0, std: 1000}}}
  d: {type: double, gen: {lognormal: {median: 10.0, sigma: 2.0}}}
"""

# A column's stored value as a double, spelled here rather than taken from the dialect profiles
# under test; and the query naming the types the columns were created with.
AS_DOUBLE = {"postgres": "CAST(CAST({x} AS DOUBLE PRECISION) AS TEXT)", "mysql": "CAST(CAST({x} AS DOUBLE) AS CHAR)",
             "sqlite": "{x}", "duckdb": "CAST(CAST({x} AS DOUBLE) AS VARCHAR)"}
FOUR_BYTES = {  # columns the database keeps in 4 bytes
    "postgres": ("SELECT pg_typeof(r)::text, pg_typeof(f4)::text FROM readings LIMIT 1", ["real", "real"]),
    "duckdb": ("SELECT typeof(r), typeof(f4) FROM readings LIMIT 1", ["FLOAT", "FLOAT"]),
    "mysql": ("SELECT GROUP_CONCAT(DATA_TYPE ORDER BY COLUMN_NAME) FROM information_schema.columns "
              "WHERE table_schema = DATABASE() AND table_name = 'readings' AND COLUMN_NAME IN ('r', 'f4')",
              ["float,double"]),  # f4, r
}


def load_verify_read_back(db: Target, tmp_path, fmt: str) -> None:
    specs = write_spec_set(tmp_path, {"readings.yaml": SPEC})
    out = tmp_path / "out"
    api.compile(specs, "default", db.dialect, fmt=fmt, out=out, workers=1)
    db.load_dir(out)
    if db.dialect in FOUR_BYTES:
        sql, types = FOUR_BYTES[db.dialect]
        assert db.query(sql)[0] == types  # the test exercises 4-byte columns where there are any

    checks = api.verify(out, db.url)
    assert {"sum readings.r", "max readings.f4", "sum readings.d"} <= {c.name for c in checks}
    assert [(c.name, c.expected, c.actual) for c in checks if not c.ok] == []

    df = api.generate_table(api.plan(specs, "default", estimate=False), "readings")
    cast = AS_DOUBLE[db.dialect]
    cols = [f"CASE WHEN {q(db, c)} IS NULL THEN 'NULL' ELSE {cast.format(x=q(db, c))} END" for c in ("r", "f4", "d")]
    rows = db.query(f"SELECT {', '.join(cols)} FROM {q(db, 'readings')} ORDER BY {q(db, 'id')}")
    assert len(rows) == len(df)
    for j, name in enumerate(("r", "f4", "d")):
        want = df[name].to_list()
        got = [None if r[j] == "NULL" else float(r[j]) for r in rows]
        wrong = [(i, g, w) for i, (g, w) in enumerate(zip(got, want, strict=True)) if g != w]
        assert wrong == [], (db.dialect, name, len(wrong), wrong[:3])
    single = df["r"].drop_nulls().to_numpy()
    assert (single.astype(np.float32).astype(np.float64) == single).all()  # what a 4-byte column stores


@pytest.mark.parametrize("fmt", ["csv", "sql"])
def test_single_precision_columns_load_and_verify(db, tmp_path, fmt):
    load_verify_read_back(db, tmp_path, fmt)


@pytest.mark.parametrize("fmt", ["csv", "sql"])
def test_single_precision_columns_load_and_verify_in_duckdb(duck_db, tmp_path, fmt):
    load_verify_read_back(duck_db, tmp_path, fmt)
