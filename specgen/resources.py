"""Where the shipped data lives: ``specs/``, ``templates/``, ``dialects/`` and the JSON Schemas.

In a checkout they sit at the repository root; in an installed wheel they are package data under
``specgen/_data/``.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """``specs``, ``templates`` or ``dialects``, from the wheel or from the checkout."""
    installed = PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return PACKAGE.parent / name


def default_spec_dir() -> Path:
    """``./specs`` when run inside a project that has one, else the shipped gateway specs."""
    local = Path("specs")
    if (local / "profiles").is_dir():
        return local
    return data_dir("specs")


@cache
def json_schema(name: str) -> dict:
    """``entity`` or ``profile``: the JSON Schema shipped for editors and the validator."""
    return json.loads((PACKAGE / "spec" / "schema" / f"{name}.schema.json").read_text())


def cache_dir(what: str) -> Path | None:
    """A directory for facts worth keeping between runs (compiled templates, specs known to pass
    the JSON Schema): ``$SPECGEN_CACHE_DIR/<what>``, else ``$XDG_CACHE_HOME/specgen/<what>``
    (``~/.cache/specgen/<what>``); None when ``SPECGEN_CACHE_DIR`` is set empty or the directory
    cannot be made. Everything in it is keyed by the content it stands for: deleting it is safe."""
    root = os.environ.get("SPECGEN_CACHE_DIR")
    if root == "":
        return None
    if root is None:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(xdg, "specgen")
    path = Path(root) / what
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return path if os.access(path, os.W_OK | os.X_OK) else None


def write_cache_file(path: Path, data: bytes) -> None:
    """Write a cache entry atomically (concurrent processes each leave a whole file); a cache
    never fails a command, so a write that fails is dropped."""
    import tempfile

    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def installed_stamp(package: str, files: tuple[str, ...]) -> str:
    """Where ``package`` is installed and the size and time of some of its files: changes when it
    is upgraded, found without importing it (for cache keys)."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.origin:
        return ""
    stamp = []
    for name in files:
        path = Path(spec.origin).with_name(name)
        try:
            st = path.stat()
        except OSError:
            continue
        stamp.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
    return ";".join(stamp)
