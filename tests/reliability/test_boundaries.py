"""Group 5 of issue 18: writes stay under --out, other people's files are left alone, secrets
stay hidden, a refused load leaves nothing in the database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from relutil import cli, refused, spec_set

ID = "  id: {type: bigint, gen: sequence}\n"
TABLE = "table: a\nrows: 20\ncolumns:\n" + ID + "  v: {type: integer, gen: {uniform: {min: 0, max: 9}}}\n"


def _compile(tmp_path: Path, *extra, out: str = "o"):
    return cli("compile", "--specs", "specs", "--profile", "default", "--dialect", "sqlite", "--out", out, *extra,
               cwd=tmp_path)


def test_a_dialect_file_extension_cannot_lead_out_of_the_directory(tmp_path: Path):
    spec_set(tmp_path, {"a": TABLE})
    (tmp_path / "evil.yaml").write_text("extends: sqlite\nfile_extension: \"csv/../../../escaped\"\n")
    proc = cli("compile", "--specs", "specs", "--profile", "default", "--dialect", str(tmp_path / "evil.yaml"),
               "--out", "o", cwd=tmp_path)
    refused(proc, "file_extension", located=False)
    assert not list(tmp_path.rglob("*escaped*"))


@pytest.mark.parametrize("rel", ["../x", "data/../../x", "/etc/x", "data//x", "./x"])
def test_every_write_is_checked_to_stay_inside(tmp_path: Path, rel: str):
    from specgen.errors import SpecgenError
    from specgen.output.destination import Destination

    d = Destination(tmp_path / "out")
    with pytest.raises(SpecgenError, match="not a path inside"):
        d.write_text(rel, "x")
    with pytest.raises(SpecgenError, match="not a path inside"):
        d.remove(rel)


def test_a_shard_manifest_part_path_cannot_lead_out(tmp_path: Path):
    spec_set(tmp_path, {"a": TABLE})
    assert _compile(tmp_path, "--shard", "1/1", out="s").returncode == 0
    shard = next((tmp_path / "s").glob("manifest.shard-*.json"))
    doc = json.loads(shard.read_text())
    doc["tables"]["a"]["files"][0]["path"] = "../../escaped.csv"
    shard.write_text(json.dumps(doc))
    refused(cli("manifest", "merge", "s", "--out", "m", cwd=tmp_path), "not under data/", located=False)
    assert not list(tmp_path.parent.glob("escaped*")) and not list(tmp_path.glob("escaped*"))


def test_a_manifest_part_path_cannot_lead_the_loader_out(tmp_path: Path):
    spec_set(tmp_path, {"a": TABLE})
    assert _compile(tmp_path).returncode == 0
    m = tmp_path / "o" / "manifest.json"
    doc = json.loads(m.read_text())
    doc["tables"]["a"]["files"][0]["path"] = "../../../etc/passwd"
    m.write_text(json.dumps(doc))
    refused(cli("load", "o", "--url", f"sqlite:///{tmp_path / 't.db'}", cwd=tmp_path), "under data/", located=False)


def test_compiling_into_an_unrelated_directory_is_refused(tmp_path: Path):
    spec_set(tmp_path, {"a": TABLE})
    home = tmp_path / "home"
    (home / "data" / "a").mkdir(parents=True)
    (home / "notes.txt").write_text("precious")
    (home / "schema.sql").write_text("my own schema")
    refused(_compile(tmp_path, out="home"), "not a specgen dump", "--force", located=False)
    assert (home / "notes.txt").read_text() == "precious" and (home / "schema.sql").read_text() == "my own schema"
    assert _compile(tmp_path, "--force", out="home").returncode == 0
    assert (home / "notes.txt").read_text() == "precious"


def test_a_foreign_folder_under_data_is_refused(tmp_path: Path):
    spec_set(tmp_path, {"a": TABLE})
    (tmp_path / "home" / "data" / "photos").mkdir(parents=True)
    (tmp_path / "home" / "data" / "photos" / "cat.jpg").write_bytes(b"\xff")
    refused(_compile(tmp_path, out="home"), "data/photos", located=False)


def test_recompiling_a_dump_and_an_empty_directory_are_fine(tmp_path: Path):
    spec_set(tmp_path, {"a": TABLE})
    (tmp_path / "empty").mkdir()
    assert _compile(tmp_path, out="empty").returncode == 0
    assert _compile(tmp_path, out="empty").returncode == 0
    # a compile stopped before its manifest: only specgen's own files, so a rerun goes ahead
    (tmp_path / "empty" / "manifest.json").unlink()
    (tmp_path / "empty" / "data" / "a" / ".part-00001.csv.tmp-123-abcd1234").write_bytes(b"x")
    assert _compile(tmp_path, out="empty").returncode == 0


@pytest.mark.parametrize("url", [
    "postgresql://u:s3cr3tpw@host:port/db", "postgresql://u:s3cr3tpw@[bad/db", "mysql://u:s3cr3tpw@h:99999/db",
    "pg://u:s3cr3tpw@h/db", "postgresql://u:s3cr3tpw@/", "postgresql://u:s3cr3t@pw/x@h/db",
    "mysql://u:s3cr3tpw@h:abc/db", "postgresql://u:s3cr3tpw@127.0.0.1:1/db",
])
@pytest.mark.parametrize("command", ["load", "verify"])
def test_secrets_are_not_echoed_from_bad_urls(tmp_path: Path, url: str, command: str):
    spec_set(tmp_path, {"a": TABLE})
    assert _compile(tmp_path).returncode == 0
    proc = cli(command, "o", cwd=tmp_path, env={"DATABASE_URL": url})
    out = proc.stdout.decode() + proc.stderr.decode()
    assert proc.returncode == 1, out
    assert "s3cr3t" not in out, out


def test_a_refused_load_leaves_nothing_behind(tmp_path: Path):
    spec_set(tmp_path, {"a": TABLE})
    assert _compile(tmp_path).returncode == 0
    db = tmp_path / "t.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE a (id BIGINT, v INTEGER)")
        con.execute("INSERT INTO a VALUES (1, 1)")
    refused(cli("load", "o", "--url", f"sqlite:///{db}", cwd=tmp_path), "already hold rows", located=False)
    with sqlite3.connect(db) as con:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert names == ["a"] and con.execute("SELECT COUNT(*) FROM a").fetchone()[0] == 1


def test_a_truncated_faker_pool_is_refused(tmp_path: Path):
    """A pool built by `specgen pools` is checked against its sha256 in pools.lock.json."""
    from conftest import ROOT

    spec_set(tmp_path, {"a": "table: a\nrows: 3\ncolumns:\n" + ID + "  s: {type: text, gen: {pool: words}}\n"})
    pools = tmp_path / "specs" / "pools"
    pools.mkdir()
    (pools / "pools.lock.json").write_bytes((ROOT / "specs" / "pools" / "pools.lock.json").read_bytes())
    words = (ROOT / "specs" / "pools" / "words.txt").read_bytes()
    (pools / "words.txt").write_bytes(words)
    assert cli("validate", "--specs", "specs", cwd=tmp_path).returncode == 0
    (pools / "words.txt").write_bytes(words[: len(words) // 2])
    refused(cli("validate", "--specs", "specs", cwd=tmp_path), "words.txt", "pools.lock.json", located=False)
