"""Load stages of ``make bench``: ``specgen load`` against the raw client on the same files.

For each database the shop example at profile ``medium`` (5.7M rows) is compiled once into
``.bench/dumps/<dialect>``. A raw run creates the tables from ``schema.sql`` (not timed) and then
times the bare client bulk commands over every part, as a person would type them: ``psql`` with
``\\copy``, ``mysql`` with ``LOAD DATA LOCAL INFILE``, ``sqlite3`` with ``.import``. The specgen
runs time ``specgen load`` on a fresh database: its data stage is what compares with raw (target
>= 90 %); the total adds keys, foreign keys, indexes and ANALYZE.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "specs" / "examples" / "shop"
DUMPS = ROOT / ".bench" / "dumps"
PROFILE = "medium"

PG = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres"]
MY = ["mysql", "-h", "127.0.0.1", "-uroot", "--local-infile=1"]


def dump(dialect: str) -> tuple[Path, dict]:
    """The compiled dump for ``dialect`` (compiled on first use)."""
    out = DUMPS / dialect
    if not (out / "manifest.json").is_file():
        from specgen import api

        api.compile(SHOP, PROFILE, dialect, out=out, workers=2)
    return out, json.loads((out / "manifest.json").read_text())


class _Database:
    """A fresh database (or SQLite file) for one run; dropped afterwards."""

    def __init__(self, dialect: str):
        self.dialect = dialect
        self.name = f"specgen_bench_{uuid.uuid4().hex[:8]}"
        self.path = DUMPS / f"{self.name}.db"

    def __enter__(self):
        if self.dialect == "postgres":
            subprocess.run([*PG, "-d", "postgres", "-c", f'CREATE DATABASE "{self.name}"'], check=True)
        elif self.dialect == "mysql":
            subprocess.run([*MY, "-e", f"CREATE DATABASE `{self.name}`"], check=True)
        return self

    def __exit__(self, *exc):
        if self.dialect == "postgres":
            subprocess.run([*PG, "-d", "postgres", "-c", f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'],
                           check=True)
        elif self.dialect == "mysql":
            subprocess.run([*MY, "-e", f"DROP DATABASE IF EXISTS `{self.name}`"], check=True)
        else:
            self.path.unlink(missing_ok=True)

    @property
    def url(self) -> str:
        if self.dialect == "postgres":
            return f"postgresql://postgres@127.0.0.1/{self.name}"
        if self.dialect == "mysql":
            return f"mysql://root@127.0.0.1/{self.name}"
        return f"sqlite:///{self.path}"

    def run_script(self, script: str, cwd: Path) -> None:
        if self.dialect == "postgres":
            args = [*PG, "-d", self.name]
        elif self.dialect == "mysql":
            args = [*MY, self.name]
        else:
            args = ["sqlite3", "-bail", str(self.path)]
        subprocess.run(args, input=script.encode(), cwd=cwd, check=True, capture_output=True)


def _raw_script(dialect: str, m: dict) -> str:
    lines = []
    if dialect == "mysql":
        lines.append("SET FOREIGN_KEY_CHECKS = 0; SET UNIQUE_CHECKS = 0; SET time_zone = '+00:00';")
    if dialect == "sqlite":
        lines.append("PRAGMA synchronous = OFF;")
    for table, e in m["tables"].items():
        cols = ", ".join(c["name"] for c in e["columns"])
        for f in e["files"]:
            if dialect == "postgres":
                lines.append(f"\\copy \"{table}\" ({cols}) FROM '{f['path']}' WITH (FORMAT csv)")
            elif dialect == "mysql":
                lines.append(f"LOAD DATA LOCAL INFILE '{f['path']}' INTO TABLE `{table}` CHARACTER SET utf8mb4 "
                             f"FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({cols});")
            else:
                lines.append(f".import --csv {f['path']} {table}")
    return "\n".join(lines) + "\n"


def raw(dialect: str) -> dict:
    out, m = dump(dialect)
    rows = sum(e["rows"] for e in m["tables"].values())
    size = sum(f["bytes"] for e in m["tables"].values() for f in e["files"])
    with _Database(dialect) as db:
        db.run_script((out / "schema.sql").read_text(), out)
        t = time.perf_counter()
        db.run_script(_raw_script(dialect, m), out)
        dt = time.perf_counter() - t
    return {"rows": rows, "seconds": dt, "bytes": size, "columns": None}


def specgen_load(dialect: str, jobs: int = 1, part: str = "data") -> dict:
    """``specgen load``; ``part`` = data (the bulk stage only) or total (with keys and ANALYZE)."""
    from specgen import api

    out, m = dump(dialect)
    rows = sum(e["rows"] for e in m["tables"].values())
    size = sum(f["bytes"] for e in m["tables"].values() for f in e["files"])
    with _Database(dialect) as db:
        result = api.load(out, db.url, jobs=jobs)
    seconds = result.stages["data"] + result.stages.get("null fix-ups", 0.0) if part == "data" else result.seconds
    return {"rows": rows, "seconds": seconds, "bytes": size, "columns": None}


def generate_small(runs: int = 5) -> dict:
    """``specgen generate --profile small`` into a new SQLite file, wall clock of the whole command
    (interpreter start-up and imports included): once with an empty cache directory (the first
    run after installing: no model, template or sqlglot answers remembered yet), then ``runs``
    times; the best of those, with their median and the best run's stages. Its peak RSS is the
    command's (``RUSAGE_CHILDREN``)."""
    import resource
    import statistics
    import sys
    import tempfile

    specgen = Path(sys.executable).parent / "specgen"
    work = DUMPS / "generate-small"
    cache = tempfile.mkdtemp(prefix="specgen-bench-cache-")
    env = {**os.environ, "SPECGEN_CACHE_DIR": cache}
    times, best, stages = [], None, {}
    for i in range(runs + 1):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        t = time.perf_counter()
        subprocess.run([str(specgen), "generate", "--profile", "small", "--url", f"sqlite:///{work / 'mcp.db'}",
                        "--out", str(work / "dump"), "--report", str(work / "report.json")],
                       check=True, capture_output=True, cwd=work, env=env)
        dt = time.perf_counter() - t
        if i == 0:
            cold = dt
            continue
        times.append(dt)
        if best is None or dt < best:
            best = dt
            report = json.loads((work / "report.json").read_text())
            stages = report["stages"]
    size = sum((work / "dump" / f["path"]).stat().st_size
               for e in json.loads((work / "dump" / "manifest.json").read_text())["tables"].values() for f in e["files"])
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    return {"rows": report["total_rows"], "seconds": best, "bytes": size, "columns": None,
            "median_seconds": statistics.median(times), "cold_seconds": cold, "stages": stages,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def summary(results: dict) -> list[str]:
    r = results.get(GENERATE_SMALL)
    if r is None:
        return []
    st = r["stages"]
    load = st["load"]
    along = f", {load['during_compile']:.2f} of it while compiling" if "during_compile" in load else ""
    return [f"generate --profile small into SQLite: best {r['seconds']:.2f} s, median {r['median_seconds']:.2f} s "
            f"of 5, first run after install (empty cache) {r['cold_seconds']:.2f} s (best run: compile "
            f"{st['compile']['seconds']:.2f}, load {load['seconds']:.2f}{along}, verify {st['verify']['seconds']:.2f} s; "
            "the rest is start-up and imports; target <= 1 s)"]


GENERATE_SMALL = "generate/small into SQLite, wall (best of 5)"


def stages() -> dict:
    out = {GENERATE_SMALL: (generate_small, {}, 0)}
    for d in ("postgres", "mysql", "sqlite"):
        tool = {"postgres": "psql \\copy", "mysql": "LOAD DATA", "sqlite": "sqlite3 .import"}[d]
        out[f"load/{d} raw {tool}"] = (raw, {"dialect": d}, 1)
        out[f"load/{d} specgen load (data)"] = (specgen_load, {"dialect": d}, 1)
        out[f"load/{d} specgen load (total)"] = (specgen_load, {"dialect": d, "part": "total"}, 1)
        if d != "sqlite":
            out[f"load/{d} specgen load --jobs 2 (data)"] = (specgen_load, {"dialect": d, "jobs": 2}, 1)
    return out


def clean() -> None:
    shutil.rmtree(DUMPS, ignore_errors=True)
