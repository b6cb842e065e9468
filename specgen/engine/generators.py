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
"""

from __future__ import annotations

import contextvars
import functools
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import polars as pl

from specgen.engine import counter
from specgen.engine.column import Column, as_text, matches, text_from_bytes, zeros
from specgen.engine.distributions import skewed_rank
from specgen.engine.expr import DURATION_UNITS
from specgen.errors import did_you_mean

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_B64URL = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", dtype=np.uint8)



def seconds(duration: float | str) -> int:
    """``90``, ``"90s"``, ``"15m"``, ``"12h"``, ``"30d"``, ``"2w"`` -> seconds."""
    if isinstance(duration, (int, float)):
        return int(duration)
    return int(float(duration[:-1]) * DURATION_UNITS[duration[-1]])


class GenError(ValueError):
    """A generator spec that cannot work; ``where`` is the spec path relative to the generator and
    ``offset`` a character position inside the text at that path (an expression), or -1."""

    def __init__(self, message: str, where: tuple = (), offset: int = -1):
        super().__init__(message)
        self.where = where
        self.offset = offset


# The profile's parameters while a spec's generators are built: expressions may use `$name`.
PARAMS: contextvars.ContextVar[dict | None] = contextvars.ContextVar("specgen_params", default=None)


# Spec key -> the class of that generator kind; filled by ``Generator.__init_subclass__``.
KINDS: dict[str, type[Generator]] = {}


@dataclass
class Generator:
    """Base: ``kind`` is the produced kind, or None when it adapts to the column's kind.

    A subclass lists the spec keys it is written as in ``names`` (registered in ``KINDS``) and
    builds itself from them in ``from_spec``. The other hooks answer the spec checker and the
    verification checks; their defaults fit a kind that says nothing.
    """

    kind = None
    unique = False  # unique by construction (built from the row index through a bijection)
    names: ClassVar[tuple[str, ...]] = ()  # spec keys of this kind
    draws = True  # draws random values from its stream (a copy or a constant draws none)
    valued = False  # never NULL whatever it reads (never_null's answer unless overridden)
    dep_key: ClassVar[tuple] = ()  # where, under its spec key, the kind names the paths it reads

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in cls.__dict__.get("names", ()):
            if name in KINDS:
                raise TypeError(f"generator kind '{name}' registered twice ({KINDS[name].__name__}, {cls.__name__})")
            KINDS[name] = cls

    @classmethod
    def from_spec(cls, name: str, params, p: dict) -> Generator:
        """An instance from spec key ``name`` and its parameters (``p``: them as a mapping, or {})."""
        return cls(**p)

    def deps(self) -> Iterator[str]:
        """Paths (same-row columns or link.column) this generator reads."""
        return iter(())

    def own_deps(self) -> list[str]:
        """Paths this node reads itself, not through its children (checked where it stands)."""
        return list(self.deps())

    def children(self) -> Iterator[tuple[str, Generator]]:
        return iter(())

    def branches(self) -> list[Generator]:
        """The generators one of which gives each row's value: itself, but for a kind that picks
        a child per row (a switch's cases and default)."""
        return [self]

    def spec_child(self, name: str) -> tuple[tuple, Generator]:
        """(spec path under this node's key, generator) of child ``name`` (see ``children``)."""
        raise KeyError(name)  # pragma: no cover - only kinds with children are asked

    def check(self, ctx) -> None:
        """Rules on the parameters a schema cannot state. ``ctx`` is the spec checker's view of
        this node: ``ctx.error(where, message)`` (``where`` relative to the node's spec path),
        ``ctx.kind_at(path)``, ``ctx.resolve(path)``, ``ctx.pools``, ``ctx.table``, ``ctx.column``."""

    def never_null(self, spec, table, depth: int) -> bool:
        """Whether every row gets a value. ``spec`` answers for paths (``spec.never_null_path``)."""
        return self.valued

    def domain(self, spec, table, depth: int) -> set[str] | None:
        """Every value (as text, as a switch compares) this gives, or None when not known.
        ``spec`` answers for paths and pools (``spec.domain``, ``spec.gen_domain``, ``spec.pools``)."""
        return None

    def listed_values(self, column_gen) -> list | None:
        """The values listed in the spec that this gives (for verification's enum check), or None
        when it gives others; ``column_gen(name)`` is the generator of a column of the same row."""
        return None

    def known_values(self) -> list | None:
        """Every value it gives, as its parameters list them (None for NULL), when they list them
        all; None when it draws, computes or reads values they do not list (the default). A
        reference table's literal rows answer ``row_values`` instead."""
        return None

    def differs_among_siblings(self, spec, filters: tuple) -> bool:
        """Whether the children of one parent get pairwise different values from this node by
        construction, still after the template ``filters`` (``(name, arg)`` pairs) applied to its
        text on the way out; the uniqueness prover counts such a column as telling siblings
        apart. ``spec.pool_injective(name, filters)`` says whether filters keep a pool's values
        apart. Default: no."""
        return False

    def row_values(self) -> list | None:
        """The value of every row by row index (None for NULL) when the spec lists them, as a
        reference table's literal ``rows:`` do; None for a kind that generates its values."""
        return None

    def pattern(self) -> str | None:
        """A regular expression every value's text matches (verification's format check)."""
        return None

    def text_length(self) -> int | None:
        """An upper bound of its values' text length known from the parameters alone."""
        return None

    def accepts(self, kind: str) -> bool:
        return self.kind == kind or (self.kind == "text" and kind == "bytes")

    def evaluate(self, rows, key, kind: str) -> Column:  # pragma: no cover - abstract
        raise NotImplementedError


# -- keys and sequences --------------------------------------------------------------------


@dataclass
class Sequence(Generator):
    start: int = 1
    step: int = 1
    kind = "int"
    unique = True
    names = ("sequence", "index")  # index: the row index, a sequence from 0
    draws = False
    valued = True

    @classmethod
    def from_spec(cls, name, params, p):
        return cls(0, 1) if name == "index" else cls(p.get("start", 1), p.get("step", 1))

    def text_length(self):
        return 20

    def evaluate(self, rows, key, kind):
        return Column("int", rows.position() * self.step + self.start)


@dataclass
class Ordinal(Generator):
    """Position of the row among its parent's children (0, 1, 2, ...)."""

    start: int = 0
    kind = "int"
    names = ("ordinal",)
    draws = False
    dep_key = ("ordinal",)

    @classmethod
    def from_spec(cls, name, params, p):
        return cls(p.get("start", 0))

    def text_length(self):
        return 20

    def differs_among_siblings(self, spec, filters):
        # Positions are numbers: slug, lower and pad keep them apart; no other filter is assumed to.
        return all(f[0] in INDEX_SAFE_FILTERS for f in filters)

    def deps(self):
        yield "_ordinal"

    def evaluate(self, rows, key, kind):
        return Column("int", rows.ordinal() + self.start)


# Two hex digits per byte value, as one uint16 (the bytes in memory order).
_HEX2 = np.empty((256, 2), dtype=np.uint8)
_HEX2[:, 0] = _HEX[np.arange(256) >> 4]
_HEX2[:, 1] = _HEX[np.arange(256) & 15]
_HEX2 = _HEX2.view(np.uint16).ravel()


def _le_bytes(w: np.ndarray) -> np.ndarray:
    """(n,) uint64 -> (n, 8) bytes, little-endian on every platform."""
    return w.astype("<u8", copy=False).view(np.uint8).reshape(-1, 8)


def _hex_of(data: np.ndarray) -> np.ndarray:
    """(n, k) bytes -> (n, 2k) ASCII hex digits."""
    return _HEX2[data].view(np.uint8).reshape(data.shape[0], 2 * data.shape[1])


def _word_bytes(key, idx, count: int) -> np.ndarray:
    """(n, 8*count) random bytes; the first 8 are a bijection of the row index."""
    out = np.empty((len(idx), 8 * count), dtype=np.uint8)
    for i in range(count):
        k = key if i == 0 else counter.sub_key(key, i)
        out[:, 8 * i : 8 * i + 8] = _le_bytes(counter.words(k, idx))
    return out


@dataclass
class Hex(Generator):
    """Random-looking hex digits; the first 16 encode a bijection of the row index."""

    length: int = 32
    kind = "text"
    names = ("hex", "sha256")  # sha256: 64 digits
    valued = True

    @classmethod
    def from_spec(cls, name, params, p):
        return cls(64) if name == "sha256" else cls(p["length"])

    @property
    def unique(self):  # type: ignore[override]
        return self.length >= 16

    def pattern(self):
        return rf"^[0-9a-f]{{{self.length}}}$"

    def text_length(self):
        return self.length

    def evaluate(self, rows, key, kind):
        digits = _hex_of(_word_bytes(key, rows.idx, -(-self.length // 16)))
        if digits.shape[1] != self.length:
            digits = np.ascontiguousarray(digits[:, : self.length])
        return Column("text", text_from_bytes(digits, self.length))


# UUID bytes 0-5 and 10-11 carry the bijective word, so the version (byte 6) and variant
# (byte 8) bits overwrite only the second word: ids stay unique by construction.
_DASH_SRC = [(0, 0, 8), (9, 8, 12), (14, 12, 16), (19, 16, 20), (24, 20, 32)]
HEX32_RE = r"^[0-9a-f]{32}$"
UUID_RE = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"


@dataclass
class Uuid(Generator):
    """Version-4-shaped UUIDs: 32 hex digits, or 36 characters with dashes."""

    dashes: bool = True
    kind = "text"
    unique = True
    names = ("uuid",)
    valued = True

    @classmethod
    def from_spec(cls, name, params, p):
        return cls(p.get("dashes", True))

    def pattern(self):
        return UUID_RE if self.dashes else HEX32_RE

    def text_length(self):
        return 36 if self.dashes else 32

    def evaluate(self, rows, key, kind):
        n = len(rows.idx)
        w1 = _le_bytes(counter.words(key, rows.idx))
        w2 = _le_bytes(counter.words(counter.sub_key(key, "lo"), rows.idx))
        b = np.empty((n, 16), dtype=np.uint8)
        b[:, 0:6] = w1[:, 0:6]
        b[:, 6:10] = w2[:, 0:4]
        b[:, 10:12] = w1[:, 6:8]
        b[:, 12:16] = w2[:, 4:8]
        b[:, 6] = (b[:, 6] & 0x0F) | 0x40
        b[:, 8] = (b[:, 8] & 0x3F) | 0x80
        digits = _hex_of(b)
        if not self.dashes:
            return Column("text", text_from_bytes(digits, 32))
        out = np.empty((n, 36), dtype=np.uint8)
        for dst, lo, hi in _DASH_SRC:
            out[:, dst : dst + hi - lo] = digits[:, lo:hi]
        out[:, [8, 13, 18, 23]] = ord("-")
        return Column("text", text_from_bytes(out, 36))


@dataclass
class Token(Generator):
    """URL-safe base64 tokens; the first 11 characters encode a bijection of the row index."""

    length: int = 43
    prefix: str = ""
    kind = "text"
    unique = True
    names = ("token",)
    valued = True

    @classmethod
    def from_spec(cls, name, params, p):
        return cls(p.get("length", 43), p.get("prefix", ""))

    def text_length(self):
        return len(self.prefix) + self.length

    def evaluate(self, rows, key, kind):
        # 11 symbols of 6 bits cover a 64-bit word (the last symbol holds 4 bits).
        shifts = np.array([58, 52, 46, 40, 34, 28, 22, 16, 10, 4], dtype=np.uint64)
        parts = []
        i = 0
        while 11 * len(parts) < self.length:
            w = counter.words(key if i == 0 else counter.sub_key(key, i), rows.idx)
            sym = np.empty((len(w), 11), dtype=np.uint8)
            sym[:, :10] = (w[:, None] >> shifts) & np.uint64(63)
            sym[:, 10] = (w & np.uint64(15)) << np.uint64(2)
            parts.append(sym)
            i += 1
        sym = np.concatenate(parts, axis=1)[:, : self.length] if len(parts) > 1 else parts[0][:, : self.length]
        s = text_from_bytes(np.ascontiguousarray(_B64URL[sym]), self.length)
        if self.prefix:
            s = pl.select(pl.concat_str([pl.lit(self.prefix), s])).to_series()
        return Column("text", s)


# -- constants, pools, templates -------------------------------------------------------------


def json_text(value) -> str:
    """The JSON text the gateway's ORM would store (``json.dumps`` defaults)."""
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Const(Generator):
    value: object = None
    names = ("const",)
    draws = False

    @classmethod
    def from_spec(cls, name, params, p):
        return cls(params)

    def never_null(self, spec, table, depth):
        return self.value is not None

    def domain(self, spec, table, depth):
        return set() if self.value is None else {case_text(self.value)}

    def listed_values(self, column_gen):
        return [] if self.value is None else [self.value]

    def known_values(self):
        return [self.value]

    def text_length(self):
        return len(self.value) if isinstance(self.value, str) else len(json_text(self.value))

    def accepts(self, kind):
        v = self.value
        if kind == "json":
            return True
        if v is None:
            return True
        if kind == "bool":
            return isinstance(v, bool)
        if kind == "int":
            return isinstance(v, int) and not isinstance(v, bool)
        if kind == "float":
            return isinstance(v, (int, float)) and not isinstance(v, bool)
        if kind in ("text", "bytes"):
            return isinstance(v, str)
        if kind in ("timestamp", "date"):
            return isinstance(v, str)
        return False

    def evaluate(self, rows, key, kind):
        n = len(rows.idx)
        if self.value is None:
            return Column(kind, zeros(kind, n), np.ones(n, dtype=bool))
        return literal_column(kind, [self.value], np.zeros(n, dtype=np.int32))


def case_text(value) -> str:
    """A value as a switch case compares it (booleans as true/false, as YAML writes them)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def literal_column(kind: str, values: list, codes: np.ndarray) -> Column:
    """A column of spec literals (``const``, ``categorical`` values) picked by ``codes``; a None
    value gives NULL. Text stays coded on the distinct values."""
    nulls = np.array([v is None for v in values])[codes] if any(v is None for v in values) else None
    if kind in ("text", "bytes", "json"):
        table = [json_text(v) if kind == "json" else ("" if v is None else v) for v in values]
        return Column.coded(kind, pl.Series(table, dtype=pl.String), codes, nulls)
    if kind in ("timestamp", "date"):
        scale = 86400 if kind == "date" else 1
        table = np.array([0 if v is None else parse_instant(v) // scale for v in values], dtype=np.int64)
    else:
        dtype = {"int": np.int64, "float": np.float64, "bool": np.bool_}[kind]
        table = np.array([0 if v is None else v for v in values], dtype=dtype)
    return Column(kind, table[codes], nulls)


_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}")


def is_instant(text) -> bool:
    """A literal date or time where a path could stand (timestamp bounds)."""
    return isinstance(text, str) and bool(_INSTANT.match(text))


def parse_instant(text: str) -> int:
    """ISO-8601 text -> epoch seconds (UTC when no offset is given)."""
    import datetime as dt

    t = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return int(t.timestamp())


@dataclass
class Pool(Generator):
    """A value drawn from a named pool (a data file of realistic values).

    With ``distinct`` (fan-out tables only) the children of one parent get pairwise different
    values - a gateway's tools get different names - drawn like ``distinct`` links, without retries.
    """

    name: str = ""
    zipf: float | None = None
    distinct: bool = False
    names = ("pool",)
    valued = True

    @classmethod
    def from_spec(cls, name, params, p):
        if isinstance(params, str):
            return cls(params)
        return cls(p["name"], (p.get("skew") or {}).get("zipf"), bool(p.get("distinct", False)))

    def check(self, ctx):
        if ctx.pools.path_of(self.name) is None:
            ctx.error((), f"unknown pool '{self.name}'." + did_you_mean(self.name, ctx.pools.names()))
        elif ctx.column.kind == "json" and ctx.top and ctx.pools.get(self.name).kind != "json":
            ctx.error((), f"pool '{self.name}' holds text, not JSON documents")
        if self.distinct and ctx.table.parent is None:
            ctx.error(("pool", "distinct"), "a 'distinct' pool makes a parent's children differ, so it needs 'parent'")

    def domain(self, spec, table, depth):
        if spec.pools.path_of(self.name) is None:
            return None
        values = spec.pools.get(self.name).values
        return set(values.to_list()) if len(values) <= 10_000 else None

    def accepts(self, kind):
        return kind in ("text", "json", "bytes")

    def differs_among_siblings(self, spec, filters):
        return self.distinct and spec.pool_injective(self.name, filters)

    def ranks(self, rows, key) -> np.ndarray:
        size = len(rows.pools.get(self.name))
        if self.distinct:
            return rows.sibling_ranks(key, size, self.zipf)
        return skewed_rank(counter.uniform(key, rows.idx), size, self.zipf)

    def evaluate(self, rows, key, kind):
        return Column.coded(kind, rows.pools.get(self.name).values, self.ranks(rows, key))

    def filtered(self, rows, key, filters) -> pl.Series:
        """Values with template filters applied to the (small) pool before gathering."""
        values = rows.pools.through(self.name, filters, apply_filters)
        return values.gather(self.ranks(rows, key))


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_FILTERS = {"lower", "upper", "slug", "title", "pad", "json", "get", "base64"}
# Filters that keep the digits an index-built part is made of: the part stays unique through them.
INDEX_SAFE_FILTERS = ("slug", "lower", "pad")


@dataclass
class Template(Generator):
    """Text assembled from literal parts and placeholders ``{name|filter}``.

    A placeholder names a part (a sub-generator under ``parts``), a column of this row, a path
    through links (``parent.slug``) or ``_index``/``_ordinal``. Filters: ``lower``, ``upper``,
    ``title``, ``slug`` (the gateway's slugify), ``pad:N`` (zero-pad numbers), ``json`` (JSON
    string escaping), ``get:KEY`` (a member of a JSON document, e.g. one entry of a JSON pool, so
    several columns can share one pooled record), ``base64`` (standard base64 of the UTF-8 text,
    with padding, as in HTTP Basic credentials). ``{{`` and ``}}`` are literal braces.
    """

    text: str = ""
    parts: dict[str, Generator] = field(default_factory=dict)
    kind = "text"
    names = ("template",)
    draws = False
    valued = True
    dep_key = ("template",)

    @classmethod
    def from_spec(cls, name, params, p):
        if isinstance(params, str):
            return cls(params)
        return cls(p["text"], {k: _sub(v, "template", "parts", k) for k, v in (p.get("parts") or {}).items()})

    def own_deps(self):
        return [name for _, name, _ in self.pieces if name is not None and name not in self.parts]

    def spec_child(self, name):
        return ("template", "parts", name), self.parts[name]

    def __post_init__(self):
        self.pieces: list[tuple[str, str | None, list[tuple[str, str | None]]]] = []
        body = self.text.replace("{{", "\x00").replace("}}", "\x01")
        pos = 0
        for m in _PLACEHOLDER.finditer(body):
            self.pieces.append((self._literal(body[pos : m.start()]), *self._placeholder(m.group(1))))
            pos = m.end()
        self.pieces.append((self._literal(body[pos:]), None, []))

    def _literal(self, text: str) -> str:
        if "{" in text or "}" in text:
            raise GenError(f"unbalanced brace in template '{self.text}' (write {{{{ or }}}} for a literal brace)")
        return text.replace("\x00", "{").replace("\x01", "}")

    def _placeholder(self, body: str):
        name, *filters = [p.strip() for p in body.split("|")]
        if not name:
            raise GenError(f"empty placeholder in template '{self.text}'")
        parsed = []
        for f in filters:
            fname, _, arg = f.partition(":")
            if fname not in _FILTERS:
                raise GenError(f"unknown template filter '{fname}' in '{{{body}}}'." + did_you_mean(fname, _FILTERS))
            if fname == "pad" and not arg.isdigit():
                raise GenError(f"filter 'pad' needs a width, e.g. '{{{name}|pad:6}}'")
            if fname == "get" and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", arg):
                raise GenError(f"filter 'get' needs a member name, e.g. '{{{name}|get:input_schema}}'")
            parsed.append((fname, arg or None))
        return name, parsed

    @property
    def unique(self):  # type: ignore[override]
        # Injective when it embeds a unique part between fixed delimiters; plain paths to unique
        # columns of this row count too (validated by the spec checker).
        for i, (_, name, filters) in enumerate(self.pieces):
            if name is None or not self.recoverable(i):
                continue
            if name in self.parts and self.parts[name].unique and all(f[0] in INDEX_SAFE_FILTERS for f in filters):
                return True
            if name == "_index" and all(f[0] in INDEX_SAFE_FILTERS for f in filters):
                return True
        return False

    def recoverable(self, i: int, edge=None) -> bool:
        """Whether placeholder ``i``'s value stays apart from its neighbours in every text the
        template makes, so that a unique value there keeps the whole text unique.
        ``"{_index}{n}"`` does not (``1`` + ``23`` and ``12`` + ``3`` are the same text). Each side
        must be the end of the template, a literal whose character next to the placeholder cannot
        occur in its values (for ``_index`` anything but a digit, else anything but a letter or
        digit), or a placeholder whose values never touch it with such a character:
        ``edge(name, filters, side)`` says so (``side`` "end" or "start" of the neighbour's values),
        when the caller knows the neighbour's values (a pool)."""
        name = self.pieces[i][1]

        def delimiter(ch: str) -> bool:
            return not ch.isdigit() if name == "_index" else not ch.isalnum()

        before, after = self.pieces[i][0], self.pieces[i + 1][0]
        if before:
            left = delimiter(before[-1])
        else:
            left = i == 0 or (edge is not None and edge(*self.pieces[i - 1][1:], "end", delimiter))
        if after:
            right = delimiter(after[0])
        else:
            right = i == len(self.pieces) - 2 or (edge is not None and edge(*self.pieces[i + 1][1:], "start", delimiter))
        return left and right

    def deps(self):
        for _, name, _ in self.pieces:
            if name is not None and name not in self.parts:
                yield name
        for _, g in self.parts.items():
            yield from g.deps()

    def children(self):
        yield from self.parts.items()

    def accepts(self, kind):
        return kind in ("text", "bytes", "json")

    def _pool_source(self, rows, key, name):
        """The pool generator behind a placeholder, when filters can run on the pool instead."""
        if name in self.parts:
            g = self.parts[name]
            return (g, counter.sub_key(key, name)) if isinstance(g, Pool) else (None, None)
        c = rows.spec.columns.get(name)
        if c is not None and isinstance(c.gen, Pool) and not c.null_rate and c.null_when is None:
            return c.gen, rows.key(c.stream_name)
        return None, None

    def _coded(self, rows, key, kind) -> Column | None:
        """``prefix{name|filters}suffix`` over a coded source (a pool, a categorical, a parent's
        values): the template is applied to the distinct values and the result stays coded."""
        if len(self.pieces) != 2:
            return None
        (prefix, name, filters), (suffix, _, _) = self.pieces
        n = len(rows.idx)
        pool, pool_key = self._pool_source(rows, key, name)
        if pool is not None:
            values = rows.pools.get(pool.name).values
            if len(values) >= n:
                return None
            if filters:
                values = rows.pools.through(pool.name, filters, apply_filters)
            codes = pool.ranks(rows, pool_key)
        else:
            if name in self.parts:
                return None
            col = rows.path(name)  # computed once per batch: the general path below reuses it
            if col.codes is None or col._values is not None or len(col.dictionary) >= n:
                return None
            values, codes = apply_filters(col.dictionary, filters), col.codes
        if prefix or suffix:
            values = pl.select(pl.concat_str([pl.lit(prefix), pl.lit(values), pl.lit(suffix)])).to_series()
        return Column.coded(kind, values, codes)

    def evaluate(self, rows, key, kind):
        if (coded := self._coded(rows, key, kind)) is not None:
            return coded
        exprs = []
        for literal, name, filters in self.pieces:
            if literal:
                exprs.append(pl.lit(literal))
            if name is None:
                continue
            pool, pool_key = self._pool_source(rows, key, name)
            if pool is not None and filters:
                exprs.append(pool.filtered(rows, pool_key, filters))
                continue
            if name in self.parts:
                g = self.parts[name]
                col = g.evaluate(rows, counter.sub_key(key, name), g.kind or _default_part_kind(g))
            else:
                col = rows.path(name)
            exprs.append(apply_filters(as_text(col), filters))
        if all(name is None for _, name, _ in self.pieces):
            # Literal text only: one value per row (concatenating literals alone gives one value).
            text = "".join(literal for literal, _, _ in self.pieces)
            return Column(kind, pl.repeat(text, len(rows.idx), eager=True, dtype=pl.String))
        return Column(kind, pl.select(pl.concat_str(exprs)).to_series())


def apply_filters(s: pl.Series, filters) -> pl.Series:
    for fname, arg in filters:
        if fname == "lower":
            s = s.str.to_lowercase()
        elif fname == "upper":
            s = s.str.to_uppercase()
        elif fname == "title":
            s = s.str.to_titlecase()
        elif fname == "slug":
            s = slugify(s)
        elif fname == "pad":
            s = s.str.zfill(int(arg))
        elif fname == "json":
            s = json_escape(s)
        elif fname == "get":
            s = json_member(s, arg)
        elif fname == "base64":
            s = s.str.encode("base64")
    return s


def json_member(s: pl.Series, key: str) -> pl.Series:
    """A member of each JSON document: strings come out unquoted, objects and arrays as JSON.

    Documents usually come from a pool, so there are few distinct ones: each is parsed once.
    """
    path = f"$.{key}"
    if len(s) < 64 or s.null_count():
        return s.str.json_path_match(path)
    distinct = s.unique()
    if len(distinct) * 4 > len(s):
        return s.str.json_path_match(path)
    return s.replace_strict(distinct, distinct.str.json_path_match(path), return_dtype=pl.String)


def slugify(s: pl.Series) -> pl.Series:
    """The gateway's ``slugify``: lower case, drop apostrophes inside words, runs of
    non-alphanumerics (and ``_``) to ``-``, strip ``-`` at the ends."""
    return (
        s.str.to_lowercase()
        .str.replace_all(r"(\w)['\u2019](\w)", "${1}${2}")
        .str.replace_all(r"[\W_]+", "-")
        .str.strip_chars("-")
    )


def json_escape(s: pl.Series) -> pl.Series:
    """Text as the inside of a JSON string literal (quotes, backslashes, control characters)."""
    if not s.str.contains(r'[\\"\x00-\x1f]').any():
        return s
    s = s.str.replace_all("\\", "\\\\", literal=True).str.replace_all('"', '\\"', literal=True)
    s = s.str.replace_all("\n", "\\n", literal=True).str.replace_all("\r", "\\r", literal=True)
    s = s.str.replace_all("\t", "\\t", literal=True)
    if s.str.contains(r"[\x00-\x1f]").any():
        for c in range(32):
            s = s.str.replace_all(chr(c), f"\\u{c:04x}", literal=True)
    return s


# -- numbers ------------------------------------------------------------------------------------


@dataclass
class Numeric(Generator):
    """Base for continuous distributions; integer columns get rounded values."""

    min: float | None = None
    max: float | None = None
    round: int | None = None
    valued = True

    @classmethod
    def from_spec(cls, name, params, p):
        keys = {k: p[k] for k in p if k != "round"}
        return cls(round=p.get("round"), **keys)

    def check(self, ctx):
        if self.min is not None and self.max is not None and self.min > self.max:
            ctx.error((self.names[0], "min"), f"min ({self.min}) > max ({self.max})")

    def accepts(self, kind):
        return kind in ("int", "float")

    def draw(self, key, idx) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def evaluate(self, rows, key, kind):
        x = self.draw(key, rows.idx)
        if self.min is not None or self.max is not None:
            x = np.clip(x, self.min, self.max)
        if kind == "int":
            return Column("int", np.rint(x).astype(np.int64))
        if self.round is not None:
            x = np.round(x, self.round)
        return Column("float", x)


@dataclass
class Uniform(Numeric):
    names = ("uniform",)

    def evaluate(self, rows, key, kind):
        if kind == "int":
            lo, hi = math.ceil(self.min), math.floor(self.max)
            span = np.int64(hi - lo + 1)
            return Column("int", counter.below(key, rows.idx, span) + np.int64(lo))
        x = self.min + (self.max - self.min) * counter.uniform(key, rows.idx)
        return Column("float", np.round(x, self.round) if self.round is not None else x)


@dataclass
class Normal(Numeric):
    mean: float = 0.0
    std: float = 1.0
    names = ("normal",)

    def check(self, ctx):
        super().check(ctx)
        if self.std <= 0:
            ctx.error(("normal", "std"), "std must be > 0")

    def draw(self, key, idx):
        return self.mean + self.std * counter.normal(key, idx)


@dataclass
class LogNormal(Numeric):
    """``median`` (= e^mu) or arithmetic ``mean``, and ``sigma`` of the underlying normal."""

    mean: float | None = None
    median: float | None = None
    sigma: float = 1.0
    names = ("lognormal",)

    def check(self, ctx):
        super().check(ctx)
        if (self.mean is None) == (self.median is None):
            ctx.error(("lognormal",), "give exactly one of 'mean' or 'median'")
        elif (self.mean if self.mean is not None else self.median) <= 0:
            ctx.error(("lognormal",), "lognormal mean/median must be > 0")
        if self.sigma <= 0:
            ctx.error(("lognormal", "sigma"), "sigma must be > 0")

    def draw(self, key, idx):
        mu = math.log(self.median) if self.median is not None else math.log(self.mean) - self.sigma**2 / 2
        return np.exp(mu + self.sigma * counter.normal(key, idx))


@dataclass
class Exponential(Numeric):
    mean: float = 1.0
    names = ("exponential",)

    def check(self, ctx):
        super().check(ctx)
        if self.mean <= 0:
            ctx.error(("exponential", "mean"), "mean must be > 0")

    def draw(self, key, idx):
        return -self.mean * np.log(counter.uniform(key, idx))


@dataclass
class PowerLaw(Numeric):
    """Pareto: ``min * u ** (-1 / (alpha - 1))`` for density ~ x ** -alpha (alpha > 1)."""

    alpha: float = 2.0
    names = ("powerlaw",)

    def check(self, ctx):
        super().check(ctx)
        if self.alpha <= 1:
            ctx.error(("powerlaw", "alpha"), "alpha must be > 1")
        if self.min <= 0:
            ctx.error(("powerlaw", "min"), "min must be > 0")

    def draw(self, key, idx):
        x = self.min * counter.uniform(key, idx) ** (-1.0 / (self.alpha - 1.0))
        return x


@dataclass
class Zipf(Generator):
    """Integers in [min, max] with P(k) ~ (k - min + 1) ** -s."""

    min: int = 1
    max: int = 100
    s: float = 1.1
    kind = "int"
    names = ("zipf",)
    valued = True

    @classmethod
    def from_spec(cls, name, params, p):
        return cls(p.get("min", 1), p["max"], p["s"])

    def check(self, ctx):
        if self.min > self.max:
            ctx.error(("zipf", "min"), f"min ({self.min}) > max ({self.max})")

    def evaluate(self, rows, key, kind):
        r = skewed_rank(counter.uniform(key, rows.idx), self.max - self.min + 1, self.s)
        return Column("int", r + self.min)


@dataclass
class Categorical(Generator):
    values: list = field(default_factory=list)
    weights: list | None = None
    names = ("categorical",)

    @classmethod
    def from_spec(cls, name, params, p):
        return cls(list(p["values"]), p.get("weights"))

    def check(self, ctx):
        if self.weights is not None and len(self.weights) != len(self.values):
            ctx.error(("categorical", "weights"), f"{len(self.weights)} weights for {len(self.values)} values")
        elif self.weights is not None and sum(self.weights) <= 0:
            ctx.error(("categorical", "weights"), "weights must not all be zero")

    def domain(self, spec, table, depth):
        return {case_text(v) for v in self.values if v is not None}

    def listed_values(self, column_gen):
        return [v for v in self.values if v is not None]

    def known_values(self):
        return list(self.values)

    def text_length(self):
        return max([len(v) if isinstance(v, str) else len(json_text(v)) for v in self.values] or [0])

    def __post_init__(self):
        w = np.asarray(self.weights if self.weights else [1.0] * len(self.values), dtype=np.float64)
        self._cdf = np.cumsum(w) / w.sum()

    def accepts(self, kind):
        return all(Const(v).accepts(kind) for v in self.values)

    def evaluate(self, rows, key, kind):
        k = np.searchsorted(self._cdf, counter.uniform(key, rows.idx), side="right")
        np.minimum(k, len(self.values) - 1, out=k)
        return literal_column(kind, self.values, k)


@dataclass
class Bernoulli(Generator):
    p: float = 0.5
    kind = "bool"
    names = ("bernoulli", "percent")  # percent: p given in percent
    valued = True

    @classmethod
    def from_spec(cls, name, params, p):
        return cls(float(params) / 100.0 if name == "percent" else float(params))

    def check(self, ctx):
        if not 0 <= self.p <= 1:
            ctx.error((), f"probability must lie in [0, 1], got {self.p}")

    def domain(self, spec, table, depth):
        return {"true", "false"}

    def known_values(self):
        return [True, False]

    def text_length(self):
        return 5

    def evaluate(self, rows, key, kind):
        return Column("bool", counter.uniform(key, rows.idx) < self.p)


# -- time ---------------------------------------------------------------------------------------


@dataclass
class Timestamp(Generator):
    """A time in ``[after, before]`` (defaults: the profile window), uniform or with exponential
    recency; or ``after + offset`` when an offset range is given (e.g. expiry dates).

    ``after`` and ``before`` are paths, or lists of paths: the latest of the ``after`` values and
    the earliest of the ``before`` values bound the time (NULL values are ignored), so a child can
    be kept after both of its parents. Without an offset the time never passes the window's end;
    with one it may (expiry dates), unless ``bounded`` or a ``before`` is given ("soon after").

    With ``slots`` (``distinct: 1h``) the children of one parent get pairwise different slot
    starts (whole hours since the epoch, say) from the slot holding ``after`` to the last slot
    starting before the end, in child order, weighted by ``recency``: child ``j`` (counted from
    the last) is ``j`` slots plus a non-decreasing share of the free slots back from the end, so
    the slots are distinct by construction. The fan-out gives a parent no more children than it
    has slots (``slot_cap``).
    """

    after: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    half_life_days: float | None = None
    offset: tuple[int, int] | None = None
    bounded: bool = False  # offset results kept before `before` and the window's end
    slots: int | None = None  # seconds per slot: children of a parent get distinct slots
    kind = "timestamp"
    names = ("timestamp",)
    valued = True
    dep_key = ("timestamp",)

    @classmethod
    def from_spec(cls, name, params, p):
        offset = p.get("offset")
        return cls(
            after=_paths(p.get("after")),
            before=_paths(p.get("before")),
            half_life_days=(p.get("recency") or {}).get("half_life_days"),
            offset=(seconds(offset["min"]), seconds(offset["max"])) if offset else None,
            bounded=bool(p.get("bounded", False)),
            slots=seconds(p["distinct"]) if p.get("distinct") else None,
        )

    def check(self, ctx):
        if self.slots:
            if ctx.table.parent is None:
                ctx.error(("timestamp", "distinct"), "'distinct' gives a parent's children different "
                          "time slots, so it needs 'parent'")
            elif not self.after or any(not p.startswith("parent.") for p in (*self.after, *self.before)):
                ctx.error(("timestamp", "distinct"), "'distinct' slots count from the parent: 'after' "
                          "(and 'before') must be paths from it, e.g. parent.created_at")
            if self.offset:
                ctx.error(("timestamp", "offset"), "'offset' and 'distinct' exclude each other")
        for which in ("after", "before"):
            for p in getattr(self, which):
                if is_instant(p):
                    try:
                        parse_instant(p)
                    except ValueError:
                        ctx.error(("timestamp", which), f"not an ISO-8601 date or time: '{p}'")
                    continue
                k = ctx.kind_at(p)
                if k is not None and k not in ("timestamp", "date"):
                    ctx.error(("timestamp", which), f"'{p}' is {k}, not a timestamp")
        if self.offset and self.offset[0] > self.offset[1]:
            ctx.error(("timestamp", "offset"), "offset min > max")
        if self.offset and not self.after:
            ctx.error(("timestamp", "offset"), "'offset' counts from 'after': add 'after'")

    def text_length(self):
        return 20

    def differs_among_siblings(self, spec, filters):
        # Slots are distinct by construction (see the class); filters are not consulted.
        return bool(self.slots)

    def accepts(self, kind):
        return kind in ("timestamp", "date")

    def deps(self):
        yield from (p for p in (*self.after, *self.before) if not is_instant(p))

    def _slot_range(self, rows, paths_after, paths_before, n):
        """(last slot, number of slots): the slots are those of the epoch's grid that start
        before the end; counted from the time span alone, so that moving the window (--as-of)
        by any amount keeps every parent's number of slots."""
        lo = _bound(rows, paths_after, rows.window_start, n, latest=True)
        hi = np.minimum(_bound(rows, paths_before, rows.window_end, n, latest=False), rows.window_end)
        return (hi - 1) // self.slots, np.maximum((hi - lo) // self.slots, 0)

    def slot_cap(self, parent_rows) -> np.ndarray:
        """How many distinct slots each parent offers its children."""
        strip = [p.split(".", 1)[1] for p in self.after]
        before = [p.split(".", 1)[1] for p in self.before]
        return self._slot_range(parent_rows, strip, before, len(parent_rows.idx))[1]

    def _slotted(self, rows, key, n) -> np.ndarray:
        last, slots = self._slot_range(rows, self.after, self.before, n)
        parent, ordinal = rows.located()
        k = rows.plan.fanouts[rows.table].counts(parent)
        free = np.maximum(slots - k, 0)
        j = k - 1 - ordinal  # counted from the last child: j = 0 is the most recent slot
        x = (j + counter.uniform(key, rows.idx)) / np.maximum(k, 1)
        if self.half_life_days:
            lam = math.log(2.0) * self.slots / (self.half_life_days * 86400.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                q = -np.log1p(-x * -np.expm1(-lam * free)) / lam
        else:
            q = x * free
        share = np.clip(np.floor(q), 0, free).astype(np.int64)
        return (last - j - share) * self.slots

    def evaluate(self, rows, key, kind):
        n = len(rows.idx)
        if self.slots:
            t = self._slotted(rows, key, n)
            return Column("date", t // 86400) if kind == "date" else Column("timestamp", t)
        lo = _bound(rows, self.after, rows.window_start, n, latest=True)
        u = counter.uniform(key, rows.idx)
        if self.offset is not None:
            a, b = self.offset
            t = lo + a + (u * (b - a + 1)).astype(np.int64)
            if self.bounded or self.before:
                hi = np.minimum(_bound(rows, self.before, rows.window_end, n, latest=False), rows.window_end)
                t = np.maximum(np.minimum(t, hi), lo)
        else:
            hi = np.minimum(_bound(rows, self.before, rows.window_end, n, latest=False), rows.window_end)
            hi = np.maximum(hi, lo)
            span = (hi - lo).astype(np.float64)
            if self.half_life_days:
                lam = math.log(2.0) / (self.half_life_days * 86400.0)
                back = -np.log1p(-u * -np.expm1(-lam * span)) / lam
            else:
                back = u * (span + 1.0)
            back = np.minimum(back.astype(np.int64), (hi - lo))
            t = hi - back
        if kind == "date":
            return Column("date", t // 86400)
        return Column("timestamp", t)


_NONE_LATEST = np.iinfo(np.int64).min
_NONE_EARLIEST = np.iinfo(np.int64).max


def _bound(rows, paths, default, n, latest: bool):
    """The latest (or earliest) non-NULL value of ``paths`` per row; ``default`` where none."""
    if not paths:
        return np.full(n, default, dtype=np.int64)
    neutral = _NONE_LATEST if latest else _NONE_EARLIEST
    out = None
    for path in paths:
        if is_instant(path):
            v = np.full(n, parse_instant(path), dtype=np.int64)
            out = v if out is None else (np.maximum(out, v) if latest else np.minimum(out, v))
            continue
        col = rows.path(path)
        v = (col.values if col.kind == "timestamp" else col.values * 86400).astype(np.int64, copy=False)
        if col.nulls is not None:
            v = np.where(col.nulls, neutral, v)
        out = v.copy() if out is None else (np.maximum(out, v) if latest else np.minimum(out, v))
    return np.where(out == neutral, default, out)


# -- structured text --------------------------------------------------------------------------


_OCTETS = pl.Series([str(i) for i in range(256)], dtype=pl.String)


@dataclass
class Ipv4(Generator):
    private: bool = False
    kind = "text"
    names = ("ipv4",)
    valued = True

    @classmethod
    def from_spec(cls, name, params, p):
        return cls(p.get("private", False))

    def text_length(self):
        return 15

    def evaluate(self, rows, key, kind):
        w = counter.words(key, rows.idx)
        b = [((w >> np.uint64(s)) & np.uint64(255)).astype(np.int64) for s in (0, 8, 16, 24)]
        if self.private:
            first = np.where(b[0] % 2 == 0, 10, 192)
            second = np.where(first == 10, b[1], 168)
        else:
            # 11..223 avoids 0/8, 10/8 and 127/8 and multicast space; good enough for realism.
            first = 11 + b[0] % 213
            first = np.where(first == 127, 128, first)
            second = b[1]
        parts = [_OCTETS.gather(first), _OCTETS.gather(second), _OCTETS.gather(b[2]), _OCTETS.gather(1 + b[3] % 254)]
        return Column("text", pl.select(pl.concat_str(parts, separator=".")).to_series())


@dataclass
class JsonObject(Generator):
    """A JSON object whose members come from generators (``const`` for literals)."""

    fields: dict[str, Generator] = field(default_factory=dict)
    kind = "json"
    names = ("json",)  # an object or, with `array`, a JsonArray: one spec key for both
    draws = False

    @classmethod
    def from_spec(cls, name, params, p):
        if "object" in p:
            return cls({k: _sub(v, "object", k) for k, v in p["object"].items()})
        a = p["array"]
        return JsonArray(_sub(a["items"], "array", "items"), a.get("min", 0), a.get("max", 3))

    def own_deps(self):
        return []

    def spec_child(self, name):
        return ("json", "object", name), self.fields[name]

    def deps(self):
        for g in self.fields.values():
            yield from g.deps()

    def children(self):
        yield from self.fields.items()

    def accepts(self, kind):
        return kind in ("json", "text")

    def evaluate(self, rows, key, kind):
        exprs = [pl.lit("{")]
        for i, (name, g) in enumerate(self.fields.items()):
            exprs.append(pl.lit(("" if i == 0 else ", ") + json_text(str(name)) + ": "))
            exprs.append(json_fragment(g, rows, counter.sub_key(key, name)))
        exprs.append(pl.lit("}"))
        return Column(kind, pl.select(pl.concat_str(exprs)).to_series())


@dataclass
class JsonArray(Generator):
    """A JSON array of ``min``..``max`` items (pool items are distinct within one array)."""

    items: Generator | None = None
    min: int = 0
    max: int = 3
    kind = "json"

    def check(self, ctx):
        if isinstance(self.items, Pool) and ctx.pools.path_of(self.items.name) is None:
            ctx.error(("array", "items"), f"unknown pool '{self.items.name}'."
                      + did_you_mean(self.items.name, ctx.pools.names()))
        if self.min > self.max:
            ctx.error(("array", "min"), f"min ({self.min}) > max ({self.max})")

    def own_deps(self):
        return []

    def spec_child(self, name):
        return ("json", "array", "items"), self.items

    def deps(self):
        return self.items.deps()

    def children(self):
        yield "items", self.items

    def accepts(self, kind):
        return kind in ("json", "text")

    def evaluate(self, rows, key, kind):
        n = len(rows.idx)
        count = self.min + counter.below(counter.sub_key(key, "count"), rows.idx, self.max - self.min + 1)
        frags = []
        if isinstance(self.items, Pool):
            pool = rows.pools.get(self.items.name)
            size = len(pool)
            start = counter.below(counter.sub_key(key, "start"), rows.idx, size)
            stride = _coprime_stride(counter.words(counter.sub_key(key, "stride"), rows.idx), size)
            # Text items become JSON strings; a pool of JSON documents gives the documents themselves.
            if pool.kind == "json":
                items, quote = pool.values, ""
            else:
                items, quote = rows.pools.filtered(pool.name, (("json", None),), json_escape), '"'
            for j in range(self.max):
                pos = (start + j * stride) % size
                frags.append(pl.lit(quote) + pl.lit(items.gather(pos)) + pl.lit(quote))
        else:
            for j in range(self.max):
                frags.append(json_fragment(self.items, rows, counter.sub_key(key, j)))
        exprs = [pl.lit("[")]
        cnt = pl.Series(count)
        for j, frag in enumerate(frags):
            sep = "" if j == 0 else ", "
            exprs.append(pl.when(cnt > j).then(pl.lit(sep) + frag).otherwise(pl.lit("")))
        exprs.append(pl.lit("]"))
        out = pl.select(pl.concat_str(exprs)).to_series() if n else pl.Series([], dtype=pl.String)
        return Column(kind, out)


def _coprime_stride(w: np.ndarray, size: int) -> np.ndarray:
    """A stride in [1, size) coprime with ``size`` per row, so ``start + j*stride`` never repeats."""
    if size <= 2:
        return np.ones(len(w), dtype=np.int64)
    strides = _coprimes(size)
    return strides[(w % np.uint64(len(strides))).astype(np.int64)]


@functools.cache
def _coprimes(size: int) -> np.ndarray:
    n = np.arange(1, size, dtype=np.int64)
    return n[np.gcd(n, size) == 1]


def json_fragment(g: Generator, rows, key) -> pl.Expr:
    """A generator's values as JSON text (strings quoted and escaped, NULL as null)."""
    if isinstance(g, Pool) and rows.pools.get(g.name).kind == "text":
        return pl.lit('"') + pl.lit(g.filtered(rows, key, [("json", None)])) + pl.lit('"')
    kind = g.kind or _default_json_kind(g)
    col = g.evaluate(rows, key, kind)
    if col.kind in ("text", "bytes"):
        expr = pl.lit('"') + pl.lit(json_escape(col.values)) + pl.lit('"')
    elif col.kind == "json":
        expr = pl.lit(col.values)
    elif col.kind in ("timestamp", "date"):
        expr = pl.lit('"') + pl.lit(as_text(col)) + pl.lit('"')
    else:
        expr = pl.lit(as_text(col))
    if col.nulls is not None and col.nulls.any():
        expr = pl.when(pl.lit(pl.Series(col.nulls))).then(pl.lit("null")).otherwise(expr)
    return expr


def _default_part_kind(g: Generator) -> str:
    """The kind a template part is drawn in: whole numbers for a uniform between integers."""
    if isinstance(g, Uniform) and isinstance(g.min, int) and isinstance(g.max, int) and g.round is None:
        return "int"
    return "text"


def _default_json_kind(g: Generator) -> str:
    if isinstance(g, Pool):
        return "json"  # text pools are handled before; a JSON pool's documents are embedded as-is
    if isinstance(g, Uniform) and _default_part_kind(g) == "int":
        return "int"
    if isinstance(g, Const):
        v = g.value
        return "json" if not isinstance(v, (str, bool, int, float)) else (
            "bool" if isinstance(v, bool) else "int" if isinstance(v, int) else "float" if isinstance(v, float) else "text"
        )
    if isinstance(g, Categorical):
        return "json"
    if isinstance(g, Numeric):
        return "float"
    return "text"


# -- encrypted values -----------------------------------------------------------------------------


@dataclass
class Encrypt(Generator):
    """The value of ``value`` (any generator; its text, UTF-8) encrypted with a scheme of
    ``crypto.SCHEMES`` under the secret in environment variable ``env``, in the exact format the
    gateway decrypts. Nonces, IVs and salts come from this node's stream (seed, table, column, row),
    so output is reproducible for a given secret.

    Without the secret (``env`` unset or empty) the value is NULL, or ``fallback``'s value when
    one is given (the same values as ``fallback`` in this place without ``encrypt``). ``at`` (schemes whose token records the time of encryption): a timestamp path,
    e.g. ``updated_at``; by default the end of the profile's window. In a JSON column the stored
    text becomes a JSON string.
    """

    value: Generator | None = None
    scheme: str = ""
    env: str = ""
    fallback: Generator | None = None
    at: str | None = None
    names = ("encrypt",)
    dep_key = ("encrypt", "at")

    @classmethod
    def from_spec(cls, name, params, p):
        return cls(_sub(p["value"], "encrypt", "value"), p["scheme"], p["secret"]["env"],
                   _sub(p["fallback"], "encrypt", "fallback") if "fallback" in p else None, p.get("at"))

    def check(self, ctx):
        from specgen.engine.crypto import SCHEMES

        scheme = SCHEMES.get(self.scheme)
        if scheme is None:  # the JSON Schema lists the schemes; a spec built in Python may not
            ctx.error(("encrypt", "scheme"), f"unknown scheme '{self.scheme}'." + did_you_mean(self.scheme, SCHEMES))
            return
        if self.at is None:
            return
        if not scheme.embeds_time:
            ctx.error(("encrypt", "at"), f"scheme '{self.scheme}' records no time of encryption: drop 'at'")
            return
        k = ctx.kind_at(self.at)
        if k is not None and k not in ("timestamp", "date"):
            ctx.error(("encrypt", "at"), f"'{self.at}' is {k}, not a timestamp")

    def own_deps(self):
        return [self.at] if self.at else []

    def spec_child(self, name):
        return ("encrypt", name), (self.value if name == "value" else self.fallback)

    def deps(self):
        yield from self.value.deps()
        if self.fallback is not None:
            yield from self.fallback.deps()
        if self.at:
            yield self.at

    def children(self):
        yield "value", self.value
        if self.fallback is not None:
            yield "fallback", self.fallback

    def accepts(self, kind):
        return kind in ("text", "json") and (self.fallback is None or self.fallback.accepts(kind))

    def evaluate(self, rows, key, kind):
        from specgen.engine import crypto

        n = len(rows.idx)
        secret = crypto.read_secret(self.env)
        if secret is None:
            if self.fallback is not None:  # drawn from this node's own stream: what it alone would give
                return self.fallback.evaluate(rows, key, kind)
            return Column(kind, zeros(kind, n), np.ones(n, dtype=bool))
        scheme = crypto.SCHEMES[self.scheme]
        inner = self.value.evaluate(rows, counter.sub_key(key, "value"), self.value.kind or _default_json_kind(self.value))
        text = as_text(inner)
        if inner.nulls is not None and inner.nulls.any():  # nothing to encrypt: NULL, as the gateway stores it
            text = pl.select(pl.when(pl.lit(pl.Series(inner.nulls))).then(None).otherwise(pl.lit(text))).to_series()
        salt = _le_bytes(counter.words(counter.sub_key(key, "salt"), np.arange(2))).tobytes()[: scheme.salt_bytes]
        times = None
        if scheme.embeds_time:
            if self.at:
                at = rows.path(self.at)
                times = at.values * 86400 if at.kind == "date" else at.values
            else:
                times = np.full(n, rows.window_end, dtype=np.int64)
        out = crypto.encrypt(scheme, secret, text, counter.words(counter.sub_key(key, "nonce"), rows.idx), salt, times)
        if kind == "json":  # a JSON column holds the stored text as a JSON string
            out = pl.select(pl.concat_str([pl.lit('"'), pl.lit(json_escape(out)), pl.lit('"')])).to_series()
        nulls = out.is_null().to_numpy()
        return Column(kind, out.fill_null(""), nulls if nulls.any() else None)


# -- references and choices ------------------------------------------------------------------


@dataclass
class Ref(Generator):
    """The value of a column reached through links: ``parent.id``, ``owner.team_id``."""

    path: str = ""
    names = ("ref",)
    draws = False
    dep_key = ("ref",)

    @classmethod
    def from_spec(cls, name, params, p):
        return cls(params)

    def never_null(self, spec, table, depth):
        return spec.never_null_path(table, self.path, depth)

    def domain(self, spec, table, depth):
        return spec.domain(table, self.path, depth + 1)

    def listed_values(self, column_gen):
        g = column_gen(self.path)  # only a copy of a column of this row
        return None if g is None else g.listed_values(column_gen)

    def deps(self):
        yield self.path

    def accepts(self, kind):
        return True  # checked against the target column's kind by the spec checker

    def evaluate(self, rows, key, kind):
        return rows.path(self.path)


@dataclass
class Switch(Generator):
    """Per row, the generator of the case matching the ``on`` value (compared as text); or, with
    ``when`` (no ``on``), of the first case whose condition holds."""

    on: str = ""
    cases: dict[str, Generator] = field(default_factory=dict)
    default: Generator | None = None
    when: dict = field(default_factory=dict)  # case key -> expr.Expr condition (the `when` form)
    names = ("switch",)
    draws = False
    dep_key = ("switch",)

    @classmethod
    def from_spec(cls, name, params, p):
        default = _sub(p["default"], "switch", "default") if "default" in p else None
        if isinstance(p["cases"], list):  # the `when` form: ordered conditions, keyed by position
            cases, when = {}, {}
            for i, case in enumerate(p["cases"]):
                when[str(i)] = _expression(case["when"], ("cases", i, "when"))
                cases[str(i)] = _sub(case["then"], "switch", "cases", i, "then")
            return cls("", cases, default, when)
        if "on" not in p:
            raise GenError("a switch needs 'on' (cases keyed by its values) or a list of cases with 'when' conditions")
        return cls(
            p["on"],
            {str(k).lower() if isinstance(k, bool) else str(k): _sub(v, "switch", "cases", k) for k, v in p["cases"].items()},
            default,
        )

    def own_deps(self):
        return [self.on] if self.on else [p for e in self.when.values() for p in e.paths()]

    def spec_child(self, name):
        if name == "default" and self.default is not None and name not in self.cases:
            return ("switch", "default"), self.default
        if self.when:
            return ("switch", "cases", int(name), "then"), self.cases[name]
        return ("switch", "cases", name), self.cases[name]

    def domain(self, spec, table, depth):
        if self.default is None:
            return None
        parts = [spec.gen_domain(table, b, depth + 1) for b in self.children_gens()]
        return None if any(p is None for p in parts) else set().union(*parts)

    def listed_values(self, column_gen):
        out: list = []
        for g in self.children_gens():
            v = g.listed_values(column_gen)
            if v is None:
                return None
            out += v
        return out

    def deps(self):
        if self.on:
            yield self.on
        for e in self.when.values():
            yield from e.paths()
        for g in self.children_gens():
            yield from g.deps()

    def children_gens(self):
        yield from self.cases.values()
        if self.default is not None:
            yield self.default

    def branches(self):
        return list(self.children_gens())

    def children(self):
        yield from self.cases.items()
        if self.default is not None:
            yield "default", self.default

    def accepts(self, kind):
        return all(g.accepts(kind) for g in self.children_gens())

    def evaluate(self, rows, key, kind):
        """Each case is evaluated on its own rows only (a link or id built for the rows of one
        case is not built for the others), then the pieces are put back in row order."""
        on = rows.path(self.on) if self.on else None
        n = len(rows.idx)
        rest = np.ones(n, dtype=bool)
        pieces: list[tuple[np.ndarray, Column]] = []
        for value, g in self.cases.items():
            if on is None:
                from specgen.engine.expr import truth

                mask = truth(self.when[value].evaluate(rows, counter.sub_key(key, f"when{value}"))) & rest
            else:
                mask = matches(on, [value]) & rest
            if mask.any():
                pos = np.flatnonzero(mask)
                pieces.append((pos, g.evaluate(rows.subset(pos), counter.sub_key(key, value), kind)))
                rest &= ~mask
        if rest.any():
            pos = np.flatnonzero(rest)
            if self.default is not None:
                pieces.append((pos, self.default.evaluate(rows.subset(pos), counter.sub_key(key, "default"), kind)))
            else:
                pieces.append((pos, Column(kind, zeros(kind, len(pos)), np.ones(len(pos), dtype=bool))))
        return _assemble(kind, n, pieces)


def _assemble(kind: str, n: int, pieces: list[tuple[np.ndarray, Column]]) -> Column:
    """One column from pieces that each cover some row positions (together: all, once)."""
    if len(pieces) == 1:
        return pieces[0][1]
    positions = np.concatenate([p for p, _ in pieces])
    order = np.argsort(positions, kind="stable")
    nulls = np.concatenate([c.null_mask() for _, c in pieces])[order] if any(c.nulls is not None for _, c in pieces) else None
    if kind in ("text", "json", "bytes"):
        # Coded: the pieces' dictionaries one after another (a plain piece is its own dictionary),
        # so text drawn from small sets (refs, categoricals, pools) is escaped once per value.
        dictionaries, codes, base = [], [], 0
        for _, c in pieces:
            if c._values is None and c.codes is not None:
                d, k = c.dictionary, np.asarray(c.codes, dtype=np.int64)
            elif c.nulls is not None and c.nulls.all():  # rows no case covers: NULL, whatever the value
                d, k = pl.Series([""], dtype=pl.String), np.zeros(len(c), dtype=np.int64)
            else:
                d = c.values if isinstance(c.values, pl.Series) else pl.Series(c.values, dtype=pl.String)
                k = np.arange(len(d), dtype=np.int64)
            dictionaries.append(d)
            codes.append(k + base if base else k)
            base += len(d)
        return Column.coded(kind, pl.concat(dictionaries), np.concatenate(codes)[order], nulls)
    else:
        values = np.concatenate([np.asarray(c.values) for _, c in pieces])[order]
    return Column(kind, values, nulls)

# -- expressions and aggregates -------------------------------------------------------------------


@dataclass
class Expression(Generator):
    """``{expr: "quantity * part.retail_price * (1 - discount)"}`` (see ``specgen.engine.expr``). The
    spec checker infers its kind against the model (``compiled.kind``)."""

    compiled: object = None  # expr.Expr
    names = ("expr",)

    @classmethod
    def from_spec(cls, name, params, p):
        return cls(_expression(params))

    def deps(self):
        yield from self.compiled.paths()

    def accepts(self, kind):
        return True  # the checker compares the inferred kind with the column's

    def evaluate(self, rows, key, kind):
        col = self.compiled.evaluate(rows, key)
        if col.kind == "null":
            n = len(rows.idx)
            return Column(kind, zeros(kind, n), np.ones(n, dtype=bool))
        if col.kind == "duration":
            col = Column("int", col.values, col.nulls)
        return col


AGGREGATES = ("count", "sum", "min", "max", "avg", "any", "all", "quantile", "first", "last")


@dataclass
class Aggregate(Generator):
    """A parent's value computed from its children (``{aggregate: {from: lines, fn: sum, of:
    "price * qty"}}``): the children's values are recomputed from their row range, so the parent
    stays a pure function of its row and the child table is never materialised. Costs about as
    much as generating the children's columns the aggregate reads."""

    table: str = ""  # the child table (its parent is this table)
    fn: str = "count"
    of: object = None  # expr.Expr over a child row (None for count)
    where: object = None  # expr.Expr condition over a child row
    q: float = 0.5
    order_by: object = None  # expr.Expr over a child row (first / last)
    kind = None
    names = ("aggregate",)

    @classmethod
    def from_spec(cls, name, params, p):
        fn = next((f for f in AGGREGATES if f in p), None) if "fn" not in p else p["fn"]
        return cls(
            table=p["from"], fn=fn,
            of=_expression(p.get("of"), ("of",)),
            where=_expression(p.get("where"), ("where",)),
            q=float(p.get("q", 0.5)),
            order_by=_expression(p.get("order_by"), ("order_by",)),
        )

    def own_deps(self):
        return []  # it reads its child table's columns (checked with that table)

    def never_null(self, spec, table, depth):
        return self.fn in ("count", "sum", "any", "all")

    def accepts(self, kind):
        return True  # the checker compares the result kind with the column's

    def result_kind(self, of_kind: str | None) -> str:
        if self.fn == "count":
            return "int"
        if self.fn in ("any", "all"):
            return "bool"
        if self.fn in ("avg", "quantile"):
            return "float"
        return of_kind

    def evaluate(self, rows, key, kind):
        from specgen.engine.aggregate import aggregate

        return aggregate(self, rows, kind)


@dataclass
class Literal(Generator):
    """The values of a reference table's literal rows, by row index."""

    values: list = field(default_factory=list)

    def own_deps(self):
        return []

    def never_null(self, spec, table, depth):
        return all(v is not None for v in self.values)

    def domain(self, spec, table, depth):
        return {case_text(v) for v in self.values if v is not None}

    def row_values(self):
        return self.values

    def text_length(self):
        return max([len(v) if isinstance(v, str) else len(json_text(v)) for v in self.values] or [0])

    def accepts(self, kind):
        return all(Const(v).accepts(kind) for v in self.values)

    def evaluate(self, rows, key, kind):
        return literal_column(kind, self.values, rows.idx)


# -- building from the spec form ---------------------------------------------------------------


# Every spec key of a generator kind.
NAMES = tuple(KINDS)


def build(spec) -> Generator:
    """Spec form -> generator (parameters already resolved: no ``$param`` strings left)."""
    if isinstance(spec, str):
        name, params = spec, None
    else:
        (name, params), = spec.items()
    p = params if isinstance(params, dict) else {}
    try:
        return KINDS[name].from_spec(name, params, p)
    except GenError as exc:
        raise GenError(str(exc), (name, *exc.where), exc.offset) from None


def _sub(value, *where):
    try:
        return build(value)
    except GenError as exc:
        raise GenError(str(exc), (*where, *exc.where), exc.offset) from None


def _paths(value) -> tuple[str, ...]:
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _expression(source, where=()):
    from specgen.engine import expr

    if source is None:
        return None
    try:
        return expr.parse(source, PARAMS.get() or {})
    except expr.ExprError as exc:
        raise GenError(str(exc), where, exc.offset) from None


def walk(g: Generator, where: tuple = ()) -> Iterator[tuple[tuple, Generator]]:
    """Every generator node with its spec path relative to the column's ``gen``."""
    yield where, g
    for name, child in g.children():
        yield from walk(child, (*where, name))
