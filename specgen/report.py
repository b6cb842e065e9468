"""``specgen generate``: compile + load + verify, and the load report.

When the compile runs in this process (small plans), the load keeps pace with it table by table
(``_LoadAlong``); otherwise it follows the compile.

The report (``reports/<profile>_load_report.json``) records what was produced and proven: rows
per table, time and rows/s per stage, every check with its result, the specgen version, seed,
spec hash and time window (as the manifest records it: ``--as-of`` moves it). The database URL
appears with its password redacted.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from pathlib import Path

from specgen import __version__, dburl
from specgen.errors import SpecgenError

REPORT_DIR = Path("reports")


def generate(spec_dir, profile: str, url: str | None, *, out=None, seed=None, chunk_rows=None, workers=None,
             jobs: int | None = 1, mode: str = "fail", existing_schema=None, report_path=None, progress=None,
             as_of: int | None = None, direct: bool | None = None, keep_dump=None, resume: bool = False) -> dict:
    """``progress``: a factory ``(verb, totals) -> Progress`` (a context manager, entered for its
    stage only: one live display at a time; a load that keeps pace with the compile shows its
    bars in the compile's display, ``Progress.alongside``), or None. ``as_of``: the window's end,
    epoch seconds already resolved (None: the profile's).

    ``direct`` (``specgen.direct``): the compile feeds the database sessions, no part file is
    written (``keep_dump``: a directory that receives them all the same). None: direct unless a
    dump directory is asked for (``out``) and the dump fits there. ``out`` then holds the small
    files (schema, manifest, verify.sql). ``resume``: finish a direct run that was stopped.
    ``jobs`` None: one session per core."""
    from specgen import api
    from specgen import load as loader

    target = dburl.parse(url)
    if keep_dump is not None:
        if out is not None and Path(out) != Path(keep_dump):
            raise SpecgenError("--keep-dump DIR is where the dump goes: it replaces --out.")
        out, direct = keep_dump, True
    if jobs is None:
        from specgen.compile import default_workers

        jobs = default_workers()
    if direct is None:
        direct = out is None or not _dump_fits(spec_dir, profile, target.dialect, out, seed, chunk_rows, as_of)
    if resume and not direct:
        raise SpecgenError("--resume finishes a direct run; for a dump directory use 'specgen load DIR --resume'.")
    if direct and out is not None:
        from specgen.destination import require_local

        out = require_local(out, "generate --direct")  # the small files sit beside the sessions
    out_dir = Path(out) if out else Path(api.default_out_dir(profile, target.dialect))
    loader.check_reachable(target)
    options = loader.Options(jobs=jobs, mode=mode, existing_schema=existing_schema, resume=resume)
    t0 = time.perf_counter()
    if direct:
        stages, manifest, result, rows = _direct(spec_dir, profile, target, out_dir, options, seed=seed,
                                                 chunk_rows=chunk_rows, workers=workers, progress=progress,
                                                 as_of=as_of, keep=keep_dump is not None)
    else:
        stages, manifest, result, rows = _via_dump(spec_dir, profile, target, out_dir, options, seed=seed,
                                                   chunk_rows=chunk_rows, workers=workers, progress=progress,
                                                   as_of=as_of)
    return _verify_and_report(profile, target, out_dir, jobs, stages, manifest, result, rows, t0, report_path,
                              direct=direct, keep=keep_dump is not None)


def _dump_fits(spec_dir, profile, dialect, out, seed, chunk_rows, as_of) -> bool:
    """Whether the dump asked for (``out``) fits there (compile's own check)."""
    from specgen import api
    from specgen import compile as comp
    from specgen.destination import Destination

    dest = Destination.of(str(out))
    if dest.local is None:
        return True
    p = api.plan(spec_dir, profile, seed=seed, chunk_rows=chunk_rows, estimate=False, as_of=as_of)
    try:
        comp.check_space(p, dest, [(t, k) for t in p.rows for k in range(p.tables[t].chunks)], comp.Options())
    except SpecgenError:
        return False
    return True


def _direct(spec_dir, profile, target, out_dir, options, *, seed, chunk_rows, workers, progress, as_of, keep):
    from specgen import api, direct
    from specgen import dialect as dialects

    t = time.perf_counter()
    p = api.plan(spec_dir, profile, seed=seed, chunk_rows=chunk_rows, estimate=False, as_of=as_of)
    plan_seconds = time.perf_counter() - t
    totals = dict(p.rows)
    with _stage_progress(progress, "load", totals) as bars:
        written = bars.alongside("write", totals) if hasattr(bars, "alongside") else None
        manifest, result = direct.run(p, dialects.load(target.dialect), target, out_dir, options, keep=keep,
                                      workers=workers, progress=bars, written=written)
    rows = sum(e["rows"] for e in manifest["tables"].values())
    stages = {"plan": _stage(plan_seconds, None), "load": _stage(result.seconds, result.rows)}
    stages["load"]["direct"] = True
    for name, secs in result.stages.items():
        stages[f"load.{name}"] = {"seconds": round(secs, 3)}
    return stages, manifest, result, rows


def _via_dump(spec_dir, profile, target, out_dir, options, *, seed, chunk_rows, workers, progress, as_of):
    from specgen import api
    from specgen import load as loader

    stages: dict[str, dict] = {}
    t = time.perf_counter()
    along = _LoadAlong(out_dir, target, options)
    with _stage_progress(progress, "write", {}) as bars:
        along.progress = bars.alongside("load", {}) if hasattr(bars, "alongside") else None
        try:
            manifest = api.compile(spec_dir, profile, target.dialect, out=out_dir, seed=seed, chunk_rows=chunk_rows,
                                   workers=workers, progress=bars, watch=along, as_of=as_of)
        except BaseException:
            along.stop()
            raise
        rows = sum(e["rows"] for e in manifest["tables"].values())
        stages["compile"] = _stage(time.perf_counter() - t, rows)
        if along.thread is not None:
            result = along.join()
            stages["load"] = _stage(time.perf_counter() - along.started_at, result.rows)
            stages["load"]["during_compile"] = round(t + stages["compile"]["seconds"] - along.started_at, 3)
    if along.thread is None:  # compiled by worker processes: the load follows
        t = time.perf_counter()
        with _stage_progress(progress, "load", {t: e["rows"] for t, e in manifest["tables"].items()}) as bars:
            result = loader.load(out_dir, target, options, bars)
        stages["load"] = _stage(time.perf_counter() - t, result.rows)
    for name, secs in result.stages.items():
        stages[f"load.{name}"] = {"seconds": round(secs, 3)}
    return stages, manifest, result, rows


def _verify_and_report(profile, target, out_dir, jobs, stages, manifest, result, rows, t0, report_path, *,
                       direct: bool, keep: bool) -> dict:
    from specgen import verify as verifier

    t = time.perf_counter()
    checks = verifier.run(out_dir, target, jobs=jobs)
    stages["verify"] = _stage(time.perf_counter() - t, None)

    failed = [c for c in checks if not c.ok]
    doc = {
        "specgen_version": __version__,
        "profile": profile,
        "seed": manifest["seed"],
        "spec_hash": manifest["spec_hash"],
        "window": manifest["window"],
        "dialect": target.dialect,
        "database": target.redacted(),
        "dump": str(out_dir),
        "direct": direct,  # the compile fed the database: no part files (unless kept)
        "part_files": not direct or keep,
        "total_rows": rows,
        "tables": {name: {"rows": e["rows"], "loaded_rows": result.tables[name].rows,
                          "resumed_parts": result.tables[name].skipped_parts}
                   for name, e in manifest["tables"].items()},
        "stages": stages,
        "seconds": round(time.perf_counter() - t0, 3),  # wall clock: the load may overlap the compile
        "verification": verifier.report(checks),
        "ok": not failed,
    }
    path = Path(report_path) if report_path else REPORT_DIR / f"{profile}_load_report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")
    doc["report_path"] = str(path)
    if failed:
        raise VerificationFailed(checks, str(path))
    return doc


class _LoadAlong:
    """A load that keeps pace with a compile running in this process (``compile_dir``'s watch):
    on a machine with a second core, the database takes each table while the next is written.

    The loader starts once ``schema.sql`` is written, with the manifest as it will be, and takes
    the tables in the compile's order as each is complete. A compile that fails stops it before
    the next table (what it committed stays, as after any stopped load); a load that fails is
    reported once the compile is done, so the dump is complete for ``specgen load``."""

    def __init__(self, out_dir: Path, target, options):
        self.out_dir, self.target, self.options = out_dir, target, options
        self.progress = None
        self.manifest: dict = {}  # as the compile will write it; entries filled as tables are done
        self.tables: list[str] = []
        self.thread: threading.Thread | None = None
        self.started_at = 0.0
        self.ready: queue.Queue = queue.Queue()
        self.result = None
        self.error: BaseException | None = None

    def started(self, manifest: dict) -> None:
        from specgen import load as loader

        self.tables = list(manifest["tables"])
        self.manifest = manifest
        self.started_at = time.perf_counter()
        if self.progress is not None:
            self.progress.totals.update({t: e["rows"] for t, e in manifest["tables"].items()})
        run = loader.Loader(self.out_dir, self.target, self.options, self.progress, manifest=manifest).run
        self.thread = threading.Thread(target=self._run, args=(run,), daemon=True)
        self.thread.start()

    def table_done(self, table: str, entry: dict) -> None:
        self.manifest["tables"][table] = entry
        self.ready.put(table)

    def stop(self) -> None:
        """The compile failed: the load ends before the next table."""
        if self.thread is not None:
            self.ready.put(None)
            self.thread.join()

    def join(self):
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.result

    def _run(self, run) -> None:
        try:
            self.result = run(ready=self._ready())
        except BaseException as exc:  # noqa: BLE001 - raised in the compiling thread
            self.error = exc

    def _ready(self):
        # The compile's order: tables without parts at once, then the biggest first.
        for _ in self.tables:
            table = self.ready.get()
            if table is None:
                raise SpecgenError("the load stopped: the compile failed")
            yield table


def _stage_progress(factory, verb: str, totals: dict):
    import contextlib

    return factory(verb, totals) if factory else contextlib.nullcontext()


def _stage(seconds: float, rows: int | None) -> dict:
    out = {"seconds": round(seconds, 3)}
    if rows is not None:
        out["rows"] = rows
        out["rows_per_s"] = round(rows / seconds) if seconds > 0 else None
    return out


class VerificationFailed(SpecgenError):
    """Some checks failed; the message names each of them."""

    def __init__(self, checks, report_path: str | None = None):
        from specgen.verify import table_text

        failed = [c for c in checks if not c.ok]
        self.checks = checks
        where = f" (report: {report_path})" if report_path else ""
        super().__init__(f"verification failed: {len(failed)} of {len(checks)} checks{where}\n"
                         + table_text(failed))


def summary(doc: dict) -> str:
    """A few lines for the terminal."""
    v = doc["verification"]
    lines = [f"{doc['profile']}: {doc['total_rows']:,} rows into {doc['database']} "
             f"in {doc['seconds']:.2f}s; {v['passed']} checks passed, {v['failed']} failed"]
    for name in ("compile", "load", "verify"):
        s = doc["stages"].get(name)
        if s is None:  # direct mode has no compile stage of its own
            continue
        rate = f", {s['rows_per_s']:,} rows/s" if s.get("rows_per_s") else ""
        along = f" ({s['during_compile']:.2f}s of it during the compile)" if s.get("during_compile") else ""
        if s.get("direct"):
            along = " (generated straight into the database, no part files)"
        lines.append(f"  {name:<8} {s['seconds']:>7.2f}s{rate}{along}")
    if "window" in doc:  # reports written before the window was recorded lack it
        lines.append(f"  window   {doc['window']['start']} .. {doc['window']['end']}")
    lines.append(f"  report   {doc.get('report_path', '')}")
    return "\n".join(lines)
