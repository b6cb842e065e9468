"""The load report of ``specgen generate``: what was produced and proven, as JSON and for the terminal.

The report (``reports/<profile>_load_report.json``) records rows per table, time and rows/s per
stage, every check with its result, the specgen version, seed, spec hash and time window (as the
manifest records it: ``--as-of`` moves it). The database URL appears with its password redacted.
"""

from __future__ import annotations

import json
from pathlib import Path

from specgen import __version__
from specgen.db import verify as verifier

REPORT_DIR = Path("reports")


def stage(seconds: float, rows: int | None) -> dict:
    """One stage's entry: seconds, and rows and rows/s where the stage moves rows."""
    out = {"seconds": round(seconds, 3)}
    if rows is not None:
        out["rows"] = rows
        out["rows_per_s"] = round(rows / seconds) if seconds > 0 else None
    return out


def document(manifest: dict, profile: str, target, out_dir: Path, result, stages: dict, seconds: float,
             checks: list, direct: bool = False, part_files: bool = True) -> dict:
    """The report of one run: ``manifest`` as the compile wrote it, the load's ``result``, the
    verification's ``checks``; ``direct``: generated straight into the database, ``part_files``
    whether the part files were written all the same."""
    return {
        "specgen_version": __version__,
        "profile": profile,
        "seed": manifest["seed"],
        "spec_hash": manifest["spec_hash"],
        "window": manifest["window"],
        "dialect": target.dialect,
        "database": target.redacted(),
        "dump": str(out_dir),
        "direct": direct,
        "part_files": part_files,
        "total_rows": sum(e["rows"] for e in manifest["tables"].values()),
        "tables": {name: {"rows": e["rows"], "loaded_rows": result.tables[name].rows,
                          "resumed_parts": result.tables[name].skipped_parts,
                          "loaded_as": result.tables[name].wire}
                   for name, e in manifest["tables"].items()},
        "stages": stages,
        "seconds": round(seconds, 3),  # wall clock: the load may overlap the compile
        "verification": verifier.report(checks),
        "ok": all(c.ok for c in checks),
    }


def write(doc: dict, path: str | Path | None) -> Path:
    """Write the report (default ``reports/<profile>_load_report.json``); returns its path."""
    path = Path(path) if path else REPORT_DIR / f"{doc['profile']}_load_report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


def load_report_problem(doc) -> str:
    """Why ``doc`` (parsed JSON) is not a load report that ``summary`` can print ("" if it is):
    a manifest or any other JSON file is named for what it is, not met with a KeyError."""
    if not isinstance(doc, dict):
        return f"a JSON {type(doc).__name__}, not an object"
    if "tables" in doc and "dialect" in doc and "files" in doc and "verification" not in doc:
        return "it is a specgen manifest (specgen report reads the reports of specgen generate)"
    want = {"profile": str, "database": str, "total_rows": int, "seconds": (int, float), "verification": dict,
            "stages": dict}
    for key, kind in want.items():
        if not isinstance(doc.get(key), kind):
            return f"no '{key}'"
    for key in ("passed", "failed"):
        if not isinstance(doc["verification"].get(key), int):
            return f"no 'verification.{key}'"
    for stage in ("compile", "load", "verify"):
        s = doc["stages"].get(stage)
        if s is None and stage == "compile":
            continue  # a direct run generates inside its load stage
        if not isinstance(s, dict) or not isinstance(s.get("seconds"), (int, float)):
            return f"no 'stages.{stage}.seconds'"
    w = doc.get("window")
    if w is not None and not (isinstance(w, dict) and "start" in w and "end" in w):
        return "'window' without 'start' and 'end'"
    return ""


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
