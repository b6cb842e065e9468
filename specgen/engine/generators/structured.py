"""Kinds with structured text: ``ipv4`` addresses and ``json`` objects and arrays, with
``json_fragment`` (a generator's values as JSON text) and the kind a JSON member is drawn in."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from specgen.engine import counter
from specgen.engine.column import Column, as_text
from specgen.engine.generators.base import Generator, _sub
from specgen.engine.generators.filters import json_escape
from specgen.engine.generators.numeric import Numeric, Uniform
from specgen.engine.generators.text import _default_part_kind
from specgen.engine.generators.values import Categorical, Const, Pool, json_text
from specgen.errors import did_you_mean

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
