"""Direct mode into PostgreSQL sends parts as binary COPY rows (``output/pgbinary.py``): the
tables must hold exactly what the CSV of the same parts loads, column type by column type, and
a table with a type the binary format is not used for (``numeric``) still goes as CSV."""

from __future__ import annotations

import json

import pytest

from conftest import SHOP, run_cli, write_spec_set
from dbtargets import fresh
from specgen import api
from specgen.db import direct, loader, urls
from specgen.sql import dialect as dialects

pytestmark = pytest.mark.db

# Every kind and the catalog types it travels as, NULLs, and text that CSV has to quote or escape.
EVERY = r"""table: every
rows: 3000
primary_key: [id]
columns:
  id: {type: bigint, gen: sequence}
  small: {type: smallint, nullable: true, null_rate: 0.2, gen: {uniform: {min: -32768, max: 32767}}}
  n: {type: integer, gen: {uniform: {min: -2000000000, max: 2000000000}}}
  f: {type: double, nullable: true, null_rate: 0.1, gen: {normal: {mean: 0, std: 1000}}}
  r: {type: real, gen: {uniform: {min: -1.0, max: 1.0}}}
  fl: {type: float, gen: {lognormal: {median: 3.0, sigma: 2.0}}}
  ok: {type: boolean, nullable: true, null_rate: 0.3, gen: {bernoulli: 0.5}}
  at: {type: timestamptz, gen: {timestamp: {recency: {half_life_days: 10}}}}
  local: {type: timestamp, nullable: true, null_rate: 0.1, gen: {timestamp: {recency: {half_life_days: 10}}}}
  day: {type: date, gen: {timestamp: {recency: {half_life_days: 10}}}}
  word:
    type: varchar(40)
    nullable: true
    null_rate: 0.1
    gen: {categorical: {values: ["plain", "tab\there", "quote\"d", "back\\slash", "", "\u00fcn\u00efcode", "\\N", "a,b"]}}
  code: {type: char(3), gen: {categorical: {values: [US, DE, x]}}}
  note: {type: text, gen: {template: "line {_index}\nnext"}}
  doc: {type: json, gen: {json: {object: {a: {bernoulli: 0.5}, b: {uniform: {min: 1, max: 9}}}}}}
  docb: {type: jsonb, nullable: true, null_rate: 0.2, gen: {json: {array: {items: {uniform: {min: 1, max: 9}}, min: 0, max: 3}}}}
  blob: {type: blob, gen: {hex: {length: 16}}}
"""
MONEY = """table: money
rows: 500
primary_key: [id]
columns:
  id: {type: integer, gen: sequence}
  amount: {type: "numeric(10,2)", gen: {uniform: {min: 0.0, max: 1000.0}}}
"""


def _contents(db, tables) -> dict[str, str]:
    """Each table's rows as PostgreSQL prints them, in one digest per table."""
    return {t: db.query(f"SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, E'\\n' ORDER BY x::text)), '') "
                        f'FROM "{t}" x')[0][0] for t in tables}


def test_binary_copy_loads_exactly_what_csv_loads(tmp_path):
    specs = write_spec_set(tmp_path, {"every.yaml": EVERY, "money.yaml": MONEY})
    plan = api.plan(specs, "default")
    seen = {}
    for binary in (True, False):
        with fresh("postgres", tmp_path) as db:
            out = tmp_path / f"out-{binary}"
            _, result = direct.run(plan, dialects.load("postgres"), urls.parse(db.url), out,
                                   loader.Options(jobs=2, binary=binary), workers=1)
            wires = {t: r.wire for t, r in result.tables.items()}
            seen[binary] = (_contents(db, plan.model.tables), (out / "manifest.json").read_bytes())
        assert wires == ({"every": "binary", "money": "csv"} if binary else {"every": "csv", "money": "csv"})
    assert seen[True][0]["every"].startswith("3000 ")
    assert seen[True] == seen[False]


def test_the_database_column_types_decide(tmp_path):
    """Into an existing schema the catalog's types are what the fields must match: an integer
    the database declares BIGINT travels as 8-byte fields; a varchar the database declares UUID
    (its CSV text loads, its bytes as binary text would not) keeps its table on CSV."""
    specs = write_spec_set(tmp_path, {
        "a.yaml": "table: a\nrows: 700\nprimary_key: [id]\ncolumns:\n  id: {type: integer, gen: sequence}\n"
                  "  n: {type: integer, gen: {uniform: {min: -5, max: 5}}}\n",
        "b.yaml": "table: b\nrows: 300\nprimary_key: [uid]\ncolumns:\n  uid: {type: varchar(36), gen: uuid}\n",
    })
    with fresh("postgres", tmp_path) as db:
        db.execute("CREATE TABLE a (id bigint PRIMARY KEY, n integer); CREATE TABLE b (uid uuid PRIMARY KEY)")
        _, result = direct.run(api.plan(specs, "default"), dialects.load("postgres"), urls.parse(db.url),
                               tmp_path / "o", loader.Options(jobs=2, binary=True), workers=1)
        assert {t: r.wire for t, r in result.tables.items()} == {"a": "binary", "b": "csv"}
        assert db.query("SELECT count(*), min(id), max(id) FROM a")[0] == ["700", "1", "700"]
        assert db.query("SELECT count(DISTINCT uid) FROM b")[0] == ["300"]


@pytest.mark.parametrize("args,message", [
    (["--url", "sqlite:///x.db"], "sqlite has no binary bulk format specgen writes"),
    (["--url", "postgresql://postgres@127.0.0.1/nowhere", "--via-dump"], "--via-dump loads the dump's CSV files"),
])
def test_binary_copy_asked_where_there_is_none(tmp_path, args, message):
    proc = run_cli("generate", "--specs", str(SHOP), "--profile", "tiny", "--copy-format", "binary", *args,
                   cwd=tmp_path)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and message in err and "Traceback" not in err, err
    assert not any(tmp_path.iterdir())


def test_binary_copy_with_a_dump_directory_goes_direct(tmp_path):
    """``--out DIR`` alone asks for a dump; with ``--copy-format binary`` it asks for direct mode
    (DIR gets the small files), since binary rows only travel through the sessions' pipes."""
    with fresh("postgres", tmp_path) as db:
        proc = run_cli("generate", "--specs", str(SHOP), "--profile", "tiny", "--url", db.url, "--out", "o",
                       "--copy-format", "binary", "--report", "r.json", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr.decode()
        doc = json.loads((tmp_path / "r.json").read_text())
        assert doc["ok"] and doc["direct"] and not doc["part_files"]
        assert {e["loaded_as"] for e in doc["tables"].values()} == {"binary"}
        assert (tmp_path / "o" / "manifest.json").is_file()
