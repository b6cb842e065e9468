"""Built models remembered between runs, under a digest of everything a model is built from.

Building the gateway's model takes far longer than hashing its files, so ``model`` reads an entry
written by an earlier run when the inputs are identical, and keeps the ``MODELS_KEPT`` newest.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
from collections.abc import Callable
from pathlib import Path

from specgen import __version__
from specgen.engine.model import Model
from specgen.resources import cache_dir, data_dir, write_cache_file


def model(spec_dir: str | Path, profile: str, build: Callable[[], Model]) -> Model:
    """The cached model of ``spec_dir`` under ``profile``, else ``build()`` (and remembered)."""
    entry = _model_entry(spec_dir, profile)
    if entry is not None:
        try:
            with open(entry, "rb") as f:
                return pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            pass  # absent, or from a build that no longer matches: built again below
    built = build()
    if entry is not None:
        _remember(entry, built)
    return built


# Models kept: a few spec sets and profiles (an entry holds the pools it uses, so entries are not small).
MODELS_KEPT = 16


def _model_entry(spec_dir: str | Path, profile: str) -> Path | None:
    """The cache file of the model of ``spec_dir`` under ``profile`` (None: no cache directory).

    Its name is a digest of everything the model is built from - every entity and profile file
    and every file of the pool directories (their content), the profile's name, the spec
    directory as given, specgen's version and its source files (size and time: an edited
    checkout builds anew), numpy's and polars' versions - so an entry is only ever found for
    identical inputs. Not the run's window end (``--as-of``, ``now``): the entry holds the
    profile's own, and ``build_model`` sets the run's after reading it. Hashing the files is
    cheap next to building the model, which is why the cache pays."""
    where = cache_dir("models")
    d = Path(spec_dir)
    if where is None or not d.is_dir():
        return None
    h = hashlib.sha256(f"{__version__}\0{spec_dir}\0{profile}\0{_source_stamp()}".encode())
    files = [*d.glob("*.yaml"), *d.glob("*.yml"), *(d / "profiles").glob("*.yaml"), *(d / "profiles").glob("*.yml")]
    for pools in (d / "pools", data_dir("specs") / "pools"):
        if pools.is_dir():
            files += [p for p in pools.iterdir() if p.is_file()]
    try:
        for p in sorted(files):
            h.update(f"\0{p}\0".encode())
            h.update(p.read_bytes())
    except OSError:
        return None  # unreadable: the build reports it
    return where / f"{h.hexdigest()[:32]}.pickle"


@functools.cache
def _source_stamp() -> str:
    """specgen's sources, and the versions of the libraries whose objects a model holds."""
    import numpy
    import polars

    # Every module of the package: the model holds the engine's generator objects, built by rules
    # that live in spec and engine alike.
    package = Path(__file__).resolve().parents[1]
    return f"{package};numpy {numpy.__version__};polars {polars.__version__};" + ";".join(
        f"{p.relative_to(package)}:{st.st_size}:{st.st_mtime_ns}" for p in sorted(package.rglob("*.py"))
        if (st := p.stat()))


def _remember(entry: Path, model: Model) -> None:
    """Write the entry, and keep only the ``MODELS_KEPT`` most recent ones."""
    try:
        data = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return  # something pickle cannot write: the model is built each time
    write_cache_file(entry, data)
    try:
        entries = sorted(entry.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[MODELS_KEPT:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass
