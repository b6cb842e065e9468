"""Scale stages of ``make bench`` (issue 6): workers, the gateway profiles, memory, loader --jobs.

Every stage compiles the MCP Gateway specs for PostgreSQL (CSV) with polars single-threaded, so
a worker is one core:

* ``scale/medium, 1 worker`` runs in one process pinned to one CPU (``sched_setaffinity``; the
  part writer's helper thread shares that CPU), ``scale/medium, 2 workers`` uses a process pool
  on both cores; their ratio is the speedup per core, and the second is the full ``medium``
  compile time (plan included, as a user waits for it);
* ``large`` and ``massive`` are too big for this disk: one shard each is compiled, and the
  full compile is extrapolated as plan time + rows / (shard rows per second);
* peak RSS is reported for the client process and for the largest worker;
* ``specgen load --jobs 1`` vs ``--jobs 2`` on one dump of two gateway tables (PostgreSQL and
  MariaDB), the data stage only: it is what parallel sessions speed up.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GATEWAY = ROOT / "specs"
OUT = ROOT / ".bench" / "scale"
LOAD_TABLES = ["server_metrics", "permission_audit_log"]  # medium: 5.2M rows, narrow and wide
PG = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres"]
MY = ["mysql", "-h", "127.0.0.1", "-uroot"]


def _rss_mb(who) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def compile_gateway(profile: str, workers: int, pin: bool = False, shard: str | None = None) -> dict:
    """Plan + compile (to files); ``seconds`` is the whole, ``write_seconds`` the part tasks."""
    if pin:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from specgen import api
    from specgen.output import compile as comp
    from specgen.output import shards
    from specgen.sql.dialect import load

    out = OUT / f"{profile}-{workers}"
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    plan = api.plan(GATEWAY, profile, estimate=False)
    t1 = time.perf_counter()
    options = comp.Options(workers=workers, shard=shards.parse(shard) if shard else None)
    m = comp.compile_dir(plan, load("postgres"), out, options)
    t2 = time.perf_counter()
    files = [f for e in m["tables"].values() for f in e["files"]]
    shutil.rmtree(out, ignore_errors=True)
    return {"rows": sum(f["rows"] for f in files), "seconds": t2 - t0, "bytes": sum(f["bytes"] for f in files),
            "columns": None, "plan_seconds": t1 - t0, "write_seconds": t2 - t1, "profile_rows": plan.total_rows,
            "workers": workers, "shard": shard, "worker_rss_mb": _rss_mb(resource.RUSAGE_CHILDREN)}


# -- loader -----------------------------------------------------------------------------------------


def _load_dump(dialect: str) -> tuple[Path, dict]:
    out = OUT / f"load-{dialect}"
    if not (out / "manifest.json").is_file():
        from specgen import api

        api.compile(GATEWAY, "medium", dialect, out=out, workers=2, tables=LOAD_TABLES)
    return out, json.loads((out / "manifest.json").read_text())


def load_jobs(dialect: str, jobs: int) -> dict:
    """``specgen load --jobs N`` into a fresh database; ``seconds`` is the data stage."""
    from specgen import api

    out, m = _load_dump(dialect)
    name = f"specgen_scale_{uuid.uuid4().hex[:8]}"
    if dialect == "postgres":
        url, create, drop = (f"postgresql://postgres@127.0.0.1/{name}", [*PG, "-c", f'CREATE DATABASE "{name}"'],
                             [*PG, "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])
    else:
        url, create, drop = (f"mysql://root@127.0.0.1/{name}", [*MY, "-e", f"CREATE DATABASE `{name}`"],
                             [*MY, "-e", f"DROP DATABASE IF EXISTS `{name}`"])
    subprocess.run(create, check=True, capture_output=True)
    try:
        result = api.load(out, url, jobs=jobs)
    finally:
        subprocess.run(drop, check=True, capture_output=True)
    files = [f for e in m["tables"].values() for f in e["files"]]
    return {"rows": result.rows, "seconds": result.stages["data"], "bytes": sum(f["bytes"] for f in files),
            "columns": None, "total_seconds": result.seconds, "jobs": jobs}


def stages() -> dict:
    return {
        "scale/tiny, 2 workers": (compile_gateway, {"profile": "tiny", "workers": 2}, 1),
        "scale/medium, 1 worker (pinned to 1 CPU)": (compile_gateway, {"profile": "medium", "workers": 1, "pin": True}, 1),
        "scale/medium, 2 workers": (compile_gateway, {"profile": "medium", "workers": 2}, 1),
        "scale/large shard 1/40, 2 workers": (compile_gateway, {"profile": "large", "workers": 2, "shard": "1/40"}, 1),
        "scale/massive shard 1/400, 2 workers": (compile_gateway, {"profile": "massive", "workers": 2,
                                                                    "shard": "1/400"}, 1),
        "scale/load postgres --jobs 1": (load_jobs, {"dialect": "postgres", "jobs": 1}, 1),
        "scale/load postgres --jobs 2": (load_jobs, {"dialect": "postgres", "jobs": 2}, 1),
        "scale/load mariadb --jobs 1": (load_jobs, {"dialect": "mysql", "jobs": 1}, 1),
        "scale/load mariadb --jobs 2": (load_jobs, {"dialect": "mysql", "jobs": 2}, 1),
    }


def summary(results: dict) -> list[str]:
    """The figures issue 6 asks for, from whichever scale stages ran."""
    lines = []
    one = results.get("scale/medium, 1 worker (pinned to 1 CPU)")
    two = results.get("scale/medium, 2 workers")
    if one and two:
        lines.append(f"compile speedup, 2 workers vs 1 (per core, polars single-threaded): "
                     f"{one['seconds'] / two['seconds']:.2f}x (target >= 1.8x)")
    if two:
        lines.append(f"medium compile, 2 workers: {two['seconds']:.1f} s for {two['rows']:,} rows, "
                     f"{two['bytes'] / 1e9:.1f} GB (target <= 60 s)")
    for name, r in results.items():
        if name.startswith("scale/") and r.get("shard"):
            rate = r["rows"] / r["write_seconds"]
            full = r["profile_rows"] / rate
            lines.append(f"{name.split()[0][6:]}: shard {r['shard']} wrote {r['rows']:,} rows at {rate:,.0f} rows/s "
                         f"-> all {r['profile_rows']:,} rows in about {(r['plan_seconds'] + full) / 60:,.1f} min "
                         f"on this machine ({r['plan_seconds']:.1f} s plan + {full / 60:,.0f} min of parts)")
    rss = [(n, r["peak_rss_mb"], r.get("worker_rss_mb", 0.0)) for n, r in results.items()
           if n.startswith("scale/") and "workers" in r]
    if rss:
        worst = max(max(a, b) for _, a, b in rss)
        lines.append("peak RSS (client / largest worker): " + "; ".join(
            f"{n[6:]} {a:.0f} / {b:.0f} MB" for n, a, b in rss)
            + f" -> max {worst:.0f} MB ({'within' if worst <= 1024 else 'OVER'} 1 GiB)")
    for db in ("postgres", "mariadb"):
        j1, j2 = results.get(f"scale/load {db} --jobs 1"), results.get(f"scale/load {db} --jobs 2")
        if j1 and j2:
            lines.append(f"load {db}: --jobs 1 {j1['rows_per_s']:,.0f} rows/s, --jobs 2 {j2['rows_per_s']:,.0f} "
                         f"rows/s ({j1['seconds'] / j2['seconds']:.2f}x; data stage, {j1['rows']:,} rows)")
    return lines
