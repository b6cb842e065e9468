"""``--shard K/N`` and ``specgen manifest merge``: one compile split by hand across machines.

As TPC dbgen's ``-C N -S K``, each machine runs the same command with its own K. The (table,
part) tasks of a run, in table and part order, are dealt round-robin: shard K writes tasks
K-1, K-1+N, K-1+2N... - a deterministic split with about the same number of parts everywhere and
every table spread over all shards. Since every cell is a pure function of (seed, table, column,
row), a part's bytes do not depend on which machine wrote it.

A shard writes its part files and ``manifest.shard-K-of-N.json`` (the part list and per-part
statistics). ``merge`` checks that the shards belong to one run and cover it exactly once, copies
parts into the output directory when they sit elsewhere, and renders what needs the whole
picture (``compile.finish``: schema, post-data, load script, verify.sql, manifest.json) exactly as
a one-machine run does, so the merged directory is byte-identical to it.
"""

from __future__ import annotations

import json
import re

from specgen.errors import SpecgenError
from specgen.output import manifest
from specgen.output.destination import Destination

# Header fields every shard of a run shares.
RUN_KEYS = ("specgen_version", "spec_hash", "profile", "seed", "dialect", "format", "compression", "chunk_rows",
            "window", "encryption")
OPTIONAL_KEYS = ("encryption",)  # only in runs of specs with encrypted columns


def parse(value) -> tuple[int, int]:
    """``"2/8"`` (or ``(2, 8)``) as (K, N) with 1 <= K <= N."""
    if isinstance(value, tuple) and len(value) == 2:
        k, n = value
    else:
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(value))
        if not m:
            raise SpecgenError(f"--shard {value!r}: expected K/N, e.g. --shard 2/8 for shard 2 of 8.")
        k, n = int(m.group(1)), int(m.group(2))
    if not (isinstance(k, int) and isinstance(n, int)) or n < 1 or not 1 <= k <= n:
        raise SpecgenError(f"--shard {value!r}: K must be between 1 and N (shards are numbered 1..N), "
                           f"e.g. --shard 1/{max(n, 2) if isinstance(n, int) else 2}.")
    return k, n


def select(tasks: list, k: int, n: int) -> list:
    """Shard K of N of an ordered task list (round-robin)."""
    return tasks[k - 1 :: n]


# -- merge ------------------------------------------------------------------------------------------


def short(value) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text[:12] + "…" if len(text) > 16 else text


def _differ(key: str, value) -> str:
    # Windows differ by their end (--as-of); a shortened JSON of both would hide it.
    if key == "window" and isinstance(value, dict):
        return f"ending {value.get('end')}"
    return short(value)


def read_shards(dirs: list[str]) -> list[tuple[Destination, str, dict]]:
    """Every shard manifest found in ``dirs``: (directory, file name, document)."""
    found, problems = [], []
    for src in {Destination.of(d).url: Destination.of(d) for d in dirs}.values():  # each directory once
        names = [n for n in src.listdir() if manifest.SHARD_FILE.match(n)]
        if not names:
            hint = " (it holds a complete manifest.json already)" if src.exists(manifest.MANIFEST) else ""
            problems.append(f"{src}: no shard manifest (manifest.shard-K-of-N.json){hint}; "
                            "compile each shard with --shard K/N first.")
        for name in names:
            try:
                doc = json.loads(src.read_bytes(name))
            except ValueError as exc:
                problems.append(f"{src}/{name}: not a shard manifest ({exc}).")
                continue
            missing = [k for k in ("shard", "tables", *RUN_KEYS)
                       if k not in OPTIONAL_KEYS and (not isinstance(doc, dict) or k not in doc)]
            if missing:
                problems.append(f"{src}/{name}: not a shard manifest (no {', '.join(missing)}).")
                continue
            why = _shape_problem(doc)
            if why:
                problems.append(f"{src}/{name}: not a shard manifest ({why}).")
                continue
            found.append((src, name, doc))
    if problems:
        raise SpecgenError("\n".join(problems))
    return found


def safe_part_path(path) -> bool:
    """A part's path as a manifest may name it: relative, under ``data/``, without ``..``: a
    merge copies to it and a load reads it, so it must not lead out of the directory."""
    if not isinstance(path, str) or not path.startswith("data/") or "\\" in path or "\0" in path:
        return False
    return all(seg not in ("", ".", "..") for seg in path.split("/"))


def _shape_problem(doc: dict) -> str:
    """What makes a JSON document with a shard manifest's keys unusable as one ("" if nothing)."""
    sh = doc["shard"]
    if not (isinstance(sh, dict) and all(isinstance(sh.get(k), int) and not isinstance(sh.get(k), bool)
                                         for k in ("index", "count")) and 1 <= sh["index"] <= sh["count"]):
        return "'shard' is not {index: K, count: N} with 1 <= K <= N"
    if not isinstance(doc["tables"], dict):
        return "'tables' is not an object"
    for t, e in doc["tables"].items():
        if not isinstance(e, dict) or not isinstance(e.get("parts"), int) or not isinstance(e.get("files"), list):
            return f"table '{t}' has no 'parts' and 'files'"
        for f in e["files"]:
            if not isinstance(f, dict) or not isinstance(f.get("part"), int) or not isinstance(f.get("sha256"), str):
                return f"a file of table '{t}' has no 'part', 'path' and 'sha256'"
            if not safe_part_path(f.get("path")):
                return f"part path {f.get('path')!r} of table '{t}' is not under data/"
    return ""


def check(found: list[tuple[Destination, str, dict]]) -> dict[str, dict[int, tuple[Destination, dict]]]:
    """The parts of the run, ``parts[table][part] = (directory, entry)``; errors when the shards
    are not exactly the N shards of one run."""
    problems = []
    ref_src, ref_name, ref = found[0]
    where = f"{ref_src}/{ref_name}"
    for src, name, doc in found[1:]:
        diffs = [f"{k} ({_differ(k, ref.get(k))} vs {_differ(k, doc.get(k))})" for k in RUN_KEYS
                 if doc.get(k) != ref.get(k)]
        if doc["shard"]["count"] != ref["shard"]["count"]:
            diffs.append(f"shard count ({ref['shard']['count']} vs {doc['shard']['count']})")
        if {t: e["parts"] for t, e in doc["tables"].items()} != {t: e["parts"] for t, e in ref["tables"].items()}:
            diffs.append("tables")
        if diffs:
            problems.append(f"{src}/{name} is not a shard of the same run as {where}: they differ in "
                            + ", ".join(diffs) + ".")
    if problems:
        raise SpecgenError("\n".join(problems))
    count = ref["shard"]["count"]
    seen: dict[int, str] = {}
    for src, name, doc in found:
        k = doc["shard"]["index"]
        if k in seen:
            problems.append(f"shard {k}/{count} appears twice: {seen[k]} and {src}/{name}.")
        seen[k] = f"{src}/{name}"
    missing = [k for k in range(1, count + 1) if k not in seen]
    if missing:
        problems.append(f"missing shard{'s' if len(missing) > 1 else ''} "
                        + ", ".join(f"{k}/{count}" for k in missing)
                        + f" of this run (expected {', '.join(manifest.shard_name(k, count) for k in missing)}).")
    parts: dict[str, dict[int, tuple[Destination, dict]]] = {t: {} for t in ref["tables"]}
    owner: dict[tuple[str, int], str] = {}
    for src, name, doc in found:
        for t, e in doc["tables"].items():
            for f in e["files"]:
                if f["part"] in parts[t]:
                    problems.append(f"{f['path']} comes from two shards ({owner[(t, f['part'])]} and {src}/{name}).")
                parts[t][f["part"]] = (src, f)
                owner[(t, f["part"])] = f"{src}/{name}"
    if not missing:
        for t, e in ref["tables"].items():
            absent = [p for p in range(e["parts"]) if p not in parts[t]]
            if absent:
                problems.append(f"table {t}: parts {absent[:5]} are in no shard manifest.")
    if problems:
        raise SpecgenError(_listing(problems))
    return parts


def _listing(problems: list[str], cap: int = 10) -> str:
    more = [f"... and {len(problems) - cap} more"] if len(problems) > cap else []
    return "\n".join(problems[:cap] + more)
