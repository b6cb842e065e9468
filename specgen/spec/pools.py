"""Value pools: realistic text stored as data files, so output never depends on Faker's version.

A pool is ``<name>.txt`` (one value per line) or ``<name>.json`` (an array; strings give a text
pool, other items are serialised and give a JSON pool). Pools are looked up in the spec set's
``pools/`` directory first, then in the shared ``specs/pools/``.

``build_pools`` is the ``specgen pools`` command: it draws each Faker-backed pool once, with a
fixed seed, and writes the files plus ``pools.lock.json`` recording Faker's version and hashes.
Hand-curated pools (tool names, JSON Schemas, error messages) live beside them and are not touched.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from specgen.errors import SpecgenError, did_you_mean, parse_json


@dataclass(frozen=True)
class Pool:
    name: str
    values: pl.Series
    kind: str  # "text" or "json"
    file: str

    def __len__(self) -> int:
        return len(self.values)


class PoolStore:
    """Pools by name, loaded on first use from an ordered list of directories."""

    def __init__(self, dirs: list[Path]):
        self.dirs = [Path(d) for d in dirs]
        self._cache: dict[str, Pool] = {}
        self._derived: dict[str, pl.Series] = {}

    def path_of(self, name: str) -> Path | None:
        for d in self.dirs:
            for ext in (".txt", ".json"):
                p = d / f"{name}{ext}"
                if p.is_file():
                    return p
        return None

    def names(self) -> list[str]:
        out = set()
        for d in self.dirs:
            if d.is_dir():
                out.update(p.stem for p in d.iterdir() if p.suffix in (".txt", ".json") and not p.stem.startswith("pools."))
        return sorted(out)

    def get(self, name: str) -> Pool:
        if name not in self._cache:
            path = self.path_of(name)
            if path is None:
                raise SpecgenError(f"unknown pool '{name}'")
            self._cache[name] = _read(name, path)
        return self._cache[name]

    def loaded(self) -> list[Pool]:
        """The pools read so far (those a model uses), by name."""
        return [self._cache[name] for name in sorted(self._cache)]

    def filtered(self, name: str, tag: tuple, fn) -> pl.Series:
        """A pool's values transformed once by ``fn`` (e.g. slugified), cached under ``tag``."""
        key = f"{name}\x1f{tag!r}"
        if key not in self._derived:
            self._derived[key] = fn(self.get(name).values)
        return self._derived[key]

    def through(self, name: str, filters, apply) -> pl.Series:
        """A pool's values through template filters, ``apply(values, [filter])`` one at a time,
        every prefix of the chain cached: ``{p|get:name|slug}`` reuses the ``get:name`` that
        validation computed (parsing each pooled JSON record once)."""
        values = self.get(name).values
        for i, f in enumerate(filters):
            values = self.filtered(name, tuple(filters[: i + 1]), lambda _, v=values, f=f: apply(v, [f]))
        return values

    def __getstate__(self):
        return {"dirs": self.dirs, "_cache": {}, "_derived": {}}


def _text(path: Path) -> str:
    """A pool file's text: UTF-8 without NUL characters (PostgreSQL refuses them in text and
    SQLite cuts a value there), or an error at the line and column of the first bad byte."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecgenError(f"{path}: cannot read pool: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecgenError(f"{path}:{line}:{col}: pool is not UTF-8 text (byte 0x{data[exc.start]:02x})") from None
    if "\0" in text:
        at = text.index("\0")
        line = text.count("\n", 0, at) + 1
        col = at - (text.rfind("\n", 0, at) + 1) + 1
        raise SpecgenError(f"{path}:{line}:{col}: pool value with a NUL character (U+0000): PostgreSQL refuses "
                           "it and SQLite cuts the value there")
    return text


def _locked_sha256(path: Path) -> str | None:
    """The sha256 that ``pools.lock.json`` beside a Faker-built pool records for it, if any."""
    try:
        lock = json.loads((path.parent / "pools.lock.json").read_text())
        return lock["pools"][path.stem]["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _read(name: str, path: Path) -> Pool:
    if path.suffix == ".txt":
        text = _text(path)
        locked = _locked_sha256(path)
        if locked is not None and hashlib.sha256(text.encode()).hexdigest() != locked:
            # A truncated or damaged pool would still validate and quietly change the data.
            raise SpecgenError(f"{path}: differs from its sha256 in pools.lock.json (truncated or edited); "
                               "rebuild it with `specgen pools`")
        values = [line for line in text.split("\n") if line != ""]
        kind = "text"
    else:
        items = parse_json(_text(path), str(path))
        if not isinstance(items, list) or not items:
            raise SpecgenError(f"{path}: a JSON pool must be a non-empty array")
        if all(isinstance(v, str) for v in items):
            values, kind = items, "text"
        else:
            values, kind = [json.dumps(v, ensure_ascii=False) for v in items], "json"
    if not values:
        raise SpecgenError(f"{path}: pool '{name}' is empty")
    if kind == "json" or path.suffix != ".txt":
        bad = next((v for v in values if "\0" in v), None)
        if bad is not None:
            raise SpecgenError(f"{path}: pool value with a NUL character (U+0000): {bad[:40]!r}")
    return Pool(name, pl.Series(name, values, dtype=pl.String), kind, str(path))


# -- building pools with Faker --------------------------------------------------------------------

# name -> (faker method, how many distinct values to draw)
FAKER_POOLS = {
    "first_names": ("first_name", 1000),
    "last_names": ("last_name", 1000),
    "companies": ("company", 2000),
    "words": ("word", 1000),
    "sentences": ("sentence", 3000),
    "paragraphs": ("paragraph", 1000),
    "user_agents": ("user_agent", 1000),
    "domains": ("domain_name", 1000),
    "job_titles": ("job", 600),
    "cities": ("city", 1000),
    "catch_phrases": ("catch_phrase", 2000),
    "bs_phrases": ("bs", 2000),
}


def build_pools(out_dir: Path, seed: int = 20260101, locale: str = "en_US", only: list[str] | None = None) -> dict:
    """Draw Faker pools once and write them as ``<name>.txt``; returns the lock record."""
    try:
        import faker
    except ImportError:
        raise SpecgenError("`specgen pools` needs Faker: pip install 'specgen[pools]'") from None
    unknown = [n for n in only or () if n not in FAKER_POOLS]
    if unknown:  # before anything is written
        raise SpecgenError("; ".join(f"--only {n}: no such Faker pool." + did_you_mean(n, FAKER_POOLS)
                                     for n in unknown))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lock_path = out_dir / "pools.lock.json"
    lock = json.loads(lock_path.read_text()) if lock_path.exists() else {}
    lock.setdefault("pools", {})
    lock.update({"faker_version": faker.VERSION, "locale": locale, "seed": seed})
    for name, (method, count) in FAKER_POOLS.items():
        if only and name not in only:
            continue
        fake = faker.Faker(locale)
        fake.seed_instance(f"{seed}:{name}")
        values: dict[str, None] = {}
        attempts = 0
        while len(values) < count and attempts < count * 50:
            attempts += 1
            v = " ".join(str(getattr(fake, method)()).split())  # one line, single spaces
            if v and v.isprintable():
                values.setdefault(v, None)
        text = "\n".join(values) + "\n"
        (out_dir / f"{name}.txt").write_text(text, encoding="utf-8")
        lock["pools"][name] = {
            "faker": method,
            "values": len(values),
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
        }
    lock_path.write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n")
    return lock
