"""Numeric kinds: the continuous distributions on the ``Numeric`` base (``uniform``, ``normal``,
``lognormal``, ``exponential``, ``powerlaw``) and ``zipf`` integers."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from specgen.engine import counter
from specgen.engine.column import Column
from specgen.engine.distributions import skewed_rank
from specgen.engine.generators.base import Generator

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
