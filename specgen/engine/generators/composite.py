"""Kinds that take their value from elsewhere: ``encrypt`` (another generator's value, encrypted),
``ref`` (a column through links), ``switch`` (a generator per case), ``expr`` (an expression over
the row) and ``aggregate`` (a parent's value from its children)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from specgen.engine import counter
from specgen.engine.column import Column, as_text, matches, zeros
from specgen.engine.generators.base import Generator, GenError, _expression, _sub
from specgen.engine.generators.filters import json_escape
from specgen.engine.generators.ids import _le_bytes
from specgen.engine.generators.structured import _default_json_kind
from specgen.errors import did_you_mean

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
