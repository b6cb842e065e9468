"""Group 1 of issue 18: inputs that used to give wrong data with exit 0.

Each test failed before its fix: a count or a sequence past 2^63 wrapped, a truncated part
loaded, ``verify`` failed a correct load of an empty table, a ``unique`` template that can repeat
itself validated, NUL characters and NaN reached the data, long names collided after the
database cut them.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from relutil import cli, refused, spec_set

ID = "  id: {type: bigint, gen: sequence}\n"


def test_a_count_past_int64_is_refused_not_wrapped(tmp_path: Path):
    spec_set(tmp_path, {
        "a": "table: a\nrows: 5000000000000000000\ncolumns:\n" + ID,
        "b": "table: b\nparent: {table: a, count: 5}\ncolumns:\n"
             "  a_id: {type: bigint, references: a.id, gen: {ref: parent.id}}\n",
    })
    err = refused(cli("plan", "--specs", "specs", "--profile", "default", cwd=tmp_path), "specs/b.yaml:2:", "2^63-1")
    assert "parent.count" in err


def test_a_sequence_past_int64_is_refused_not_wrapped(tmp_path: Path):
    spec_set(tmp_path, {"a": "table: a\nrows: 10\ncolumns:\n  id: {type: bigint, gen: {sequence: {start: 9223372036854775800}}}\n"})
    refused(cli("validate", "--specs", "specs", cwd=tmp_path), "specs/a.yaml:4:", "beyond 64-bit integers")
    proc = cli("compile", "--specs", "specs", "--profile", "default", "--dialect", "sqlite", "--out", "o", cwd=tmp_path)
    refused(proc, "beyond 64-bit integers")
    assert not (tmp_path / "o").exists()


def test_the_plan_checks_exact_sums_too():
    """The validator judges counts by their means; the plan checks the sums it adds up."""
    from specgen.engine.fanout import Fanout
    from specgen.errors import SpecgenError

    class Stub:
        pass

    f = Fanout.__new__(Fanout)
    f.plan, f.table, f.parent, f.n_parents = Stub(), "b", "a", 10
    f.plan.model = Stub()
    f.plan.model.tables = {"b": Stub()}
    f.plan.model.tables["b"].file = "specs/b.yaml"
    with pytest.raises(SpecgenError, match="2\\^63-1"):
        f._check_total(2.0**63)
    f._check_total(2.0**62)


def _compile(tmp_path: Path, table: str, dialect: str = "sqlite", *extra) -> Path:
    spec_set(tmp_path, {"a": table})
    out = tmp_path / "o"
    proc = cli("compile", "--specs", "specs", "--profile", "default", "--dialect", dialect, "--out", str(out), *extra,
               cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    return out


TABLE = ("table: a\nrows: 1000\ncolumns:\n" + ID +
         "  v: {type: integer, gen: {uniform: {min: 0, max: 100}}}\n")


@pytest.mark.parametrize("cut", ["row", "bytes"])
def test_a_truncated_part_fails_the_load(tmp_path: Path, cut: str):
    out = _compile(tmp_path, TABLE)
    part = next((out / "data" / "a").glob("part-*"))
    data = part.read_bytes()
    # At a row boundary the file is still well-formed CSV: only its size and sha256 tell.
    keep = data[: data.rindex(b"\n", 0, len(data) - 1) + 1] if cut == "row" else data[:-3]
    part.write_bytes(keep)
    db = tmp_path / "t.db"
    proc = cli("load", str(out), "--url", f"sqlite:///{db}", cwd=tmp_path)
    refused(proc, "data/a/part-00000.csv", located=False)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM a").fetchone()[0] == 0


def test_a_changed_part_of_the_same_size_fails_the_load(tmp_path: Path):
    out = _compile(tmp_path, TABLE)
    part = next((out / "data" / "a").glob("part-*"))
    data = bytearray(part.read_bytes())
    i = data.index(b",") + 1
    data[i] = ord("9") if data[i] != ord("9") else ord("8")
    part.write_bytes(bytes(data))
    refused(cli("load", str(out), "--url", f"sqlite:///{tmp_path / 't.db'}", cwd=tmp_path), "sha256", located=False)


def test_an_intact_dump_still_loads(tmp_path: Path):
    out = _compile(tmp_path, TABLE)
    db = tmp_path / "t.db"
    assert cli("load", str(out), "--url", f"sqlite:///{db}", cwd=tmp_path).returncode == 0
    assert cli("verify", str(out), "--url", f"sqlite:///{db}", cwd=tmp_path).returncode == 0


def test_verify_passes_an_empty_table(tmp_path: Path):
    spec_set(tmp_path, {"a": "table: a\nrows: 0\ncolumns:\n" + ID +
                        "  s: {type: varchar(10), gen: {categorical: {values: [x, y]}}}\n"
                        "  u: {type: uuid, gen: uuid}\n"})
    proc = cli("generate", "--specs", "specs", "--profile", "default", "--url", f"sqlite:///{tmp_path / 't.db'}",
               cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()


def test_a_null_count_answer_still_counts_as_zero_for_old_verify_files():
    from specgen.sql.checks import Check

    assert Check("enum a.s", "enum", "a", 0, actual=None).ok
    assert not Check("sum a.v", "sum", "a", 0, actual=None).ok


@pytest.mark.parametrize("text", ["{_index}{n}", "{n}{_index}", "x{n}{_index}y"])
def test_a_unique_template_that_can_repeat_is_refused(tmp_path: Path, text: str):
    spec_set(tmp_path, {"a": "table: a\nrows: 200\ncolumns:\n" + ID +
                        "  n: {type: integer, virtual: true, gen: {uniform: {min: 0, max: 20}}}\n"
                        f"  s: {{type: varchar(40), unique: true, gen: {{template: \"{text}\"}}}}\n"})
    refused(cli("validate", "--specs", "specs", cwd=tmp_path), "specs/a.yaml:6:", "columns.s.gen")


@pytest.mark.parametrize("text", ["{n}-{_index}", "{_index}-{n}", "u{_index}", "{first|lower}.{_index}@x"])
def test_a_unique_template_with_delimiters_is_accepted(tmp_path: Path, text: str):
    spec_set(tmp_path, {"a": "table: a\nrows: 200\ncolumns:\n" + ID +
                        "  n: {type: integer, virtual: true, gen: {uniform: {min: 0, max: 20}}}\n"
                        "  first: {type: text, virtual: true, gen: {pool: first_names}}\n"
                        f"  s: {{type: varchar(40), unique: true, gen: {{template: \"{text}\"}}}}\n"})
    proc = cli("validate", "--specs", "specs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()


def test_nul_in_a_value_is_refused(tmp_path: Path):
    spec_set(tmp_path, {"a": "table: a\nrows: 3\ncolumns:\n" + ID + '  s: {type: text, gen: {const: "a\\0b"}}\n'})
    refused(cli("validate", "--specs", "specs", cwd=tmp_path), "specs/a.yaml:5:", "NUL")


def test_nul_in_a_pool_is_refused(tmp_path: Path):
    spec_set(tmp_path, {"a": "table: a\nrows: 3\ncolumns:\n" + ID + "  s: {type: text, gen: {pool: words}}\n"})
    (tmp_path / "specs" / "pools").mkdir()
    (tmp_path / "specs" / "pools" / "words.txt").write_bytes(b"alpha\nbe\x00ta\ngamma\n")
    refused(cli("validate", "--specs", "specs", cwd=tmp_path), "words.txt", "NUL", located=False)


def test_nan_parameters_are_refused(tmp_path: Path):
    spec_set(tmp_path, {"a": "table: a\nrows: 10\ncolumns:\n" + ID +
                        "  x: {type: double precision, gen: {normal: {mean: $m, std: 1}}}\n"}, "params: {m: .nan}\n")
    refused(cli("validate", "--specs", "specs", cwd=tmp_path), "specs/profiles/default.yaml:3:", "params.m", "finite")


def test_nan_in_a_spec_is_refused(tmp_path: Path):
    spec_set(tmp_path, {"a": "table: a\nrows: 10\ncolumns:\n" + ID +
                        "  x: {type: double precision, gen: {normal: {mean: .nan, std: 1}}}\n"})
    refused(cli("validate", "--specs", "specs", cwd=tmp_path), "specs/a.yaml:5:", "finite")


@pytest.mark.parametrize("where", ["table", "column", "index"])
def test_names_longer_than_a_database_takes_are_refused(tmp_path: Path, where: str):
    long = "n" * 64
    table = long if where == "table" else "a"
    column = long if where == "column" else "x"
    index = f"  - {{name: {long}, columns: [id]}}\n" if where == "index" else "  - {name: ix_a, columns: [id]}\n"
    spec_set(tmp_path, {"a": f"table: {table}\nrows: 3\ncolumns:\n" + ID +
                        f"  {column}: {{type: integer, gen: {{uniform: {{min: 0, max: 9}}}}}}\nindexes:\n" + index})
    refused(cli("validate", "--specs", "specs", cwd=tmp_path), "specs/a.yaml:", "63")


def test_a_window_past_what_databases_take_is_refused(tmp_path: Path):
    spec_set(tmp_path, {"a": "table: a\nrows: 3\ncolumns:\n" + ID +
                        "  t: {type: timestamptz, gen: {timestamp: {}}}\n"
                        "  e: {type: timestamptz, gen: {timestamp: {after: t, offset: {min: 1d, max: 2d}}}}\n"})
    (tmp_path / "specs" / "profiles" / "default.yaml").write_text('window: {end: "9999-12-31T00:00:00Z", days: 30}\n')
    refused(cli("validate", "--specs", "specs", cwd=tmp_path), "specs/profiles/default.yaml:1:", "9999")


def test_manifest_has_no_nan(tmp_path: Path):
    """NaN never reaches the manifest: it is refused before (and the manifest is strict JSON)."""
    out = _compile(tmp_path, TABLE.replace("rows: 1000", "rows: 10") +
                   "  f: {type: double precision, gen: {normal: {mean: 0, std: 1}}}\n")
    json.loads((out / "manifest.json").read_text(), parse_constant=lambda c: pytest.fail(f"{c} in manifest"))
