"""The spec set as data, so that workers on other machines build the same plan.

A cluster worker may not have the spec directory the client compiled from. The client packs the
files the model is made of - the entity specs, every profile and the pools in use (exactly the
files the spec hash covers) - and the job carries them. A worker unpacks them once into a
directory under its temp dir named after the spec hash, and builds its plan from there; the plan
then has the client's spec hash, which ``write.plan_for`` checks.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from specgen.errors import SpecgenError


def pack(model) -> dict[str, bytes]:
    """The files of ``model``'s spec set, by path relative to the bundle root."""
    from specgen.spec.documents import load_spec_set

    ss = load_spec_set(model.spec_dir)
    files: dict[str, bytes] = {}
    for doc in ss.entities:
        files[doc.path.name] = doc.path.read_bytes()
    for doc in ss.profiles.values():
        files[f"profiles/{doc.path.name}"] = doc.path.read_bytes()
    for pool in model.pools.loaded():
        # Pools in use are found in the bundle's own pools/ first, whichever directory they came from.
        files[f"pools/{Path(pool.file).name}"] = Path(pool.file).read_bytes()
    return files


def materialise(files: dict[str, bytes], spec_hash: str) -> Path:
    """A directory holding ``files`` (made once per machine and spec hash); returns its path."""
    root = Path(tempfile.gettempdir()) / f"specgen-specs-{spec_hash[:20]}"
    if (root / ".complete").is_file():
        return root
    staging = Path(tempfile.mkdtemp(prefix=f".specgen-specs-{spec_hash[:20]}-", dir=root.parent))
    try:
        for rel, data in files.items():
            if rel.startswith(("/", "..")) or "/../" in rel:
                raise SpecgenError(f"spec bundle: refusing path {rel!r}")
            p = staging / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        (staging / ".complete").write_text(spec_hash + "\n")
        try:
            os.rename(staging, root)  # atomic: another worker on this machine may race us
        except OSError:
            if not (root / ".complete").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root
