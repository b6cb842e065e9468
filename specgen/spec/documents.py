"""A spec set's files, read and checked against the JSON Schema: validation's first two layers.

1. YAML syntax (``source.load``, with every node's line and column);
2. the JSON Schema of entities and profiles (shipped in ``specgen/schema`` for editors too), with
   a message that says what was expected where, and values no database takes as written.

What a schema cannot express is the third layer, ``checker``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from specgen import __version__
from specgen.engine.model import Profile
from specgen.engine.plan import INT64_MAX, INT64_MIN
from specgen.errors import Diagnostic, SpecErrors, did_you_mean
from specgen.resources import cache_dir, data_dir, installed_stamp, json_schema
from specgen.spec.source import Marks, load

if TYPE_CHECKING:  # imported when a spec is validated, not by every command
    import jsonschema


PARAM = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)$")

# Files beside the entity specs that are not entities.
SETTINGS_FILES = ("specset.yaml", "specset.yml")


@dataclass
class Document:
    path: Path
    name: str  # as shown in messages
    data: object
    marks: Marks


@dataclass
class SpecSet:
    dir: Path
    entities: list[Document]
    profiles: dict[str, Document]
    pool_dirs: list[Path]
    errors: list[Diagnostic] = field(default_factory=list)

    def profile_names(self) -> list[str]:
        return sorted(self.profiles)


def display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def load_spec_set(spec_dir: str | Path) -> SpecSet:
    """Read every file of a spec set; syntax errors are kept in ``errors``, not raised."""
    d = Path(spec_dir)
    if not d.is_dir():
        raise SpecErrors([Diagnostic(str(spec_dir), 0, 0, "", "spec directory not found")])
    errors: list[Diagnostic] = []

    def read(p: Path) -> Document | None:
        try:
            data, marks = load(p, display(p))
        except SpecErrors as exc:
            errors.extend(exc.diagnostics)
            return None
        return Document(p, marks.file, data, marks)

    # specset.yaml holds the spec set's own settings (specgen.evolve.specset), not a table.
    entities = [doc for p in sorted([*d.glob("*.yaml"), *d.glob("*.yml")])
                if p.name not in SETTINGS_FILES and (doc := read(p))]
    profiles = {}
    for p in sorted([*(d / "profiles").glob("*.yaml"), *(d / "profiles").glob("*.yml")]):
        doc = read(p)
        if doc:
            profiles[p.stem] = doc
    if not entities and not errors:
        errors.append(Diagnostic(display(d), 0, 0, "", "no entity specs (*.yaml) in this directory"))
    if not profiles and not errors:
        errors.append(Diagnostic(display(d), 0, 0, "", "no profiles (profiles/*.yaml) in this directory"))
    pool_dirs = [d / "pools", data_dir("specs") / "pools"]
    return SpecSet(d, entities, profiles, pool_dirs, errors)


# -- layer 2: JSON Schema -------------------------------------------------------------------------


@functools.cache
def _validator(schema_name: str) -> jsonschema.Draft202012Validator:
    import jsonschema

    return jsonschema.Draft202012Validator(json_schema(schema_name))


def schema_errors(doc: Document, schema_name: str) -> list[Diagnostic]:
    """What the JSON Schema finds wrong with ``doc``. A document found valid is remembered by the
    digest of its content, the schema and the installed validator (``resources.cache_dir``):
    unchanged specs skip the validator, the slowest part of validating a spec set."""
    known = _known_valid(doc, schema_name)
    if known is not None and known.exists():
        return []
    validator = _validator(schema_name)
    out = []
    for error in validator.iter_errors(doc.data):
        out.extend(_explain(doc, error))
    if not out and known is not None:
        try:
            known.touch()
        except OSError:
            pass
    return out


def _known_valid(doc: Document, schema_name: str) -> Path | None:
    """The cache entry that records ``doc`` as valid (None: no cache)."""
    where = _validity_cache()
    if where is None:
        return None
    key = hashlib.sha256(f"{_validator_identity(schema_name)}\0{doc.data!r}".encode()).hexdigest()
    return where / key


@functools.cache
def _validity_cache() -> Path | None:
    return cache_dir("valid")


@functools.cache
def _validator_identity(schema_name: str) -> str:
    """The schema's text and the installed jsonschema (its files change when it is upgraded)."""
    stamp = installed_stamp("jsonschema", ("validators.py",))
    schema = json.dumps(json_schema(schema_name), sort_keys=True)
    return f"{__version__}\0{stamp}\0{schema_name}\0{schema}"


def _explain(doc: Document, error: jsonschema.ValidationError) -> list[Diagnostic]:
    """A jsonschema error as messages a spec author can act on; a schema's ``x-hint`` says what
    to write instead."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        return _explain(doc, _best(error))
    out = _explain_one(doc, error)
    hint = error.schema.get("x-hint") if isinstance(error.schema, dict) else None
    if hint:
        out = [dataclasses.replace(d, message=f"{d.message.rstrip('.')}: {hint}") for d in out]
    return out


def _explain_one(doc: Document, error: jsonschema.ValidationError) -> list[Diagnostic]:
    path = tuple(error.absolute_path)
    m = doc.marks
    v = error.validator
    if "propertyNames" in error.absolute_schema_path and v == "enum":
        bad = error.instance
        what = "generator" if "uniform" in error.validator_value else "key"
        return [m.diag((*path, bad), f"unknown {what} '{bad}'." + did_you_mean(bad, error.validator_value), key=True)]
    if v == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        cut = error.instance.get("type") if isinstance(error.instance, dict) else None
        if isinstance(cut, str) and "(" in cut and ")" not in cut:
            # {type: numeric(15,2)} in flow style: YAML splits at the comma into `type: numeric(15`
            # and a key `2)`.
            return [m.diag((*path, "type"), f"the type '{cut}' was cut at a comma: in flow style quote it, "
                           f"type: \"{cut},{str(extra[0]).rstrip()}\"" if extra else "")]
        return [m.diag((*path, k), f"unknown key '{k}'." + did_you_mean(k, allowed), key=True) for k in extra]
    if v == "propertyNames":
        bad = _bad_property_name(error)
        sub = error.schema.get("propertyNames", {})
        if "enum" in sub:
            what = "generator" if "uniform" in sub["enum"] else "key"
            return [m.diag((*path, bad), f"unknown {what} '{bad}'." + did_you_mean(bad, sub["enum"]), key=True)]
        if "not" in sub:
            return [m.diag((*path, bad), f"'{bad}' is reserved and cannot be used as a name", key=True)]
        return [m.diag((*path, bad), f"invalid name '{bad}': use letters, digits and underscores", key=True)]
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return [m.diag(path, f"missing required key '{missing}'")]
    if v == "enum":
        options = ", ".join(map(str, error.validator_value))
        return [m.diag(path, f"'{error.instance}' is not one of: {options}." +
                       did_you_mean(error.instance, map(str, error.validator_value)))]
    if v == "type":
        want = error.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        return [m.diag(path, f"expected {want}, got {_json_type(error.instance)}")]
    if v == "pattern":
        if error.schema.get("x-hint"):  # a value that may be a secret put in the wrong place: not echoed
            return [m.diag(path, f"does not match {error.validator_value}")]
        if "\\$" in error.validator_value:
            return [m.diag(path, f"'{error.instance}' is not a parameter reference ($name)")]
        return [m.diag(path, f"'{error.instance}' does not match {error.validator_value}")]
    if v in ("minProperties", "maxProperties") and error.schema.get("maxProperties") == 1:
        return [m.diag(path, "expected exactly one key, e.g. {uniform: {min: 0, max: 9}}")]
    return [m.diag(path, error.message)]


def _best(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """The most telling sub-error of a oneOf/anyOf: the branch whose type fits the value."""
    branches: dict[object, list] = {}
    for e in error.context:
        branches.setdefault(e.relative_schema_path[0], []).append(e)

    def wrong_type(errs) -> bool:
        return any(e.validator == "type" and not e.relative_path for e in errs)

    fitting = [errs for errs in branches.values() if not wrong_type(errs)] or list(branches.values())
    candidates = [e for errs in fitting for e in errs]
    return max(candidates, key=lambda e: (len(e.absolute_path), e.validator not in ("type", "enum")))


def _bad_property_name(error) -> str:
    # jsonschema reports the offending name as the instance of the failing sub-error.
    for sub in error.context or []:
        return sub.instance
    msg = error.message
    return msg.split("'")[1] if "'" in msg else msg


def _json_type(v) -> str:
    return {dict: "mapping", list: "list", str: "string", bool: "boolean", int: "integer",
            float: "number", type(None): "null"}.get(type(v), type(v).__name__)


# -- profiles -----------------------------------------------------------------------------------


def value_errors(doc: Document, data, errors: list[Diagnostic], profile: Profile | None = None) -> bool:
    """Report values no database takes as written, wherever they stand in ``data``: numbers
    that are not finite (NaN and infinities would be written into the data and the manifest),
    integers beyond 64 bits (numpy and the databases' BIGINT stop there) and the NUL character
    (PostgreSQL refuses it in text, SQLite cuts the value there). True if any was found."""
    before = len(errors)
    raw_data = doc.data

    def visit(v, raw, path):
        # ``raw``: the same place as written; a "$name" there means the value came from the profile.
        origin = (f" (a value from profile '{profile.name}', {profile.file})"
                  if profile is not None and isinstance(raw, str) and PARAM.match(raw) else "")
        if isinstance(v, dict):
            for k, x in v.items():
                if isinstance(k, str) and "\0" in k:
                    errors.append(doc.marks.diag((*path, k), "a name with a NUL character (U+0000)", key=True))
                visit(x, raw.get(k) if isinstance(raw, dict) else raw, (*path, k))
        elif isinstance(v, list):
            for i, x in enumerate(v):
                visit(x, raw[i] if isinstance(raw, list) and i < len(raw) else raw, (*path, i))
        elif isinstance(v, float) and not math.isfinite(v):
            errors.append(doc.marks.diag(path, f"{v} is not a finite number{origin}"))
        elif isinstance(v, int) and not isinstance(v, bool) and not INT64_MIN <= v <= INT64_MAX:
            errors.append(doc.marks.diag(path, f"{v} does not fit in 64 bits (-2^63 .. 2^63-1){origin}"))
        elif isinstance(v, str) and "\0" in v:
            errors.append(doc.marks.diag(path, "text with a NUL character (U+0000): PostgreSQL refuses it and "
                                         f"SQLite cuts the value there; remove it{origin}"))

    visit(data, raw_data, ())
    return len(errors) > before


def schema_document(name: str) -> str:
    """The JSON Schema text (for ``specgen schema``)."""
    return json.dumps(json_schema(name), indent=2)
