"""Dialect profiles: how one database spells types, values and identifiers, and loads files.

A profile is a YAML file under ``dialects/`` (``data_dir("dialects")``) or a path given by the
user. ``extends:`` names its parent; ``base.yaml`` documents every knob, and a profile states only
what differs. Loading resolves the chain (parent first, child keys win; ``types`` maps merge), then
checks every knob against the base so a typo is an error, not a silent default.

Adding a database needs a YAML file and optional templates (``templates/<name>/``), no code.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from specgen.engine.model import SqlType
from specgen.errors import SpecgenError, did_you_mean
from specgen.resources import data_dir
from specgen.sql import spelling

BASE = "base"
# Knobs whose values are chosen from a fixed set (the code behind them is in encode.py / ddl.py).
CHOICES = {
    "primary_key": ("inline", "post_data"),
    "foreign_keys": ("inline", "post_data", "none"),
    "unique": ("constraint", "index"),
    "checks": ("inline", "post_data"),
    "file_encoder": ("csv", "escaped_text"),
    "sql_string_escape": ("standard", "backslash"),
    "stream_data": ("insert", "copy"),
}
MERGED = ("types", "type_default_args", "type_max_bytes", "identity_types")  # maps merged along the chain instead of replaced


@dataclass(frozen=True)
class Dialect:
    """One resolved profile: ``name``, the ``chain`` of profile names (self first) and its knobs."""

    name: str
    chain: tuple[str, ...]
    knobs: dict = field(hash=False, compare=False)
    dirs: tuple[Path, ...] = ()  # directories of the profile files along the chain (for templates)

    def __getattr__(self, key):
        knobs = self.__dict__.get("knobs")
        if knobs is not None and key in knobs:
            return knobs[key]
        raise AttributeError(key)

    def __getstate__(self):  # plain state: dialects travel to worker processes
        return self.__dict__

    def __setstate__(self, state):
        self.__dict__.update(state)

    # -- names -----------------------------------------------------------------------------------

    def quote(self, name: str) -> str:
        """An identifier quoted the database's way (``"t"``, `` `t` ``)."""
        return _quote(self.sqlglot, name)

    def sql_type(self, t: SqlType) -> str:
        """The database's spelling of a portable spec type."""
        args = t.args or tuple(self.type_default_args.get(t.base, ()))
        arg_text = f"({', '.join(map(str, args))})" if args else ""
        override = self.types.get(t.base)
        if override is not None:
            return override.replace("{args}", arg_text)
        return _type(self.sqlglot, f"{t.base}{arg_text}")

    def short_name(self, name: str) -> str:
        """A constraint or index name that fits ``max_identifier_length`` (stable hash suffix)."""
        limit = int(self.max_identifier_length)
        if len(name) <= limit:
            return name
        import hashlib

        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        return f"{name[: limit - 9]}_{digest}"


@cache
def _quote(sqlglot_dialect: str, name: str) -> str:
    def answer() -> str:
        from sqlglot import exp

        return exp.to_identifier(name, quoted=True).sql(dialect=sqlglot_dialect or None)

    return spelling.ask("quote", sqlglot_dialect, name, answer)


@cache
def _type(sqlglot_dialect: str, spelled: str) -> str:
    def answer() -> str:
        from sqlglot import exp

        return exp.DataType.build(spelled).sql(dialect=sqlglot_dialect)

    return spelling.ask("type", sqlglot_dialect, spelled, answer)


# -- loading ------------------------------------------------------------------------------------


def shipped_dir() -> Path:
    return data_dir("dialects")


def available(extra_dirs: tuple[Path, ...] = ()) -> dict[str, Path]:
    """Every profile name and alias that ``--dialect`` accepts, with its file."""
    out: dict[str, Path] = {}
    for d in (*extra_dirs, shipped_dir()):
        for path in sorted(Path(d).glob("*.yaml")):
            out.setdefault(path.stem, path)
    for path in list(out.values()):
        for alias in _read(path).get("aliases") or []:
            out.setdefault(str(alias), path)
    return out


def load(name_or_path: str | Path, extra_dirs: tuple[str | Path, ...] = ()) -> Dialect:
    """Resolve a profile by name (or alias), or from a ``.yaml`` path; raise ``SpecgenError``."""
    dirs = tuple(Path(d) for d in extra_dirs)
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")):
        path = Path(text)
        if not path.is_file():
            raise SpecgenError(f"dialect file '{text}' does not exist.")
        dirs = (path.parent, *dirs)
    else:
        names = available(dirs)
        if text not in names or text == BASE:
            choices = sorted(n for n in names if n != BASE)
            raise SpecgenError(f"unknown dialect '{text}' (known: {', '.join(choices)})." + did_you_mean(text, choices))
        path = names[text]
    return _resolve(path, dirs)


def _read(path: Path) -> dict:
    st = path.stat()
    return copy.deepcopy(_parse(str(path), st.st_mtime_ns, st.st_size))


@cache
def _parse(path: str, mtime_ns: int, size: int) -> dict:
    """A profile's knobs, parsed once per file version (compile, load and verify all read them)."""
    try:
        data = yaml.load(Path(path).read_text(), Loader=_LOADER) or {}
    except yaml.YAMLError as exc:
        raise SpecgenError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SpecgenError(f"{path}: a dialect profile is a mapping of knobs.")
    return data


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _resolve(path: Path, dirs: tuple[Path, ...]) -> Dialect:
    chain: list[tuple[str, Path, dict]] = []
    seen = set()
    while True:
        data = _read(path)
        name = path.stem
        if name in seen:
            raise SpecgenError(f"{path}: 'extends' loops back to '{name}'.")
        seen.add(name)
        chain.append((name, path, data))
        parent = data.get("extends")
        if name == BASE and path.parent == shipped_dir():
            break
        if not parent:
            raise SpecgenError(f"{path}: a dialect profile must say 'extends: base' (or another profile).")
        parent_path = next((Path(d) / f"{parent}.yaml" for d in (path.parent, *dirs, shipped_dir())
                            if (Path(d) / f"{parent}.yaml").is_file() and Path(d) / f"{parent}.yaml" != path), None)
        if parent_path is None:
            known = sorted(available(dirs))
            raise SpecgenError(f"{path}: extends unknown dialect '{parent}'." + did_you_mean(str(parent), known))
        path = parent_path
    base = chain[-1][2]
    knobs: dict = {}
    for _, p, data in reversed(chain):
        for key, value in data.items():
            if key == "extends":
                continue
            if key not in base:
                raise SpecgenError(f"{p}: unknown knob '{key}'." + did_you_mean(key, base))
            if key == "file_extension" and not (isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9]{1,16}", value)):
                # It names every part file: a '/' or '..' would write outside the output directory.
                raise SpecgenError(f"{p}: file_extension: {value!r} is not 1 to 16 letters and digits.")
            if key in CHOICES and value not in CHOICES[key]:
                raise SpecgenError(f"{p}: {key}: '{value}' is not one of {', '.join(CHOICES[key])}.")
            if key in MERGED:
                knobs[key] = {**knobs.get(key, {}), **(value or {})}
            else:
                knobs[key] = value
    knobs["sqlglot"] = knobs.get("sqlglot") or ""
    names = tuple(n for n, _, _ in chain)
    return Dialect(names[0], names, knobs, tuple(dict.fromkeys(p.parent for _, p, _ in chain)))
