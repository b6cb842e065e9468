"""Group 2 of issue 18: mistakes of the user that ended in exit 2 (internal error).

Each is now exit 1 with a message that names the file (and line and column where there is one).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relutil import cli, refused, spec_set

ID = "  id: {type: bigint, gen: sequence}\n"


@pytest.mark.parametrize("value, says", [
    ("-5", "minimum"), ("2.5", "integer"), (".inf", "finite"), (".nan", "finite"), ("-.inf", "finite"),
    ("99999999999999999999", "64 bits"),
])
def test_profile_numbers_used_as_row_counts(tmp_path: Path, value: str, says: str):
    spec_set(tmp_path, {"a": "table: a\nrows: $n\ncolumns:\n" + ID}, f"params: {{n: {value}}}\n")
    refused(cli("plan", "--specs", "specs", "--profile", "default", cwd=tmp_path), says)


@pytest.mark.parametrize("value", ["-3", "2.5", ".nan", "1e400"])
def test_profile_numbers_used_as_fan_out(tmp_path: Path, value: str):
    spec_set(tmp_path, {
        "a": "table: a\nrows: 10\ncolumns:\n" + ID,
        "b": "table: b\nparent: {table: a, count: {dist: uniform, min: 0, max: $n}}\ncolumns:\n"
             "  a_id: {type: bigint, references: a.id, gen: {ref: parent.id}}\n",
    }, f"params: {{n: {value}}}\n")
    refused(cli("plan", "--specs", "specs", "--profile", "default", cwd=tmp_path))


def test_a_huge_profile_number_is_refused_before_any_work(tmp_path: Path):
    spec_set(tmp_path, {
        "a": "table: a\nrows: $n\ncolumns:\n" + ID,
        "b": "table: b\nparent: {table: a, count: {dist: uniform, min: 0, max: 4}}\ncolumns:\n"
             "  a_id: {type: bigint, references: a.id, gen: {ref: parent.id}}\n",
    }, "params: {n: 9000000000000000000}\n")
    refused(cli("plan", "--specs", "specs", "--profile", "default", cwd=tmp_path), "specs/b.yaml:2:")


def test_integers_beyond_int64_in_a_spec(tmp_path: Path):
    spec_set(tmp_path, {"a": "table: a\nrows: 3\ncolumns:\n" + ID +
                        "  x: {type: bigint, gen: {uniform: {min: 0, max: 99999999999999999999}}}\n"})
    refused(cli("validate", "--specs", "specs", cwd=tmp_path), "specs/a.yaml:5:", "64 bits")
    refused(cli("compile", "--specs", "specs", "--profile", "default", "--dialect", "sqlite", "--out", "o",
                cwd=tmp_path), "64 bits")


@pytest.mark.parametrize("where", ["x >>>= (((", "x > 1; DROP TABLE a", "SELECT 1", "x = 'unterminated"])
def test_a_partial_index_condition_is_parsed_at_validate(tmp_path: Path, where: str):
    spec_set(tmp_path, {"a": "table: a\nrows: 3\ncolumns:\n" + ID +
                        "  x: {type: integer, gen: {uniform: {min: 0, max: 9}}}\n"
                        f"indexes:\n  - {{name: ix_a, columns: [x], where: {json.dumps(where)}}}\n"})
    refused(cli("validate", "--specs", "specs", cwd=tmp_path), "specs/a.yaml:7:", "indexes[0].where")


def test_a_sound_partial_index_condition_still_validates(tmp_path: Path):
    spec_set(tmp_path, {"a": "table: a\nrows: 3\ncolumns:\n" + ID +
                        "  x: {type: integer, nullable: true, gen: {uniform: {min: 0, max: 9}}}\n"
                        "indexes:\n  - {name: ix_a, columns: [x], unique: false, where: \"x IS NOT NULL AND x > 2\"}\n"})
    proc = cli("validate", "--specs", "specs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()


@pytest.mark.parametrize("data, says", [(b"ok\na\xff\xfeb\n", "words.txt:2:2"), (b"", "empty"), (b"\n\n", "empty")])
def test_a_pool_that_is_not_utf8_or_is_empty(tmp_path: Path, data: bytes, says: str):
    spec_set(tmp_path, {"a": "table: a\nrows: 3\ncolumns:\n" + ID + "  s: {type: text, gen: {pool: words}}\n"})
    (tmp_path / "specs" / "pools").mkdir()
    (tmp_path / "specs" / "pools" / "words.txt").write_bytes(data)
    refused(cli("validate", "--specs", "specs", cwd=tmp_path), says, located=False)
    refused(cli("compile", "--specs", "specs", "--profile", "default", "--dialect", "sqlite", "--out", "o",
                cwd=tmp_path), says, located=False)


@pytest.mark.parametrize("doc, says", [
    ({"a": 1}, "not a load report"), ([1, 2], "not a load report"), ("text", "not a load report"),
    ({"tables": {}, "dialect": "sqlite", "files": {}}, "manifest"),
    ({"profile": "p", "database": "d", "total_rows": 1, "seconds": 1.0, "verification": {"passed": 1}, "stages": {}},
     "verification.failed"),
])
def test_report_given_another_kind_of_json(tmp_path: Path, doc, says: str):
    f = tmp_path / "x.json"
    f.write_text(json.dumps(doc))
    refused(cli("report", str(f), cwd=tmp_path), "x.json", says, located=False)


@pytest.mark.parametrize("doc", [
    {"a": 1}, [1], "x",
    {"shard": 3, "tables": {}},
    {"shard": {"index": 1, "count": 2}, "tables": {"a": {"parts": 1, "files": [{"part": "0"}]}}},
])
def test_manifest_merge_given_another_kind_of_json(tmp_path: Path, doc):
    from specgen.output.shards import RUN_KEYS

    if isinstance(doc, dict) and "shard" in doc:
        doc = {**{k: "x" for k in RUN_KEYS}, **doc}
    d = tmp_path / "m"
    d.mkdir()
    (d / "manifest.shard-1-of-2.json").write_text(json.dumps(doc))
    refused(cli("manifest", "merge", str(d), cwd=tmp_path), "not a shard manifest", located=False)


@pytest.mark.parametrize("command", ["load", "verify"])
def test_a_sqlite_url_naming_a_directory(tmp_path: Path, command: str):
    spec_set(tmp_path, {"a": "table: a\nrows: 3\ncolumns:\n" + ID})
    assert cli("compile", "--specs", "specs", "--profile", "default", "--dialect", "sqlite", "--out", "o",
               cwd=tmp_path).returncode == 0
    (tmp_path / "dir").mkdir()
    refused(cli(command, "o", "--url", f"sqlite:///{tmp_path / 'dir'}", cwd=tmp_path), "directory", located=False)


def test_a_control_character_in_a_spec_file(tmp_path: Path):
    """Found by fuzzing: YAML's reader refused it with an error that was not located (exit 2)."""
    spec_set(tmp_path, {"a": "table: a\nrows: 1\ncolumns:\n" + ID + '  s: {type: text, gen: {const: "a\x08b"}}\n'})
    refused(cli("validate", "--specs", "specs", cwd=tmp_path), "specs/a.yaml:5:", "U+0008")
