"""Value generators: each turns a set of rows into one column, vectorised.

A generator never keeps state. ``evaluate(rows, key, kind)`` receives the rows (a table and an
array of row indices, see ``engine.Rows``), the stream key of its node in the spec and the kind of
the column being filled; every random draw comes from ``counter`` keyed by that key and counted
by the row index. Values that must be unique are built from the index through a bijection.

Each kind is one class, registered in ``KINDS`` under the spec keys it is written as
(``KINDS["uniform"] is Uniform``). The class owns everything about its kind: its parameters
(``from_spec`` turns ``{"uniform": {"min": 0, "max": 9}}`` into an instance, after the JSON Schema
has checked their shape), its rules (``check``: what a schema cannot see, reported through the
spec checker's context), whether it can give NULL (``never_null``), the values it can take
(``domain`` for switch cases, ``listed_values`` for verification's enum checks, ``known_values``
and ``row_values`` for the checker's proofs), whether it tells a parent's children apart
(``differs_among_siblings``), the shape of its text (``pattern``, ``text_length``) and the paths
it reads (``own_deps``). The spec checker and the verification checks ask the kind instead of
testing its class; ``tests/unit/engine/test_generators.py`` keeps
``KINDS``, the JSON Schema's generator keys and docs/spec-language.md's table in step.

The kinds live in one module per family: ``base`` (``Generator``, ``GenError``, the registry
``KINDS`` and ``build``), ``ids`` (sequence, ordinal, hex, uuid, token), ``values`` (const, pool,
categorical, bernoulli, a reference table's literal rows), ``numeric`` (the distributions, zipf),
``text`` (template), ``filters`` (the template filters), ``timestamps``, ``structured`` (ipv4,
json) and ``composite`` (encrypt, ref, switch, expr, aggregate). This package imports them all and
re-exports their names: ``from specgen.engine.generators import Uniform`` works from anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator

from specgen.engine.generators.base import KINDS, PARAMS, Generator, GenError, build, seconds
from specgen.engine.generators.composite import AGGREGATES, Aggregate, Encrypt, Expression, Ref, Switch
from specgen.engine.generators.filters import (
    INDEX_SAFE_FILTERS,
    apply_filters,
    json_escape,
    json_member,
    slugify,
)
from specgen.engine.generators.ids import HEX32_RE, UUID_RE, Hex, Ordinal, Sequence, Token, Uuid
from specgen.engine.generators.numeric import Exponential, LogNormal, Normal, Numeric, PowerLaw, Uniform, Zipf
from specgen.engine.generators.structured import Ipv4, JsonArray, JsonObject, json_fragment
from specgen.engine.generators.text import Template
from specgen.engine.generators.timestamps import Timestamp
from specgen.engine.generators.values import (
    Bernoulli,
    Categorical,
    Const,
    Literal,
    Pool,
    case_text,
    is_instant,
    json_text,
    literal_column,
    parse_instant,
)

__all__ = [
    "AGGREGATES", "HEX32_RE", "INDEX_SAFE_FILTERS", "KINDS", "NAMES", "PARAMS", "UUID_RE",
    "Aggregate", "Bernoulli", "Categorical", "Const", "Encrypt", "Exponential", "Expression", "GenError",
    "Generator", "Hex", "Ipv4", "JsonArray", "JsonObject", "Literal", "LogNormal", "Normal", "Numeric",
    "Ordinal", "Pool", "PowerLaw", "Ref", "Sequence", "Switch", "Template", "Timestamp", "Token", "Uniform",
    "Uuid", "Zipf", "apply_filters", "build", "case_text", "is_instant", "json_escape", "json_fragment",
    "json_member", "json_text", "literal_column", "parse_instant", "seconds", "slugify", "walk",
]


# Every spec key of a generator kind.
NAMES = tuple(KINDS)


def walk(g: Generator, where: tuple = ()) -> Iterator[tuple[tuple, Generator]]:
    """Every generator node with its spec path relative to the column's ``gen``."""
    yield where, g
    for name, child in g.children():
        yield from walk(child, (*where, name))
