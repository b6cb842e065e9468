"""``specgen manifest merge``: the shard manifests of ``--shard K/N`` runs become one dump directory.

Every shard's part files are checked (sha256) as they are copied into place, the plan is rebuilt
from the same spec set and window, and the directory is finished as a one-machine compile
finishes it (``compile.finish``): the result is byte for byte the one-machine run's.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from specgen import spec
from specgen.errors import SpecgenError
from specgen.output import compile, manifest, shards
from specgen.output.destination import Destination
from specgen.resources import default_spec_dir
from specgen.spec import window
from specgen.sql import dialect as dialects

_COPY_BLOCK = 8 << 20


def _copy(src: Destination, dest: Destination, entry: dict) -> None:
    """Copy one part between directories, checking its sha256 on the way."""
    sha = hashlib.sha256()
    with src.open_read(entry["path"]) as r, dest.atomic(entry["path"]) as w:
        while block := r.read(_COPY_BLOCK):
            sha.update(block)
            w.write(block)
        if sha.hexdigest() != entry["sha256"]:
            raise SpecgenError(f"{src}/{entry['path']}: its sha256 differs from its shard manifest; recompile that shard.")


def _window_end(ref: dict) -> int:
    try:
        return window.parse(ref["window"]["end"])
    except (TypeError, KeyError, ValueError):
        raise SpecgenError(f"the shard manifests' window {shards.short(ref.get('window'))} has no ISO-8601 end; "
                           "were they written by specgen?") from None


def merge(dirs: list[str], out: str | None = None, spec_dir=None, dialect: str | None = None) -> dict:
    """Fold the shard manifests found in ``dirs`` into a complete dump directory (``out``, default
    the first of ``dirs``); returns the manifest, which equals a one-machine run's."""
    if not dirs:
        raise SpecgenError("manifest merge: name at least one directory holding shards.")
    found = shards.read_shards([str(d) for d in dirs])
    parts = shards.check(found)
    ref = found[0][2]
    if spec_dir is None and ref.get("spec_dir") and Path(ref["spec_dir"], "profiles").is_dir():
        spec_dir = ref["spec_dir"]  # the shards' own spec set, when this machine has it (hash checked below)
    # The shards' window, which --as-of may have moved from the profile's (checked equal among them).
    plan = spec.build_plan(spec_dir or default_spec_dir(), ref["profile"], seed=ref["seed"],
                           chunk_rows=ref["chunk_rows"], estimate=False, as_of=_window_end(ref))
    if plan.model.spec_hash != ref["spec_hash"]:
        raise SpecgenError(f"the shards were compiled from specs with hash {ref['spec_hash'][:12]}…, but "
                           f"{plan.model.spec_dir} has {plan.model.spec_hash[:12]}…: pass the spec directory they "
                           "were compiled from with --specs.")
    if manifest.window(plan) != ref["window"]:
        raise SpecgenError(f"the shards' window ({ref['window']['start']} .. {ref['window']['end']}) is not the "
                           f"one profile '{ref['profile']}' of {plan.model.spec_dir} gives for that end.")
    try:
        d = dialects.load(dialect or ref["dialect"])
    except SpecgenError as exc:
        raise SpecgenError(f"{exc} The shards are for dialect '{ref['dialect']}': pass its YAML file with "
                           "--dialect.") from None
    if d.name != ref["dialect"]:
        raise SpecgenError(f"--dialect {dialect} is '{d.name}', the shards were compiled for '{ref['dialect']}'.")
    wrong = [t for t, e in ref["tables"].items() if t not in plan.tables or plan.tables[t].chunks != e["parts"]]
    if wrong:
        raise SpecgenError(f"the plan of {plan.model.spec_dir} does not have the shards' parts for: {', '.join(wrong)}.")

    dest = Destination.of(out if out is not None else str(dirs[0]))
    dest.makedirs()
    dest.remove(manifest.MANIFEST)
    absent = []
    for t in parts:
        for p in sorted(parts[t]):
            src, entry = parts[t][p]
            if dest.size(entry["path"]) == entry["bytes"]:
                continue  # written there (shared storage), or copied by an earlier merge
            if src.url == dest.url:
                absent.append(f"{src}/{entry['path']}")
                continue
            _copy(src, dest, entry)
    if absent:
        more = f" ... and {len(absent) - 5} more" if len(absent) > 5 else ""
        raise SpecgenError("part files listed in the shard manifests are missing or have another size: "
                           + ", ".join(absent[:5]) + more + ".")
    compile.remove_leftovers(dest, {t: [e["path"] for _, e in parts[t].values()] for t in parts})
    results = {t: [parts[t][p][1] for p in sorted(parts[t])] for t in parts}
    encryption = {env: state == "set" for env, state in ref.get("encryption", {}).items()}
    doc = compile.finish(plan, d, dest, fmt=ref["format"], compression=ref["compression"], results=results,
                         encryption=encryption)
    for name in dest.listdir():  # folded into manifest.json: the directory is now a one-machine run's
        if manifest.SHARD_FILE.match(name):
            dest.remove(name)
    return doc
