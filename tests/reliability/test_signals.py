"""Group 4 of issue 18: signals. A stopped command ends its workers and database sessions,
leaves no temporary file, and leaves a state that a rerun (``load --resume``) finishes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SHOP, run_cli
from relutil import spec_set
from specgen import api


def _start(args, cwd: Path) -> subprocess.Popen:
    env = {**os.environ}
    env.pop("SPECGEN_DEBUG", None)
    return subprocess.Popen([sys.executable, "-m", "specgen", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _wait_for(cond, timeout: float = 60.0, step: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return False


def _sigterm(proc: subprocess.Popen, ready) -> int:
    """SIGTERM to ``proc`` once ``ready()`` has returned (it waits and asserts); its exit code.
    Whatever happens, the process does not outlive the test."""
    try:
        ready()
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


def test_sigterm_stops_compile_workers_and_leaves_no_tmp(tmp_path: Path):
    out = tmp_path / "o"
    proc = _start(["compile", "--specs", str(SHOP), "--profile", "bench", "--dialect", "postgres", "--out", str(out),
                   "--workers", "2", "--chunk-rows", "200000"], tmp_path)
    workers: list[int] = []

    def ready() -> None:
        assert _wait_for(lambda: any(out.rglob(".part-*.tmp-*")), timeout=120), proc.stderr.read().decode()
        workers.extend(_children(proc.pid))

    rc = _sigterm(proc, ready)
    err = proc.stderr.read().decode()
    assert rc == 128 + signal.SIGTERM, err
    assert "Traceback" not in err and "panicked" not in err, err
    assert _wait_for(lambda: not any(_alive(w) for w in workers), timeout=10), "workers still running"
    assert not list(out.rglob("*.tmp-*")), list(out.rglob("*.tmp-*"))
    assert not (out / "manifest.json").exists()


def test_a_rerun_removes_temporary_parts_of_a_killed_compile(tmp_path: Path):
    """SIGKILL leaves no time to clean: the next compile into the directory does it."""
    spec_set(tmp_path, {"a": "table: a\nrows: 10\ncolumns:\n  id: {type: bigint, gen: sequence}\n"})
    args = ("compile", "--specs", "specs", "--profile", "default", "--dialect", "sqlite", "--out", "o")
    assert run_cli(*args, cwd=tmp_path).returncode == 0
    stale = tmp_path / "o" / "data" / "a" / ".part-00000.csv.tmp-4242-deadbeef"
    stale.write_bytes(b"half")
    (tmp_path / "o" / "manifest.json").unlink()
    assert run_cli(*args, cwd=tmp_path).returncode == 0
    assert not stale.exists()


def test_sigterm_in_process_compile_leaves_no_tmp(tmp_path: Path):
    """One worker, in the specgen process itself: its own part is removed."""
    out = tmp_path / "o"
    proc = _start(["compile", "--specs", str(SHOP), "--profile", "bench", "--dialect", "postgres", "--out", str(out),
                   "--workers", "1", "--tables", "page_views"], tmp_path)
    def ready() -> None:
        assert _wait_for(lambda: any(out.rglob(".part-*.tmp-*")), timeout=120)

    rc = _sigterm(proc, ready)
    assert rc == 128 + signal.SIGTERM
    assert not list(out.rglob("*.tmp-*"))


def _pg_sessions(target) -> int:
    rows = target.query(f"SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '{target.name}' "
                        "AND pid <> pg_backend_pid()")
    return int(rows[0][0])


@pytest.fixture
def pg(tmp_path):
    from conftest import _fresh_db

    yield from _fresh_db("postgres", tmp_path)


@pytest.mark.db
def test_a_load_stopped_while_building_keys_resumes(tmp_path: Path, pg):
    """Each key step commits with its ledger row: a rerun neither repeats one nor misses one."""
    out = tmp_path / "o"
    run_cli("compile", "--specs", str(SHOP), "--profile", "tiny", "--dialect", "postgres", "--out", str(out), check=True)
    post = out / "post_data.sql"
    good = post.read_text()
    # A step that fails after some keys are built: the load stops there, as if killed.
    marker = '-- specgen-step: {"phase": "keys", "table": "products"}'
    assert marker in good
    post.write_text(good.replace(marker, '-- specgen-step: {"phase": "keys", "table": "zz"}\n'
                                 'SELECT * FROM no_such_table;\n' + marker, 1))
    first = run_cli("load", str(out), "--url", pg.url, cwd=tmp_path)
    assert first.returncode == 1, first.stderr.decode()
    assert "no_such_table" in first.stderr.decode()
    post.write_text(good)
    again = run_cli("load", str(out), "--url", pg.url, "--resume", cwd=tmp_path)
    assert again.returncode == 0, again.stderr.decode()
    verified = run_cli("verify", str(out), "--url", pg.url, cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout.decode() + verified.stderr.decode()


@pytest.mark.db
def test_sigterm_to_load_ends_its_sessions_and_resume_finishes(tmp_path: Path, pg):
    out = tmp_path / "o"
    run_cli("compile", "--specs", str(SHOP), "--profile", "small", "--dialect", "postgres", "--out", str(out),
            "--chunk-rows", "20000", check=True)
    proc = _start(["load", str(out), "--url", pg.url, "--jobs", "2"], tmp_path)
    def ready() -> None:
        assert _wait_for(lambda: bool(_children(proc.pid)) or proc.poll() is not None, timeout=60)
        time.sleep(0.3)

    rc = _sigterm(proc, ready)
    err = proc.stderr.read().decode()
    assert "Traceback" not in err, err
    if rc == 0:
        pytest.skip("the load finished before the signal")
    assert rc == 128 + signal.SIGTERM, err
    assert _wait_for(lambda: _pg_sessions(pg) == 0, timeout=10), "a client session runs on"
    assert not [p for p in Path("/tmp").glob("specgen-load-*") if p.stat().st_mtime > time.time() - 120
                and any(p.iterdir())]
    again = run_cli("load", str(out), "--url", pg.url, "--resume", cwd=tmp_path)
    assert again.returncode == 0, again.stderr.decode()
    verified = run_cli("verify", str(out), "--url", pg.url, cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout.decode()[-3000:]


@pytest.mark.db
def test_sigterm_to_verify_ends_its_sessions(tmp_path: Path, pg):
    out = tmp_path / "o"
    run_cli("compile", "--specs", str(SHOP), "--profile", "small", "--dialect", "postgres", "--out", str(out), check=True)
    run_cli("load", str(out), "--url", pg.url, check=True)
    proc = _start(["verify", str(out), "--url", pg.url, "--jobs", "2"], tmp_path)
    rc = _sigterm(proc, lambda: _wait_for(lambda: bool(_children(proc.pid)) or proc.poll() is not None, timeout=60))
    assert rc in (0, 128 + signal.SIGTERM), proc.stderr.read().decode()
    assert _wait_for(lambda: _pg_sessions(pg) == 0, timeout=10), "a client session runs on"


@pytest.mark.db
def test_ctrl_c_in_a_program_calling_generate_stops_it_and_resume_finishes(tmp_path: Path, pg):
    """The Python API has no signal handler of its own: a KeyboardInterrupt must stop a direct
    generate (its sessions end, nothing more is loaded) instead of it loading every part first."""
    out = tmp_path / "o"
    program = ("import sys; from specgen import api; "
               f"api.generate({str(SHOP)!r}, 'small', {pg.url!r}, out={str(out)!r}, jobs=2, direct=True, "
               "chunk_rows=2000, workers=1)")
    proc = subprocess.Popen([sys.executable, "-c", program], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        assert _wait_for(lambda: (out / "direct-parts.jsonl").is_file() and (out / "direct-parts.jsonl").stat().st_size
                         or proc.poll() is not None, timeout=60)
        if proc.poll() is not None:
            pytest.skip("the run finished before the signal")
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = proc.stderr.read().decode()
    assert rc != 0 and "KeyboardInterrupt" in err, err[-3000:]
    assert _wait_for(lambda: _pg_sessions(pg) == 0, timeout=10), "a client session runs on"
    parts = (out / "direct-parts.jsonl").read_text().count("\n")
    total = sum(t.chunks for t in api.plan(SHOP, "small", chunk_rows=2000, estimate=False).tables.values())
    assert parts < total, "every part was loaded after the interrupt"
    again = run_cli("generate", "--specs", str(SHOP), "--profile", "small", "--url", pg.url, "--out", str(out),
                    "--chunk-rows", "2000", "--direct", "--resume", cwd=tmp_path)
    assert again.returncode == 0, again.stdout.decode()[-2000:] + again.stderr.decode()[-2000:]
