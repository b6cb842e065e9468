"""``make bench``: throughput and memory of each stage, one isolated process per measurement.

Prints rows/s, MB/s and peak RSS per stage and writes ``.bench/results.json``. Figures are for
one core unless a stage says otherwise (``POLARS_MAX_THREADS=1`` for single-core stages).

Run a subset with ``python bench/bench.py generate`` (stage names are prefixes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "specs" / "examples" / "shop"
OUT = ROOT / ".bench"


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- stage bodies (run inside a child process) -----------------------------------------------------


def gen_memory(table: str, rows: int, profile: str = "bench") -> dict:
    """In-memory generation of ``rows`` rows of ``table``, batch by batch as writers consume it."""
    from specgen import api, engine

    plan = api.plan(SHOP, profile, estimate=False)
    rows = min(rows, plan.rows[table])
    engine.generate(plan, table, 0, 1000)  # warm-up: pools, caches
    t = time.perf_counter()
    nbytes = 0
    for batch in engine.batches(plan, table, 0, rows):
        nbytes += batch.to_frame().estimated_size()
    dt = time.perf_counter() - t
    ncols = len(plan.model.tables[table].stored)
    return {"rows": rows, "seconds": dt, "bytes": nbytes, "columns": ncols}


STAGES = {
    "generate/narrow (page_views, 5 cols)": (gen_memory, {"table": "page_views", "rows": 10_000_000}, 1),
    "generate/wide (customers, 11 cols)": (gen_memory, {"table": "customers", "rows": 2_000_000}, 1),
}


# -- driver ------------------------------------------------------------------------------------------


def _child(name: str) -> None:
    fn, kwargs, _ = STAGES[name]
    result = fn(**kwargs)
    result["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(result))


def run(name: str) -> dict:
    _, _, threads = STAGES[name]
    env = dict(os.environ)
    if threads:
        env.update(POLARS_MAX_THREADS=str(threads), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, __file__, "--child", name], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"stage {name} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        _child(argv[1])
        return
    wanted = [n for n in STAGES if not argv or any(n.startswith(a) for a in argv)]
    results = {}
    print(f"{'stage':<44} {'rows':>12} {'seconds':>8} {'rows/s':>12} {'MB/s':>8} {'peak RSS':>9}")
    for name in wanted:
        r = run(name)
        rps = r["rows"] / r["seconds"]
        mbs = r["bytes"] / r["seconds"] / 1e6
        results[name] = {**r, "rows_per_s": rps, "mb_per_s": mbs}
        print(f"{name:<44} {r['rows']:>12,} {r['seconds']:>8.2f} {rps:>12,.0f} {mbs:>8.1f} {r['peak_rss_mb']:>7.0f}MB",
              flush=True)
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
