"""--as-of and ``window: {end: now}``: the whole time window moves to end at another instant.

Every timestamp moves by exactly the shift and nothing else changes; ``now`` is read once per run
and recorded in the manifest and the load report; bad values are user errors; the default output
is what it was; neither the model cache nor a worker's plan brings another run's window."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from conftest import ROOT, SHOP, run_cli, write_spec_set
from specgen import api
from specgen.engine import generators
from specgen.errors import SpecgenError
from specgen.output import manifest
from specgen.output import worker as write
from specgen.spec import checker, window

GATEWAY = ROOT / "specs"
MARCH = window.parse("2026-03-01")
SHIFT = 10 * 86400 + 3 * 3600 + 17  # not whole days or hours: nothing may round it away


def _digests(d: Path) -> dict[str, str]:
    return {p.relative_to(d).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*")) if p.is_file()}


class Clock:
    """A clock for ``window.now`` that counts its readings and moves an hour at each."""

    def __init__(self, start: float):
        self.t, self.reads = start, 0

    def __call__(self) -> float:
        self.reads += 1
        self.t += 3600
        return self.t - 3600


# -- parsing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "iso"), [
    ("2026-03-01", "2026-03-01T00:00:00Z"),                    # a date: its midnight UTC
    ("2026-03-01T12:30:00", "2026-03-01T12:30:00Z"),           # no zone: UTC
    ("2026-03-01T12:30:00Z", "2026-03-01T12:30:00Z"),
    ("2026-03-01T12:30:00+02:00", "2026-03-01T10:30:00Z"),
    ("2026-03-01T12:30:59.900Z", "2026-03-01T12:30:59Z"),      # fractions of a second dropped
    ("1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59Z"),        # ... downwards before 1970 too
])
def test_as_of_values(text, iso):
    assert window.iso(window.resolve(text)) == iso


def test_now_is_this_minute(monkeypatch):
    monkeypatch.setattr(window, "_clock", lambda: 1_772_000_059.7)
    assert window.resolve("now") == window.resolve(" NOW ") == 1_772_000_040
    assert window.resolve(None) is None


def test_api_takes_datetimes_dates_and_epoch_seconds():
    import datetime as dt

    assert api.plan(SHOP, "tiny", estimate=False, as_of=dt.date(2026, 3, 1)).model.profile.window_end == MARCH
    assert api.plan(SHOP, "tiny", estimate=False, as_of=dt.datetime(2026, 3, 1)).model.profile.window_end == MARCH
    p = api.plan(SHOP, "tiny", estimate=False, as_of=MARCH)
    assert p.to_dict()["window"] == {"start": "2025-03-01T00:00:00Z", "end": "2026-03-01T00:00:00Z"}


# -- everything moves together ----------------------------------------------------------------------


@pytest.mark.parametrize("specs", [GATEWAY, SHOP], ids=["gateway", "shop"])
def test_every_timestamp_moves_by_the_shift_and_nothing_else_changes(specs):
    a = api.plan(specs, "tiny", estimate=False, as_of=MARCH)
    b = api.plan(specs, "tiny", estimate=False, as_of=MARCH + SHIFT)
    assert b.model.profile.window_start - a.model.profile.window_start == SHIFT
    assert a.rows == b.rows
    moved = 0
    for t in a.rows:
        fa, fb = api.generate_table(a, t), api.generate_table(b, t)
        # Hourly rollups sit on whole hours of the clock, and their calls within those hours: they
        # move by the shift rounded to the hour grid.
        hour_grid = t.endswith("_metrics") or t.endswith("_metrics_hourly")
        for c in fa.columns:
            # ...and so does what is computed from them (an agent's last interaction).
            gen = a.model.tables[t].columns[c].gen
            from_hours = isinstance(gen, generators.Aggregate) and gen.table.endswith(("_metrics", "_metrics_hourly"))
            if isinstance(fa[c].dtype, pl.Datetime):
                assert fa[c].is_null().equals(fb[c].is_null()), f"{t}.{c}"
                delta = (fb[c] - fa[c]).dt.total_seconds().drop_nulls()
                if hour_grid or from_hours:
                    assert ((delta - SHIFT).abs() < 3600).all(), f"{t}.{c}: {delta.unique().to_list()[:5]}"
                else:
                    assert (delta == SHIFT).all(), f"{t}.{c}: {delta.unique().to_list()[:5]}"
                moved += len(delta)
            else:
                assert fa[c].equals(fb[c]), f"{t}.{c} changed with the window"
    assert moved > 100


def test_the_manifest_and_the_dump_id_record_the_window(tmp_path):
    ma = api.compile(SHOP, "tiny", "postgres", out=tmp_path / "a", workers=1, as_of="2026-03-01")
    mb = api.compile(SHOP, "tiny", "postgres", out=tmp_path / "b", workers=1, as_of="2026-03-02")
    assert ma["window"] == {"start": "2025-03-01T00:00:00Z", "end": "2026-03-01T00:00:00Z"}
    assert json.loads((tmp_path / "a" / "manifest.json").read_text())["window"] == ma["window"]
    assert mb["window"]["end"] == "2026-03-02T00:00:00Z"
    # The spec files are the same (the spec hash names them); the dumps are not: a load's ledger
    # must not take one for the other.
    assert ma["spec_hash"] == mb["spec_hash"]
    assert manifest.dump_id(ma) != manifest.dump_id(mb)


# -- the default is what it was ---------------------------------------------------------------------


def test_no_as_of_and_the_profiles_own_end_write_the_same_bytes(tmp_path):
    """Byte for byte what the profile's fixed window gives (golden tests pin those bytes)."""
    api.compile(GATEWAY, "tiny", "mysql", out=tmp_path / "default", workers=1)
    m = api.compile(GATEWAY, "tiny", "mysql", out=tmp_path / "same", workers=1, as_of="2026-01-01T00:00:00Z")
    assert _digests(tmp_path / "default") == _digests(tmp_path / "same")
    assert m["window"] == {"start": "2025-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}
    moved = api.compile(GATEWAY, "tiny", "mysql", out=tmp_path / "moved", workers=1, as_of="2026-01-02")
    changed = {p for p, d in _digests(tmp_path / "moved").items() if _digests(tmp_path / "default").get(p) != d}
    assert "manifest.json" in changed and "verify.sql" in changed
    assert moved["window"]["end"] == "2026-01-02T00:00:00Z"


# -- now: read once per run -------------------------------------------------------------------------


def test_now_is_read_once_per_compile_and_recorded(tmp_path, monkeypatch):
    clock = Clock(1_780_000_000.0)
    monkeypatch.setattr(window, "_clock", clock)
    m = api.compile(SHOP, "tiny", "sqlite", out=tmp_path / "d", workers=1, as_of="now")
    assert clock.reads == 1
    assert m["window"]["end"] == window.iso(1_780_000_000 - 1_780_000_000 % 60)


def test_a_profile_ending_now_and_the_model_cache(tmp_path, monkeypatch):
    """The cache holds the profile as written: each run reads the clock, none gets a cached instant."""
    monkeypatch.setenv("SPECGEN_CACHE_DIR", str(tmp_path / "cache"))
    specs = write_spec_set(tmp_path, {
        "a.yaml": "table: a\nrows: 50\ncolumns:\n  id: {type: bigint, gen: sequence}\n"
                  "  at: {type: timestamptz, gen: {timestamp: {}}}\n",
        "profiles/default.yaml": "window: {end: now, days: 30}\nseed: 1\n"})
    clock = Clock(1_780_000_000.0)
    monkeypatch.setattr(window, "_clock", clock)
    first = api.plan(specs, "default")
    assert len(list((tmp_path / "cache" / "models").iterdir())) == 1
    monkeypatch.setattr(checker, "_build_model", lambda *a: pytest.fail("built again"))
    second = api.plan(specs, "default")
    assert second.model.profile.window_end - first.model.profile.window_end == 3600
    delta = api.generate_table(second, "a")["at"] - api.generate_table(first, "a")["at"]
    assert (delta.dt.total_seconds() == 3600).all()


def test_the_model_cache_does_not_serve_another_runs_window(tmp_path, monkeypatch):
    monkeypatch.setenv("SPECGEN_CACHE_DIR", str(tmp_path / "cache"))
    ends = [api.plan(SHOP, "tiny", estimate=False, as_of=v).to_dict()["window"]["end"]
            for v in ("2026-03-01", "2027-05-05T05:05:05Z", None, "2026-03-01")]
    assert ends == ["2026-03-01T00:00:00Z", "2027-05-05T05:05:05Z", "2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z"]
    assert len(list((tmp_path / "cache" / "models").iterdir())) == 1  # one entry served all four


def test_a_worker_builds_its_plan_with_the_clients_window(tmp_path):
    """What a Dask worker does (it gets the job, not the plan): the job carries the resolved end."""
    from specgen.output import compile as comp
    from specgen.sql.dialect import load

    plan = api.plan(SHOP, "tiny", estimate=False, as_of="2030-06-01")
    job = comp.make_job(plan, load("postgres"), comp.Options(), str(tmp_path), "csv")
    assert job.window_end == window.parse("2030-06-01")
    write._PLANS.clear()
    try:
        assert write.plan_for(job).model.profile.window_end == job.window_end
        default = comp.make_job(api.plan(SHOP, "tiny", estimate=False), load("postgres"), comp.Options(),
                                str(tmp_path), "csv")
        assert write.plan_for(default).model.profile.window_end == window.parse("2026-01-01")
    finally:
        write._PLANS.clear()


def test_two_workers_write_what_one_writes(tmp_path):
    for n in (1, 2):
        api.compile(SHOP, "tiny", "postgres", out=tmp_path / f"w{n}", workers=n, chunk_rows=60, as_of="2030-06-01")
    assert _digests(tmp_path / "w1") == _digests(tmp_path / "w2")


# -- shards ---------------------------------------------------------------------------------------


def test_shards_merge_with_their_window_and_refuse_mixed_ones(tmp_path):
    kw = {"chunk_rows": 60, "workers": 1}
    api.compile(SHOP, "tiny", "postgres", out=tmp_path / "one", as_of="2030-06-01", **kw)
    for k in (1, 2):
        api.compile(SHOP, "tiny", "postgres", out=tmp_path / "run", shard=(k, 2), as_of="2030-06-01", **kw)
    api.compile(SHOP, "tiny", "postgres", out=tmp_path / "other", shard=(2, 2), as_of="2030-06-02", **kw)
    shutil.copytree(tmp_path / "run", tmp_path / "mixed")
    (tmp_path / "mixed" / "manifest.shard-2-of-2.json").unlink()
    proc = run_cli("manifest", "merge", str(tmp_path / "mixed"), str(tmp_path / "other"), "--specs", str(SHOP),
                   "--out", str(tmp_path / "merged-mixed"))
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "Traceback" not in err, err
    assert "window (ending 2030-06-01T00:00:00Z vs ending 2030-06-02T00:00:00Z)" in err
    m = api.merge_shards([tmp_path / "run"], spec_dir=SHOP)
    assert m["window"]["end"] == "2030-06-01T00:00:00Z"
    assert _digests(tmp_path / "run") == _digests(tmp_path / "one")


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "message"), [
    ("2026-13-01", "--as-of '2026-13-01': not an ISO-8601 date or time (e.g. 2026-03-01"),
    ("yesterday", "--as-of 'yesterday': not an ISO-8601 date or time"),
    ("1900-02-01", "--as-of 1900-02-01T00:00:00Z: the window of 365 days would start at 1899-02-01T00:00:00Z, "
                   "before 1900-01-01"),
    ("9999-12-01", "--as-of 9999-12-01T00:00:00Z: the window would end at 9999-12-01T00:00:00Z and times up to "
                   "379.1 days past it (the spec set's offsets: expiry dates), past 9999-12-31T23:59:59Z"),
])
@pytest.mark.parametrize("command", ["plan", "compile", "generate"])
def test_a_bad_as_of_is_a_user_error(tmp_path, command, value, message):
    args = ["--url", f"sqlite:///{tmp_path}/x.db"] if command == "generate" else []
    proc = run_cli(command, "--specs", str(GATEWAY), "-p", "tiny", "--as-of", value, *args, cwd=tmp_path)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "Traceback" not in err, err
    assert message in err
    assert not (tmp_path / "out").exists() and not (tmp_path / "x.db").exists()  # refused before anything


def test_validate_checks_a_window_ending_at_as_of():
    proc = run_cli("validate", "--specs", str(SHOP), "-p", "tiny", "--as-of", "1900-06-01")
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "profile 'tiny': the window of 365 days would start at 1899-06-01" in err, err
    assert run_cli("validate", "--specs", str(SHOP), "-p", "tiny", "--as-of", "now").returncode == 0


@pytest.mark.parametrize(("end", "message"), [
    ('"2026-13-01"', "tiny.yaml:1:15: window.end: not an ISO-8601 date or time: '2026-13-01'"),
    ("'1900-03-01'", "tiny.yaml:1:15: window.end: the window of 365 days would start at 1899-03-01T00:00:00Z, "
                     "before 1900-01-01"),
    ("9999-12-31", "tiny.yaml:1:15: window.end: the window would end at 9999-12-31T00:00:00Z and times up to "
                   "2 days past it"),
])
def test_a_bad_window_end_in_a_profile_is_located(tmp_path, end, message):
    """Found in the profile that writes the window, also through a profile extending it."""
    specs = write_spec_set(tmp_path, {
        "a.yaml": "table: a\nrows: 5\ncolumns:\n  id: {type: bigint, gen: sequence}\n"
                  "  at: {type: timestamptz, gen: {timestamp: {}}}\n"
                  "  until: {type: timestamptz, gen: {timestamp: {after: at, offset: {min: 1d, max: 2d}}}}\n",
        "profiles/tiny.yaml": f"window: {{end: {end}, days: 365}}\nseed: 1\n",
        "profiles/big.yaml": "extends: tiny\nseed: 2\n"})
    for args in (["validate"], ["plan", "-p", "big"]):
        proc = run_cli(*args, "--specs", str(specs))
        err = proc.stderr.decode()
        assert proc.returncode == 1 and "Traceback" not in err, err
        assert message in err and "big.yaml" not in err, err


# -- a whole run ending now -------------------------------------------------------------------------


def test_generate_as_of_now_into_sqlite_passes_verify(tmp_path):
    import time

    if not shutil.which("sqlite3"):
        pytest.skip("the sqlite3 client is not installed")
    before = int(time.time())
    report = tmp_path / "r.json"
    proc = run_cli("generate", "--specs", str(GATEWAY), "-p", "tiny", "--as-of", "now",
                   "--url", f"sqlite:///{tmp_path}/now.db", "--out", str(tmp_path / "o"), "--report", str(report))
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    doc = json.loads(report.read_text())
    assert doc["ok"] and doc["verification"]["failed"] == 0
    man = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert doc["window"] == man["window"]
    end = window.parse(man["window"]["end"])
    assert before - 60 <= end <= time.time() and end % 60 == 0
    assert f"window   {man['window']['start']} .. {man['window']['end']}" in err


def test_generate_reads_the_clock_once(tmp_path, monkeypatch):
    if not shutil.which("sqlite3"):
        pytest.skip("the sqlite3 client is not installed")
    clock = Clock(1_780_000_000.0)
    monkeypatch.setattr(window, "_clock", clock)
    doc = api.generate(SHOP, "tiny", f"sqlite:///{tmp_path}/db", out=tmp_path / "o", report=tmp_path / "r.json",
                       as_of="now")
    assert clock.reads == 1 and doc["ok"]
    assert doc["window"]["end"] == window.iso(1_780_000_000 - 1_780_000_000 % 60)


def test_api_errors_are_specgen_errors():
    with pytest.raises(SpecgenError, match="not an ISO-8601 date or time"):
        api.plan(SHOP, "tiny", as_of="13/01/2026")
    with pytest.raises(SpecgenError, match="not a date or time"):
        api.plan(SHOP, "tiny", as_of=True)


@pytest.mark.parametrize("as_of", ["1901-06-01", "2040-01-01T12:00:00Z"])
def test_windows_far_from_today_load_and_verify(db, tmp_path, as_of):
    """Every database takes, and verify reads back, times from 1900 to 9999: MariaDB's
    UNIX_TIMESTAMP, NULL outside 1970..2038, is replaced where the manifest's times leave it."""
    proc = run_cli("generate", "--specs", str(GATEWAY), "-p", "tiny", "--url", db.url, "--as-of", as_of,
                   "--out", str(tmp_path / "o"), "--report", str(tmp_path / "r.json"))
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads((tmp_path / "r.json").read_text())["ok"]


def test_mysql_verify_reads_epochs_outside_unix_timestamps_range(tmp_path):
    from specgen.sql import checks
    from specgen.sql.dialect import load

    def epoch_sql(as_of) -> str:
        plan = api.plan(SHOP, "tiny", estimate=False, as_of=as_of)
        m = api.compile(SHOP, "tiny", "mysql", out=tmp_path / str(as_of), workers=1, as_of=as_of)
        return "\n".join(q.sql for q in checks.build(plan.model, m, load("mysql")))

    assert "TIMESTAMPDIFF" not in epoch_sql(None)  # verify.sql of a default window keeps its bytes
    assert "TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', MAX(" in epoch_sql("2038-06-01")
    assert "TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', MIN(" in epoch_sql("1960-06-01")
