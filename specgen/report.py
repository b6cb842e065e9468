"""``specgen generate``: compile + load + verify, and the load report.

The report (``reports/<profile>_load_report.json``) records what was produced and proven: rows
per table, time and rows/s per stage, every check with its result, the specgen version, seed and
spec hash. The database URL appears with its password redacted.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from specgen import __version__, dburl
from specgen.errors import SpecgenError

REPORT_DIR = Path("reports")


def generate(spec_dir, profile: str, url: str | None, *, out=None, seed=None, chunk_rows=None, workers=None,
             jobs: int = 1, mode: str = "fail", existing_schema=None, report_path=None, progress=None) -> dict:
    """``progress``: a factory ``(verb, totals) -> Progress`` (a context manager, entered for its
    stage only: one live display at a time), or None."""
    from specgen import api
    from specgen import load as loader
    from specgen import verify as verifier

    target = dburl.parse(url)
    out_dir = Path(out) if out else Path(api.default_out_dir(profile, target.dialect))
    stages: dict[str, dict] = {}
    loader.check_reachable(target)

    t = time.perf_counter()
    with _stage_progress(progress, "write", {}) as bars:
        manifest = api.compile(spec_dir, profile, target.dialect, out=out_dir, seed=seed, chunk_rows=chunk_rows,
                               workers=workers, progress=bars)
    rows = sum(e["rows"] for e in manifest["tables"].values())
    stages["compile"] = _stage(time.perf_counter() - t, rows)

    t = time.perf_counter()
    with _stage_progress(progress, "load", {t: e["rows"] for t, e in manifest["tables"].items()}) as bars:
        result = loader.load(out_dir, target, loader.Options(jobs=jobs, mode=mode, existing_schema=existing_schema),
                             bars)
    stages["load"] = _stage(time.perf_counter() - t, result.rows)
    for name, secs in result.stages.items():
        stages[f"load.{name}"] = {"seconds": round(secs, 3)}

    t = time.perf_counter()
    checks = verifier.run(out_dir, target, jobs=jobs)
    stages["verify"] = _stage(time.perf_counter() - t, None)

    failed = [c for c in checks if not c.ok]
    doc = {
        "specgen_version": __version__,
        "profile": profile,
        "seed": manifest["seed"],
        "spec_hash": manifest["spec_hash"],
        "dialect": target.dialect,
        "database": target.redacted(),
        "dump": str(out_dir),
        "total_rows": rows,
        "tables": {name: {"rows": e["rows"], "loaded_rows": result.tables[name].rows}
                   for name, e in manifest["tables"].items()},
        "stages": stages,
        "seconds": round(sum(s["seconds"] for k, s in stages.items() if "." not in k), 3),
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
        s = doc["stages"][name]
        rate = f", {s['rows_per_s']:,} rows/s" if s.get("rows_per_s") else ""
        lines.append(f"  {name:<8} {s['seconds']:>7.2f}s{rate}")
    lines.append(f"  report   {doc.get('report_path', '')}")
    return "\n".join(lines)
