"""Kinds whose values the spec lists or names: ``const``, ``pool``, ``categorical``,
``bernoulli``/``percent`` and a reference table's literal rows (``Literal``), with the helpers that
turn spec literals into columns (``json_text``, ``case_text``, ``literal_column``, ``is_instant``,
``parse_instant``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from specgen.engine import counter
from specgen.engine.column import Column, zeros
from specgen.engine.distributions import skewed_rank
from specgen.engine.generators.base import Generator
from specgen.engine.generators.filters import apply_filters
from specgen.errors import did_you_mean


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
