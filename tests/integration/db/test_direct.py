"""Direct mode: ``specgen generate`` feeding the database sessions with no dump on disk, on
PostgreSQL, MariaDB and SQLite (and DuckDB's resume).

The database it fills must be the one a dump load gives (same manifest, byte for byte, so the
same checks and sums); a run killed with SIGKILL at a random point resumes with --resume and ends
exact; and a run whose process may not write a file as big as the dump completes.
"""

from __future__ import annotations

import json
import os
import random
import resource
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, SHOP, run_cli
from dbtargets import fresh, ledger_marks, q
from specgen import api

pytestmark = pytest.mark.db

GATEWAY = ROOT / "specs"
LEDGER = "specgen_load_ledger"


def counts(db, tables) -> dict[str, int]:
    return {t: int(db.query(f"SELECT COUNT(*) FROM {q(db, t)}")[0][0]) for t in tables}


def no_part_files(root) -> bool:
    return not any(p.name.startswith("part-") for p in root.rglob("*"))


@pytest.mark.parametrize("specs,profile", [(GATEWAY, "tiny"), (SHOP, "small")], ids=["gateway-tiny", "shop-small"])
def test_direct_generate_equals_a_dump_load(db, tmp_path, specs, profile):
    """Direct mode writes the manifest, verify.sql and DDL a compile writes, byte for byte (the
    same hashes, rows and per-column sums), loads every row, passes every check, and leaves no
    part file on disk."""
    out = tmp_path / "direct"
    report = tmp_path / "r.json"
    # PostgreSQL is sent binary COPY rows (every column type of these spec sets has a binary form).
    binary = ["--copy-format", "binary"] if db.dialect == "postgres" else []
    proc = run_cli("generate", "--specs", str(specs), "--profile", profile, "--url", db.url, "--out", str(out),
                   "--direct", "--chunk-rows", "20000", "--jobs", "2", "--report", str(report), *binary)
    assert proc.returncode == 0, proc.stderr.decode()
    doc = json.loads(report.read_text())
    assert doc["ok"] and doc["direct"] and not doc["part_files"] and doc["verification"]["passed"] > 50
    assert {e["loaded_as"] for e in doc["tables"].values()} == {"binary" if binary else "csv"}
    assert no_part_files(out) and not (out / "direct-parts.jsonl").exists()
    dump = tmp_path / "dump"
    api.compile(specs, profile, db.dialect, out=dump, workers=1, chunk_rows=20000)
    for name in ("manifest.json", "verify.sql", "schema.sql", "post_data.sql"):
        assert (out / name).read_bytes() == (dump / name).read_bytes(), name
    m = json.loads((dump / "manifest.json").read_text())
    assert counts(db, m["tables"]) == {t: e["rows"] for t, e in m["tables"].items()}
    assert ledger_marks(db) == ["schema:specgen"]


def test_keep_dump_writes_the_files_too(db, tmp_path):
    keep = tmp_path / "kept"
    proc = run_cli("generate", "--specs", str(SHOP), "--profile", "tiny", "--url", db.url, "--keep-dump", str(keep),
                   "--chunk-rows", "100", "--report", str(tmp_path / "r.json"))
    assert proc.returncode == 0, proc.stderr.decode()
    dump = tmp_path / "dump"
    api.compile(SHOP, "tiny", db.dialect, out=dump, workers=1, chunk_rows=100)
    files = sorted(p.relative_to(dump) for p in dump.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(keep) for p in keep.rglob("*") if p.is_file())
    assert all((keep / f).read_bytes() == (dump / f).read_bytes() for f in files)


def test_direct_into_an_existing_schema(db, tmp_path):
    """Into tables that exist with their constraints (as the gateway's alembic makes them):
    parents before children, each part checked by the live keys; SQLite fixes NULL markers on the
    way in without knowing the part's statistics yet."""
    dump = tmp_path / "dump"
    api.compile(SHOP, "tiny", db.dialect, out=dump, workers=1, chunk_rows=100)
    db.execute((dump / "schema.sql").read_text() if db.dialect != "mysql" else
               "SET FOREIGN_KEY_CHECKS=0; " + (dump / "schema.sql").read_text())
    db.execute((dump / "post_data.sql").read_text())
    out = tmp_path / "o"
    proc = run_cli("generate", "--specs", str(SHOP), "--profile", "tiny", "--url", db.url, "--out", str(out),
                   "--direct", "--chunk-rows", "100", "--jobs", "2", "--report", str(tmp_path / "r.json"))
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "existing schema" in err and json.loads((tmp_path / "r.json").read_text())["ok"]
    assert (out / "manifest.json").read_bytes() == (dump / "manifest.json").read_bytes()


def test_direct_run_killed_at_a_random_point_resumes_exactly(db, tmp_path):
    """SIGKILL (specgen, its worker processes and clients) after a random number of committed
    parts; --resume generates and loads exactly the parts the ledger lacks: every check passes
    (counts, NULLs, sums: nothing lost, nothing twice)."""
    _killed_and_resumed(db, tmp_path, "--jobs", "2")


def test_a_binary_copy_run_killed_at_a_random_point_resumes_exactly(tmp_path):
    """The same with PostgreSQL's binary COPY rows in the pipes (a part cut short by the kill is
    rolled back with its ledger row, whatever its format)."""
    with fresh("postgres", tmp_path) as db:
        _killed_and_resumed(db, tmp_path, "--jobs", "2", "--copy-format", "binary")
    doc = json.loads((tmp_path / "r.json").read_text())
    assert {e["loaded_as"] for e in doc["tables"].values()} == {"binary"}


def _killed_and_resumed(db, tmp_path, *extra: str) -> None:
    out, plan, parts, stop_at, args, proc = _started(db, tmp_path, *extra)

    def committed() -> int:
        try:
            return int(db.query(f"SELECT COUNT(*) FROM {q(db, LEDGER)}")[0][0])
        except Exception:  # noqa: BLE001 - the ledger may not exist yet
            return 0

    _kill_when(proc, out, lambda: committed() >= stop_at)
    resumed = _refused_then_resumed(db, tmp_path, out, plan, args)
    assert resumed >= stop_at - 1


def test_direct_duckdb_run_killed_at_a_random_point_resumes_exactly(duck_db, tmp_path):
    """As above for DuckDB, whose writer holds the file's lock so the ledger cannot be watched:
    the kill follows direct-parts.jsonl instead, where each part's line is written before its
    commit (one session: at most one part more than the ledger's). The ledger is read once
    specgen is gone."""
    db = duck_db
    out, plan, parts, stop_at, args, proc = _started(db, tmp_path)

    def written() -> int:
        try:
            return (out / "direct-parts.jsonl").read_bytes().count(b"\n")
        except FileNotFoundError:
            return 0

    _kill_when(proc, out, lambda: written() >= stop_at + 1)
    committed = [m for m in ledger_marks(db) if m.startswith("data/")]
    assert stop_at <= len(committed) < parts
    assert _refused_then_resumed(db, tmp_path, out, plan, args) == len(committed)
    assert ledger_marks(db) == ["schema:specgen"]


def _started(db, tmp_path, *extra: str):
    """A direct generate of the shop's small profile in parts of 4,000 rows (over 60), started in
    its own process group to be killed, and the number of committed parts to kill it after."""
    out = tmp_path / "o"
    plan = api.plan(SHOP, "small", chunk_rows=4000, estimate=False)
    parts = sum(plan.tables[t].chunks for t in plan.rows)
    assert parts > 60
    stop_at = random.Random().randint(3, parts // 2)
    args = ["generate", "--specs", str(SHOP), "--profile", "small", "--url", db.url, "--out", str(out), "--direct",
            "--chunk-rows", "4000", "--workers", "2", *extra, "--report", str(tmp_path / "r.json")]
    proc = subprocess.Popen([sys.executable, "-m", "specgen", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    return out, plan, parts, stop_at, args, proc


def _kill_when(proc, out, reached) -> None:
    """SIGKILL the run (specgen, its workers and clients) once ``reached()``; it must still be
    running then, and leaves no manifest behind."""
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and not reached():
        time.sleep(0.01)
    assert proc.poll() is None, f"the run finished before it could be killed: {proc.stderr.read().decode()[-2000:]}"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "manifest.json").exists()


def _refused_then_resumed(db, tmp_path, out, plan, args) -> int:
    """After a kill: the plain command refuses the rows left behind, naming --resume; --resume
    passes verify with exact counts and writes the manifest a compile writes. Returns the number
    of parts the resumed run found committed."""
    plain = run_cli(*args)
    assert plain.returncode == 1 and "--resume" in plain.stderr.decode(), plain.stderr.decode()
    again = run_cli(*args, "--resume")
    assert again.returncode == 0, again.stderr.decode()
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["ok"]
    assert counts(db, plan.rows) == plan.rows
    dump = tmp_path / "dump"
    api.compile(SHOP, "small", db.dialect, out=dump, workers=1, chunk_rows=4000)
    assert (out / "manifest.json").read_bytes() == (dump / "manifest.json").read_bytes()
    return sum(t["resumed_parts"] for t in doc["tables"].values())


def test_direct_run_writes_no_file_as_big_as_the_dump(server_db, tmp_path):
    """Under RLIMIT_FSIZE far below the dump's size (specgen and every process it starts may not
    write a bigger file) the run completes: the database server's disk is the only one used."""
    db = server_db
    plan = api.plan(SHOP, "small", estimate=True)
    limit = 2 << 20
    assert sum(plan.row_bytes(t) * n for t, n in plan.rows.items()) > 5 * limit

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    args = [sys.executable, "-m", "specgen", "generate", "--specs", str(SHOP), "--profile", "small", "--url", db.url,
            "--out", str(tmp_path / "o"), "--direct", "--report", str(tmp_path / "r.json")]
    proc = subprocess.run(args, capture_output=True, preexec_fn=small_files)
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads((tmp_path / "r.json").read_text())["ok"]
    # The same run through a dump fails: its part files do not fit under the limit.
    via = subprocess.run([*args[:-4], "--via-dump", "--truncate", "--out", str(tmp_path / "d")], capture_output=True,
                         preexec_fn=small_files)
    assert via.returncode != 0


def test_generate_is_direct_unless_a_dump_is_asked_for(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    proc = run_cli("generate", "--specs", str(SHOP), "--profile", "tiny", "--url", url, "--report",
                   str(tmp_path / "r.json"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads((tmp_path / "r.json").read_text())["direct"]
    assert no_part_files(tmp_path / "out")
    proc = run_cli("generate", "--specs", str(SHOP), "--profile", "tiny", "--url", url, "--truncate", "--out",
                   str(tmp_path / "d"), "--report", str(tmp_path / "r.json"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert not json.loads((tmp_path / "r.json").read_text())["direct"]
    assert not no_part_files(tmp_path / "d")
    bad = run_cli("generate", "--specs", str(SHOP), "--profile", "tiny", "--url", url, "--via-dump", "--resume",
                  cwd=tmp_path)
    assert bad.returncode == 1 and "--resume" in bad.stderr.decode()
