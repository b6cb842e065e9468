"""Issue 6: the same bytes from one process, a process pool, a Dask cluster and hand-made shards;
fsspec destinations; shard and merge errors."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import fsspec
import pytest

from conftest import ROOT, SHOP, run_cli
from specgen import api
from specgen.errors import SpecgenError
from specgen.output import destination
from specgen.output import worker as write
from specgen.output.destination import Destination
from specgen.spec import bundle as specbundle

GATEWAY = ROOT / "specs"
CHUNK = "50"  # gateway tiny: 3,306 rows of 36 tables in 84 parts


def _digests(d: Path) -> dict[str, str]:
    return {p.relative_to(d).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*")) if p.is_file()}


def _compile(*args, cwd=None, env=None):
    return run_cli("compile", "--specs", str(GATEWAY), "-p", "tiny", "-d", "postgres", "--chunk-rows", CHUNK,
                   *args, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory):
    out = tmp_path_factory.mktemp("scale") / "w1"
    proc = _compile("--workers", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    digests = _digests(out)
    assert len([p for p in digests if p.startswith("data/")]) == 84
    assert {"manifest.json", "schema.sql", "post_data.sql", "load.psql", "verify.sql"} <= set(digests)
    return out, digests


# -- byte identity across every way of running ------------------------------------------------------


def test_two_workers_write_the_same_files(tmp_path, one_worker):
    proc = _compile("--workers", "2", "--out", str(tmp_path / "w2"))
    assert proc.returncode == 0, proc.stderr.decode()
    assert _digests(tmp_path / "w2") == one_worker[1]


def test_workers_receive_the_plan_through_a_file_that_is_removed(tmp_path, one_worker):
    # The pool's workers read the pickled plan from a temporary file, so they all start at once.
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    proc = _compile("--workers", "2", "--out", str(tmp_path / "w2"), env={"TMPDIR": str(tmpdir)})
    assert proc.returncode == 0, proc.stderr.decode()
    assert _digests(tmp_path / "w2") == one_worker[1]
    assert list(tmpdir.iterdir()) == []


def test_without_a_temporary_file_the_plan_goes_through_the_pipes(tmp_path, one_worker, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "/tmp")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    api.compile(GATEWAY, "tiny", "postgres", out=tmp_path / "w2", workers=2, chunk_rows=int(CHUNK))
    assert _digests(tmp_path / "w2") == one_worker[1]


def test_a_dask_local_cluster_writes_the_same_files(tmp_path, one_worker):
    m = api.compile(GATEWAY, "tiny", "postgres", out=tmp_path / "dask", chunk_rows=int(CHUNK), executor="dask",
                    workers=2)
    assert _digests(tmp_path / "dask") == one_worker[1]
    assert m == json.loads((one_worker[0] / "manifest.json").read_text())


def test_the_union_of_three_shards_merged_is_a_one_machine_run(tmp_path, one_worker):
    shared = tmp_path / "shared"
    parts = set()
    for k in (1, 2, 3):
        proc = _compile("--shard", f"{k}/3", "--workers", "1", "--out", str(shared))
        assert proc.returncode == 0, proc.stderr.decode()
        doc = json.loads((shared / f"manifest.shard-{k}-of-3.json").read_text())
        mine = {f["path"] for e in doc["tables"].values() for f in e["files"]}
        assert mine and not mine & parts  # every shard does some of the work, none does another's
        parts |= mine
    assert not (shared / "manifest.json").exists()  # incomplete until merged
    proc = run_cli("manifest", "merge", str(shared), "--specs", str(GATEWAY))
    assert proc.returncode == 0, proc.stderr.decode()
    assert _digests(shared) == one_worker[1]


def test_shards_in_separate_directories_merge_into_another(tmp_path, one_worker):
    for k in (1, 2):
        api.compile(GATEWAY, "tiny", "postgres", out=tmp_path / f"machine{k}", chunk_rows=int(CHUNK), workers=1,
                    shard=(k, 2))
    m = api.merge_shards([tmp_path / "machine1", tmp_path / "machine2"], out=tmp_path / "merged", spec_dir=GATEWAY)
    assert _digests(tmp_path / "merged") == one_worker[1]
    assert m == json.loads((one_worker[0] / "manifest.json").read_text())
    assert (tmp_path / "machine2" / "manifest.shard-2-of-2.json").exists()  # sources are left as they were


def test_a_full_run_replaces_shards_left_in_its_directory(tmp_path, one_worker):
    api.compile(GATEWAY, "tiny", "postgres", out=tmp_path, chunk_rows=50, workers=1, shard="2/4")
    api.compile(GATEWAY, "tiny", "postgres", out=tmp_path, chunk_rows=int(CHUNK), workers=1)
    assert _digests(tmp_path) == one_worker[1]


def test_workers_build_the_plan_from_the_shipped_spec_set(tmp_path, one_worker):
    """What a remote worker without the spec directory does: plan from the job's bundle."""
    plan = api.plan(GATEWAY, "tiny", chunk_rows=int(CHUNK), estimate=False)
    from specgen.output import compile as comp
    from specgen.sql.dialect import load

    job = comp.make_job(plan, load("postgres"), comp.Options(), str(tmp_path), "csv")
    remote = write.Job(**{**job.__dict__, "spec_dir": str(tmp_path / "not-on-this-worker"),
                          "bundle": specbundle.pack(plan.model)})
    write._PLANS.clear()
    result = write.write_part(remote, "tools", 0)
    expected = one_worker[1]["data/tools/part-00000.csv"]
    assert result["sha256"] == expected == hashlib.sha256((tmp_path / result["path"]).read_bytes()).hexdigest()
    assert write.plan_for(remote).model.spec_dir != str(GATEWAY)

    write._PLANS.clear()
    with pytest.raises(SpecgenError, match="spec set differs from the client's"):
        write.plan_for(write.Job(**{**job.__dict__, "spec_hash": "0" * 64}))
    with pytest.raises(SpecgenError, match="install the same version everywhere"):
        write.plan_for(write.Job(**{**job.__dict__, "specgen_version": "0.0.0-elsewhere"}))
    write._PLANS.clear()


# -- fsspec destinations ----------------------------------------------------------------------------


def test_memory_filesystem_holds_the_same_bytes(one_worker):
    fs = fsspec.filesystem("memory")
    try:
        api.compile(GATEWAY, "tiny", "postgres", out="memory://specgen-test/tiny", chunk_rows=int(CHUNK), workers=1)
        got = {}
        for path in fs.find("/specgen-test/tiny"):
            got[path.split("/specgen-test/tiny/", 1)[1]] = hashlib.sha256(fs.cat_file(path)).hexdigest()
        assert got == one_worker[1]
        assert not [p for p in got if ".tmp" in p]
    finally:
        fs.rm("/specgen-test", recursive=True)


def test_file_url_with_two_workers(tmp_path, one_worker):
    proc = _compile("--workers", "2", "--out", (tmp_path / "viaurl").as_uri())
    assert proc.returncode == 0, proc.stderr.decode()
    assert _digests(tmp_path / "viaurl") == one_worker[1]


def test_memory_needs_one_process_and_load_needs_a_local_directory(tmp_path):
    with pytest.raises(SpecgenError, match="lives in this process only"):
        api.compile(SHOP, "tiny", "postgres", out="memory://x", workers=2)
    proc = run_cli("load", "s3://bucket/dump", "--url", f"sqlite:///{tmp_path}/x.db")
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "reads local directories only" in err and "Traceback" not in err


@pytest.mark.parametrize("target", ["local", "memory"])
def test_a_failed_write_leaves_nothing(tmp_path, target):
    dest = Destination(tmp_path if target == "local" else "memory://specgen-fail")
    dest.write_text("data/t/part-00000.csv", "old\n")
    with pytest.raises(RuntimeError), dest.atomic("data/t/part-00000.csv") as f:
        f.write(b"half a part")
        raise RuntimeError("worker died")
    assert dest.read_bytes("data/t/part-00000.csv") == b"old\n"
    assert dest.listdir("data/t") == ["part-00000.csv"]
    dest.remove("data/t/part-00000.csv")
    assert dest.listdir("data/t") == []


def _cached_pages(path: Path) -> tuple[int, int]:
    """(pages of ``path`` in the page cache, pages in all), read with mincore(2)."""
    import ctypes
    import mmap

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    size = path.stat().st_size
    pages = -(-size // mmap.PAGESIZE)
    with open(path, "rb") as f:
        addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, f.fileno(), 0)
        assert addr not in (None, ctypes.c_void_p(-1).value), ctypes.get_errno()
        try:
            vec = ctypes.create_string_buffer(pages)
            assert libc.mincore(addr, size, vec) == 0, ctypes.get_errno()
        finally:
            libc.munmap(addr, size)
    return sum(b & 1 for b in vec.raw), pages


def test_bulk_parts_leave_the_page_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(destination, "DROP_STEP", 64 << 10)
    monkeypatch.setattr(destination._DropBehind, "last", None)
    dest = Destination(tmp_path)
    chunks = [os.urandom(48 << 10) for _ in range(24)]
    for name, drop in (("plain.bin", False), ("a.bin", True)):
        with dest.atomic(name, drop_behind=drop) as f:
            for c in chunks:
                f.write(c)
    os.sync()  # written back: clean pages the next part's completion can drop
    with dest.atomic("b.bin", drop_behind=True) as f:
        f.write(b"".join(chunks))
    plain, pages = _cached_pages(tmp_path / "plain.bin")
    assert plain == pages  # this filesystem caches what is written...
    assert _cached_pages(tmp_path / "a.bin") == (0, pages)  # ...but a bulk part leaves once the next is done
    with dest.atomic("small.bin", drop_behind=True) as f:  # below one step: not worth a system call
        f.write(b"x" * 1000)
    assert _cached_pages(tmp_path / "small.bin") == (1, 1)
    for name in ("plain.bin", "a.bin", "b.bin"):
        assert (tmp_path / name).read_bytes() == b"".join(chunks)


# -- errors: exit 1, a clear message, no traceback --------------------------------------------------


@pytest.mark.parametrize("shard,message", [
    ("0/3", "K must be between 1 and N"),
    ("4/3", "K must be between 1 and N"),
    ("x", "expected K/N"),
    ("1/0", "K must be between 1 and N"),
])
def test_bad_shard_is_a_clear_error(tmp_path, shard, message):
    proc = run_cli("compile", "--specs", str(SHOP), "-p", "tiny", "--shard", shard, "--out", str(tmp_path / "o"))
    err = proc.stderr.decode()
    assert proc.returncode == 1 and message in err and "Traceback" not in err, err
    assert not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def shop_shards(tmp_path_factory):
    root = tmp_path_factory.mktemp("shards")
    for k in (1, 2, 3):
        api.compile(SHOP, "tiny", "postgres", out=root / "run", chunk_rows=60, workers=1, shard=(k, 3))
    api.compile(SHOP, "tiny", "postgres", out=root / "other", chunk_rows=60, workers=1, shard=(2, 3), seed=99)
    return root


def _merge_fails(dirs, root, specs=SHOP) -> str:
    work = root / "work"
    shutil.rmtree(work, ignore_errors=True)
    for name, keep in dirs.items():
        shutil.copytree(root / name, work / name)
        for p in (work / name).glob("manifest.shard-*"):
            if p.name not in keep:
                p.unlink()
    proc = run_cli("manifest", "merge", *[str(work / n) for n in dirs], "--specs", str(specs))
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "Traceback" not in err, err
    assert not list(work.rglob("manifest.json"))
    return err


def test_merge_with_a_shard_missing(shop_shards):
    err = _merge_fails({"run": {"manifest.shard-1-of-3.json", "manifest.shard-3-of-3.json"}}, shop_shards)
    assert "missing shard 2/3 of this run (expected manifest.shard-2-of-3.json)" in err


def test_merge_of_shards_of_different_runs(shop_shards):
    err = _merge_fails({"run": {"manifest.shard-1-of-3.json", "manifest.shard-3-of-3.json"},
                        "other": {"manifest.shard-2-of-3.json"}}, shop_shards)
    assert "is not a shard of the same run as" in err and "seed (7 vs 99)" in err


def test_merge_of_a_shard_given_twice(shop_shards):
    work = shop_shards / "twice"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(shop_shards / "run", work / "a")
    shutil.copytree(shop_shards / "run", work / "b")
    proc = run_cli("manifest", "merge", str(work / "a"), str(work / "b"), "--specs", str(SHOP))
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "shard 1/3 appears twice" in err and "comes from two shards" in err
    assert "Traceback" not in err and not (work / "a" / "manifest.json").exists()


def test_merge_with_a_part_file_lost(shop_shards):
    work = shop_shards / "lost"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(shop_shards / "run", work)
    (work / "data/page_views/part-00001.csv").unlink()
    proc = run_cli("manifest", "merge", str(work), "--specs", str(SHOP))
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "data/page_views/part-00001.csv" in err and "missing" in err
    assert not (work / "manifest.json").exists()


def test_merge_needs_the_specs_the_shards_came_from(shop_shards):
    err = _merge_fails({"run": {"manifest.shard-1-of-3.json", "manifest.shard-2-of-3.json",
                                "manifest.shard-3-of-3.json"}}, shop_shards, specs=GATEWAY)
    assert "pass the spec directory they were compiled from with --specs" in err


def test_merge_of_a_directory_without_shards(tmp_path):
    proc = run_cli("manifest", "merge", str(tmp_path))
    assert proc.returncode == 1 and "no shard manifest" in proc.stderr.decode()


def test_a_spec_bundle_hashes_like_its_source(tmp_path):
    """Own pools and shared pools: the bundle a worker unpacks gives the same spec hash."""
    from conftest import write_spec_set
    from specgen.spec import bundle as specbundle

    specs = write_spec_set(tmp_path, {
        "t.yaml": "table: t\nrows: 5\ncolumns:\n  id: {type: integer, gen: sequence}\n"
                  "  a: {type: text, gen: {pool: zz_local}}\n  b: {type: text, gen: {pool: first_names}}\n",
        "pools/zz_local.txt": "one\ntwo\n",
    })
    model = api.model(specs, "default")
    root = specbundle.materialise(specbundle.pack(model), model.spec_hash)
    assert api.model(root, "default").spec_hash == model.spec_hash
