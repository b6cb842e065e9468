"""The manifest: what a compile wrote, and the facts ``specgen verify`` checks in the database.

``manifest.json`` is the contract with the loader and verifier (issue 5)::

    {"specgen_version", "spec_hash", "profile", "seed", "dialect", "format", "compression",
     "chunk_rows", "window": {"start", "end"}, ["encryption": {"<ENV>": "set" | "unset"}],
     "files": {"schema", "post_data", "load_script", "verify"},
     "tables": {"<table>": {"rows", "columns": [{"name", "type", "sql_type", "nullable", "kind",
                                                 ["encrypted": [{"scheme", "secret_env"}]]}],
                            "primary_key", "files": [{"path", "rows", "bytes", "sha256"}],
                            "stats": {"<column>": {"nulls", "sum", "min", "max", "sum_length",
                                                   "escaped"}}}}}

Column statistics are computed per batch, vectorised, and combined in part order, so they are
deterministic. Which keys a column has depends on its kind:

=========== ==========================================================================
int         ``nulls``, ``sum`` (exact, arbitrary precision), ``min``, ``max``
float       ``nulls``, ``sum`` (float64; the database may sum in another order), ``min``, ``max``
bool        ``nulls``, ``sum`` (number of true values)
timestamp   ``nulls``, ``min``, ``max`` (epoch seconds, UTC); date: days since the epoch
text, json  ``nulls``, ``sum_length`` (characters) unless the dialect normalises the type
bytes       ``nulls``, ``sum_length`` (bytes)
=========== ==========================================================================

A shard (``--shard K/N``) writes ``manifest.shard-K-of-N.json`` instead: the same header, the
shard's ``{"index": K, "count": N}``, the spec directory it was compiled from, the tables of the run with their part counts, and each part
the shard wrote with its statistics. ``specgen manifest merge`` folds the shards into
``manifest.json`` (``merge.merge``); the result is the manifest of a one-machine run.

``encryption`` (specs with encrypted columns only): whether each environment variable the specs
read a secret from was set; ``encrypted`` names the scheme and variable of a column's encrypted
values. Nothing derived from a secret is recorded.

``escaped`` (SQLite CSV only, when > 0): text values of the form ``^\\+N$`` written with one more
leading backslash; the load script strips it again. ``min``/``max`` are absent when every value
is NULL. No wall-clock time is recorded anywhere: reruns are byte-identical.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import polars as pl

from specgen import __version__
from specgen.engine.column import Column
from specgen.output.encode import null_mask

MANIFEST = "manifest.json"
SHARD_FILE = re.compile(r"^manifest\.shard-(\d+)-of-(\d+)\.json$")


def column_stats(col: Column, with_length: bool) -> dict:
    """Statistics of one batch of one column."""
    mask = null_mask(col)
    nulls = 0 if mask is None else int(mask.sum())
    out: dict = {"nulls": nulls}
    kind = col.kind
    if kind in ("text", "json", "bytes"):
        if with_length:
            if col.codes is not None and col._values is None:  # lengths of the distinct values, gathered
                d = col.dictionary
                lens = d.str.len_bytes() // 2 if kind == "bytes" else d.str.len_chars()
                lens = (lens.fill_null(0) if lens.null_count() else lens).to_numpy()
                per_row = lens[col.codes]
                total = int(per_row.sum() if mask is None else per_row[~mask].sum())
            else:
                s = col.values if mask is None else col.values.filter(pl.Series(~mask))
                total = int(s.str.len_bytes().sum() // 2) if kind == "bytes" else int(s.str.len_chars().sum())
            out["sum_length"] = total
        return out
    v = col.values if mask is None else col.values[~mask]
    if kind == "bool":
        out["sum"] = int(np.count_nonzero(v))
        return out
    if len(v) == 0:
        if kind in ("int", "float"):
            out["sum"] = 0 if kind == "int" else 0.0
        return out
    if kind == "int":
        # Exact: split into 32-bit halves so neither partial sum can overflow int64.
        hi = int(np.sum(v >> 32, dtype=np.int64))
        lo = int(np.sum(v & 0xFFFFFFFF, dtype=np.int64))
        out["sum"] = hi * (1 << 32) + lo
    elif kind == "float":
        with np.errstate(over="ignore", invalid="ignore"):
            total = float(np.sum(v))
        if math.isfinite(total):  # a sum that overflows float64 is not a checkable fact
            out["sum"] = total
    out["min"] = _scalar(v.min())
    out["max"] = _scalar(v.max())
    return out


def _scalar(x):
    return float(x) if isinstance(x, np.floating) else int(x)


def combine(acc: dict | None, part: dict) -> dict:
    """Fold the statistics of the next batch (or part) into ``acc``, in order."""
    if acc is None:
        return dict(part)
    out = dict(acc)
    for key, value in part.items():
        if key not in out:
            out[key] = value
        elif key == "min":
            out[key] = min(out[key], value)
        elif key == "max":
            out[key] = max(out[key], value)
        else:  # nulls, sum, sum_length, escaped
            out[key] = out[key] + value
    if "sum" in out and ("sum" not in part or "sum" not in acc):
        del out["sum"]  # one batch's float sum overflowed: the total is unknown
    elif isinstance(out.get("sum"), float) and not math.isfinite(out["sum"]):
        del out["sum"]
    return out


def table_entry(plan, dialect, table: str, files: list[dict], stats: dict[str, dict]) -> dict:
    from specgen.engine.encrypted import encrypted_columns

    spec = plan.model.tables[table]
    encrypted = encrypted_columns(plan.model, table)

    def column(c) -> dict:
        out = {"name": c.name, "type": str(c.type), "sql_type": dialect.sql_type(c.type), "nullable": c.nullable,
               "kind": c.kind}
        if (table, c.name) in encrypted:  # the scheme and the variable's name; nothing of the secret
            out["encrypted"] = [dict(t) for t in sorted({(("scheme", g.scheme), ("secret_env", g.env))
                                                         for g in encrypted[(table, c.name)]})]
        return out

    return {
        "rows": plan.rows[table],
        "columns": [column(c) for c in spec.stored],
        "primary_key": list(spec.primary_key),
        "files": files,
        "stats": {c.name: stats.get(c.name, {"nulls": 0}) for c in spec.stored},
    }


def window(plan) -> dict:
    """The run's time window, ``{"start", "end"}`` as ISO-8601 UTC: the profile's, or as
    ``--as-of`` moved it."""
    from specgen.engine.plan import _iso

    p = plan.model.profile
    return {"start": _iso(p.window_start), "end": _iso(p.window_end)}


def header(plan, dialect, *, fmt: str, compression: str, encryption: dict[str, bool] | None = None) -> dict:
    """What identifies a run: every shard of one run has the same header. ``encryption``: which
    secret variables were set (specs with encrypted columns only)."""
    p = plan.model.profile
    extra = {"encryption": {env: "set" if on else "unset" for env, on in encryption.items()}} if encryption else {}
    return {
        "specgen_version": __version__,
        "spec_hash": plan.model.spec_hash,
        "profile": p.name,
        "seed": plan.seed,
        "dialect": dialect.name,
        "format": fmt,
        "compression": compression,
        "chunk_rows": plan.chunk_rows,
        "window": window(plan),
        **extra,
    }


def dump_id(doc: dict) -> str:
    """What the loader's ledger calls a dump: its header and tables. Output is byte-reproducible,
    so they decide every part file - and they are known before the first part is written (a load
    can start while the compile runs; ``specgen load --resume`` later finds the same id)."""
    import hashlib

    keys = ("specgen_version", "spec_hash", "profile", "seed", "dialect", "format", "compression", "chunk_rows",
            "window")  # the spec files do not fix the window: --as-of moves it
    values = [doc.get(k) for k in keys] + ([doc["encryption"]] if "encryption" in doc else [])
    ident = json.dumps([values, list(doc["tables"])], sort_keys=True)
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


def build(plan, dialect, *, fmt: str, compression: str, files: dict, tables: dict[str, dict],
          encryption: dict[str, bool] | None = None) -> dict:
    return {**header(plan, dialect, fmt=fmt, compression=compression, encryption=encryption), "files": files,
            "tables": tables}


def shard_name(index: int, count: int) -> str:
    return f"manifest.shard-{index}-of-{count}.json"


def build_shard(plan, dialect, *, fmt: str, compression: str, shard: tuple[int, int], parts: dict[str, int],
                results: dict[str, dict[int, dict]], encryption: dict[str, bool] | None = None) -> dict:
    """A shard's manifest: ``parts`` is every table of the run with its number of parts, ``results``
    the parts this shard wrote (``results[table][part]``)."""
    return {
        **header(plan, dialect, fmt=fmt, compression=compression, encryption=encryption),
        "shard": {"index": shard[0], "count": shard[1]},
        "spec_dir": str(Path(plan.model.spec_dir).absolute()),  # where merge looks first, unless --specs
        "tables": {t: {"parts": n, "files": [{"part": part, **results[t][part]} for part in sorted(results[t])]}
                   for t, n in parts.items()},
    }


def dumps(doc: dict) -> str:
    return json.dumps(doc, indent=2) + "\n"
