"""Probability distributions, all sampled by inverse transform from counter-based uniforms.

Two families live here:

* ``CountDistribution`` - integer counts on ``[min, max]`` (fan-out per parent). The probability
  table is built once; a free shape parameter is solved by bisection so that the truncated
  distribution has exactly the requested mean. Sampling is ``searchsorted`` on the CDF.
* ``skewed_rank`` - a rank in ``[0, n)`` with zipf-like popularity, in closed form so that ``n``
  can be a billion without a table.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

COUNT_DISTS = ("const", "uniform", "bernoulli", "poisson", "geometric", "powerlaw", "zipf", "normal", "lognormal")
# Counts whose support is larger than this would need an unreasonable CDF table.
MAX_COUNT_SUPPORT = 2_000_000


@dataclass(frozen=True)
class CountDistribution:
    """Integer counts on [min, max] with a given mean (shape parameter solved to hit it)."""

    dist: str
    min: int
    max: int
    mean: float | None = None
    shape: float | None = None  # normal: std; lognormal: sigma; powerlaw/zipf: exponent if no mean
    _cdf: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_cdf", _cached_cdf(self.dist, self.min, self.max, self.mean, self.shape))

    @property
    def support(self) -> int:
        return self.max - self.min + 1

    def sample(self, u: np.ndarray) -> np.ndarray:
        """Counts for uniforms ``u`` in (0, 1)."""
        if self.min == self.max:
            return np.full(u.shape, self.min, dtype=np.int64)
        k = np.searchsorted(self._cdf, u, side="right").astype(np.int64)
        np.minimum(k, self.support - 1, out=k)
        k += self.min
        return k

    def expected(self) -> float:
        """The mean of the distribution as actually tabulated."""
        pmf = np.diff(self._cdf, prepend=0.0)
        return float(self.min + np.dot(pmf, np.arange(self.support, dtype=np.float64)))


@functools.lru_cache(maxsize=256)
def _cached_cdf(dist: str, lo: int, hi: int, mean: float | None, shape: float | None) -> np.ndarray:
    """Solving a shape over a wide support takes a while; profiles that extend one another (and
    validating every profile) reuse the same tables. Read-only, so sharing is safe."""
    cdf = _cdf_for(_Params(dist, lo, hi, mean, shape))
    cdf.flags.writeable = False
    return cdf


@dataclass(frozen=True)
class _Params:
    dist: str
    min: int
    max: int
    mean: float | None
    shape: float | None


def _cdf_for(d) -> np.ndarray:
    m = d.max - d.min
    if m == 0:
        return np.ones(1)
    x = np.arange(m + 1, dtype=np.float64)
    if d.dist == "uniform":
        logp = np.zeros_like(x)
    elif d.dist == "bernoulli":
        p = d.mean if d.mean is not None else 0.5
        logp = np.log(np.array([max(1 - p, 1e-300), max(p, 1e-300)]))
    else:
        family = _FAMILIES[d.dist]
        shape = d.shape
        if d.mean is None:
            param = family.default(m, shape)
        else:
            target = d.mean - d.min
            param = _solve(lambda t: _mean(family.logpmf(x, t, shape)), target, *family.bracket(m))
        logp = family.logpmf(x, param, shape)
    p = np.exp(logp - logp.max())
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    return cdf


def _mean(logp: np.ndarray) -> float:
    p = np.exp(logp - logp.max())
    return float(np.dot(p, np.arange(len(p), dtype=np.float64)) / p.sum())


def _solve(mean_of, target: float, lo: float, hi: float) -> float:
    """Bisection for a parameter whose truncated mean is monotone (either direction)."""
    f_lo, f_hi = mean_of(lo), mean_of(hi)
    increasing = f_hi >= f_lo
    for _ in range(80):
        mid = (lo + hi) / 2
        f = mean_of(mid)
        if (f < target) == increasing:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@dataclass(frozen=True)
class _Family:
    logpmf: object
    bracket: object
    default: object


def _poisson(x, lam, _shape):
    return x * math.log(max(lam, 1e-12)) - _log_factorial(x)


def _log_factorial(x: np.ndarray) -> np.ndarray:
    # x is 0, 1, 2, ...: log(x!) is a running sum of logs.
    out = np.empty_like(x)
    out[0] = 0.0
    if len(x) > 1:
        np.cumsum(np.log(x[1:]), out=out[1:])
    return out


_FAMILIES = {
    "poisson": _Family(
        logpmf=_poisson,
        bracket=lambda m: (1e-9, 4.0 * m + 50.0),
        default=lambda m, s: max(m / 4.0, 1.0),
    ),
    "geometric": _Family(
        logpmf=lambda x, theta, _s: theta * x,
        bracket=lambda m: (-60.0, 60.0),
        default=lambda m, s: -0.5,
    ),
    "powerlaw": _Family(
        logpmf=lambda x, a, _s: -a * np.log1p(x),
        bracket=lambda m: (-30.0, 60.0),
        default=lambda m, s: s if s is not None else 2.0,
    ),
    "normal": _Family(
        logpmf=lambda x, mu, s: -((x - mu) ** 2) / (2.0 * (s if s else max(len(x) / 6.0, 0.5)) ** 2),
        bracket=lambda m: (-10.0 * (m + 1), 11.0 * (m + 1)),
        default=lambda m, s: m / 2.0,
    ),
    "lognormal": _Family(
        logpmf=lambda x, mu, s: -((np.log1p(x) - mu) ** 2) / (2.0 * (s or 1.0) ** 2) - np.log1p(x),
        bracket=lambda m: (-40.0, math.log(m + 1) + 40.0),
        default=lambda m, s: 0.0,
    ),
}
_FAMILIES["zipf"] = _FAMILIES["powerlaw"]


def skewed_rank(u: np.ndarray, n: int | np.ndarray, zipf: float | None) -> np.ndarray:
    """Ranks in [0, n): uniform when ``zipf`` is None, else P(rank r) ~ (r + 1) ** -zipf.

    Closed-form inverse of the continuous power law on [1, n + 1), so ``n`` needs no table.
    """
    n_f = np.asarray(n, dtype=np.float64)
    if not zipf:
        r = (u * n_f).astype(np.int64)
    elif abs(zipf - 1.0) < 1e-9:
        r = (np.exp(u * np.log(n_f + 1.0)) - 1.0).astype(np.int64)
    else:
        e = 1.0 - zipf
        top = (n_f + 1.0) ** e
        r = ((u * (top - 1.0) + 1.0) ** (1.0 / e) - 1.0).astype(np.int64)
    return np.clip(r, 0, np.asarray(n, dtype=np.int64) - 1)
