"""TPC-H stages of ``make bench``: the ``sf1`` compile of specs/examples/tpch on one worker, and the
same compile of a plain spec set of the same shape, so the cost of TPC-H's rules shows.

The plain set has the same tables, row counts (lineitem's included) and columns, each column of
the same type and about the same width, but plain generators: numbers uniform over the TPC-H column's range, uniform dates, and text
as one of 8 strings of the TPC-H column's mean length (a categorical: TPC-H's text comes from
word lists and pools too, which are as cheap to draw). It has no links, formulas, aggregates,
lookups, templates or keys, so the difference between the two stages is what TPC-H's rules cost:
the part and supplier rows every line looks up, the lines every order recomputes for its total
and status, the names, phones and addresses built per row.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TPCH = ROOT / "specs" / "examples" / "tpch"
OUT = ROOT / ".bench" / "tpch"
PROFILE = "sf1"


def _plain_specs(profile: str) -> Path:
    """A spec set with TPC-H's tables, rows and column types, plain generators (see module doc)."""
    import polars as pl

    from specgen import api, engine

    plan = api.plan(TPCH, profile, estimate=False)
    specs = OUT / "plain-specs"
    shutil.rmtree(specs, ignore_errors=True)
    (specs / "profiles").mkdir(parents=True)
    (specs / "profiles" / f"{profile}.yaml").write_text(yaml.safe_dump(
        {"seed": 1, "window": {"end": "1999-01-01", "days": 2557}}))
    for name, table in plan.model.tables.items():
        sample = engine.generate(plan, name, 0, min(plan.rows[name], 20_000)).to_frame()
        columns = {}
        for col in table.stored:
            kind = col.kind
            values = sample[col.name]
            if kind == "int":
                gen = {"uniform": {"min": int(values.min()), "max": int(values.max())}}
            elif kind == "float":
                gen = {"uniform": {"min": float(values.min()), "max": float(values.max()), "round": 2}}
            elif kind == "date":
                gen = {"timestamp": {}}
            else:
                width = max(1, round(values.cast(pl.String).str.len_chars().mean()))
                gen = {"categorical": {"values": [chr(65 + i) * width for i in range(8)]}}
            columns[col.name] = {"type": str(col.type), "gen": gen}
        doc = {"table": name, "rows": plan.rows[name], "columns": columns}
        (specs / f"{name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return specs


def compile_tpch(plain: bool = False, profile: str = PROFILE) -> dict:
    """Plan + compile to PostgreSQL CSV files on one worker, as ``specgen compile --workers 1``."""
    from specgen import api

    specs = _plain_specs(profile) if plain else TPCH
    out = OUT / ("plain" if plain else "tpch")
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    m = api.compile(specs, profile, "postgres", out=out, workers=1)
    dt = time.perf_counter() - t
    files = [f for e in m["tables"].values() for f in e["files"]]
    shutil.rmtree(out, ignore_errors=True)
    return {"rows": sum(f["rows"] for f in files), "seconds": dt, "bytes": sum(f["bytes"] for f in files),
            "columns": None}


def stages() -> dict:
    return {
        "tpch/sf1 compile, 1 worker": (compile_tpch, {}, 1),
        "tpch/sf1-shaped plain tables, 1 worker": (compile_tpch, {"plain": True}, 1),
    }


def summary(results: dict) -> list[str]:
    tpch, plain = results.get("tpch/sf1 compile, 1 worker"), results.get("tpch/sf1-shaped plain tables, 1 worker")
    if not (tpch and plain):
        return []
    return [f"TPC-H sf1 on one worker: {tpch['rows_per_s']:,.0f} rows/s, {tpch['mb_per_s']:.1f} MB/s, "
            f"{tpch['peak_rss_mb']:.0f} MB peak; plain tables of the same shape {plain['rows_per_s']:,.0f} rows/s, "
            f"{plain['mb_per_s']:.1f} MB/s, {plain['peak_rss_mb']:.0f} MB: the rules cost "
            f"{plain['rows_per_s'] / tpch['rows_per_s']:.2f}x the time"]
