"""Distributions checked statistically at a fixed seed (tolerances ~5 standard errors)."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from conftest import write_spec_set
from specgen import api
from specgen.engine.distributions import CountDistribution, skewed_rank

N = 200_000

DIST_SPEC = """
table: d
rows: 200000
columns:
  id: {type: bigint, gen: sequence}
  u: {type: double, gen: {uniform: {min: 10, max: 20}}}
  ui: {type: integer, gen: {uniform: {min: 1, max: 6}}}
  n: {type: double, gen: {normal: {mean: 50, std: 5}}}
  ln: {type: double, gen: {lognormal: {median: 100, sigma: 0.5}}}
  lnm: {type: double, gen: {lognormal: {mean: 100, sigma: 0.5}}}
  ex: {type: double, gen: {exponential: {mean: 3}}}
  pl: {type: double, gen: {powerlaw: {min: 1, alpha: 3}}}
  z: {type: integer, gen: {zipf: {min: 1, max: 1000, s: 1.2}}}
  cat: {type: text, gen: {categorical: {values: [a, b, c], weights: [6, 3, 1]}}}
  b: {type: boolean, gen: {bernoulli: 0.3}}
  pct: {type: boolean, gen: {percent: 12.5}}
  maybe: {type: text, nullable: true, null_rate: 0.25, gen: {const: x}}
  ts: {type: timestamptz, gen: {timestamp: {}}}
  recent: {type: timestamptz, gen: {timestamp: {recency: {half_life_days: 10}}}}
  later: {type: timestamptz, gen: {timestamp: {after: ts, offset: {min: 1h, max: 3h}}}}
  between: {type: timestamptz, gen: {timestamp: {after: ts, before: later}}}
"""
PROFILE = 'window: {end: "2026-01-01T00:00:00Z", days: 365}\nseed: 11\n'


@pytest.fixture(scope="module")
def df(tmp_path_factory):
    root = tmp_path_factory.mktemp("dist")
    specs = write_spec_set(root, {"d.yaml": DIST_SPEC, "profiles/p.yaml": PROFILE})
    return api.generate_table(api.plan(specs, "p", estimate=False), "d")


def close(value, expected, se, k=5.0):
    return abs(value - expected) <= k * se


def test_uniform(df):
    u = df["u"].to_numpy()
    assert u.min() >= 10 and u.max() < 20
    assert close(u.mean(), 15, math.sqrt(100 / 12 / N))
    counts = np.bincount(df["ui"].to_numpy(), minlength=7)[1:]
    assert counts.min() > 0 and close(counts.max() / N, 1 / 6, math.sqrt(1 / 6 * 5 / 6 / N))
    assert df["ui"].min() == 1 and df["ui"].max() == 6


def test_normal(df):
    n = df["n"].to_numpy()
    assert close(n.mean(), 50, 5 / math.sqrt(N)) and abs(n.std() - 5) < 0.05
    assert close(np.mean(np.abs(n - 50) < 5), 0.6827, math.sqrt(0.25 / N))


def test_lognormal(df):
    assert abs(np.median(df["ln"].to_numpy()) / 100 - 1) < 0.01
    assert abs(df["lnm"].mean() / 100 - 1) < 0.01


def test_exponential_and_power_law(df):
    ex = df["ex"].to_numpy()
    assert close(ex.mean(), 3, 3 / math.sqrt(N)) and ex.min() > 0
    pw = df["pl"].to_numpy()
    assert pw.min() >= 1
    # Pareto with alpha 3: P(X > x) = x ** -2
    assert close(np.mean(pw > 2), 0.25, math.sqrt(0.25 * 0.75 / N))


def test_zipf(df):
    z = df["z"].to_numpy()
    assert z.min() >= 1 and z.max() <= 1000
    counts = np.bincount(z, minlength=1001)
    assert counts[1] > counts[2] > counts[4] > counts[16]
    ratio = counts[1] / counts[2]
    assert 1.8 < ratio < 2.9  # roughly 2 ** 1.2 = 2.3 for the continuous approximation


def test_categorical_bernoulli_percent_null_rate(df):
    freq = df["cat"].value_counts(normalize=True).sort("cat")["proportion"].to_list()
    for got, want in zip(freq, [0.6, 0.3, 0.1], strict=True):
        assert close(got, want, math.sqrt(want * (1 - want) / N))
    assert close(df["b"].mean(), 0.3, math.sqrt(0.21 / N))
    assert close(df["pct"].mean(), 0.125, math.sqrt(0.125 * 0.875 / N))
    assert close(df["maybe"].null_count() / N, 0.25, math.sqrt(0.1875 / N))


def test_timestamps(df):
    end = pl.datetime(2026, 1, 1, time_zone="UTC")
    age_days = df.select(((end - pl.col("recent")).dt.total_seconds() / 86400).alias("a"))["a"].to_numpy()
    # Exponential recency with a 10-day half-life: half of all rows in the last 10 days.
    assert close(np.mean(age_days <= 10), 0.5, math.sqrt(0.25 / N))
    uni = df.select(((end - pl.col("ts")).dt.total_seconds() / 86400).alias("a"))["a"].to_numpy()
    assert uni.min() >= 0 and uni.max() <= 365 and close(uni.mean(), 182.5, 105 / math.sqrt(N))
    gap = (df["later"] - df["ts"]).dt.total_seconds().to_numpy()
    assert gap.min() >= 3600 and gap.max() <= 3 * 3600
    assert (df["between"] >= df["ts"]).all() and (df["between"] <= df["later"]).all()


@pytest.mark.parametrize("dist", ["poisson", "geometric", "powerlaw", "normal", "lognormal"])
def test_count_distributions_hit_their_mean(dist):
    d = CountDistribution(dist, 1, 60, 7.5)
    assert abs(d.expected() - 7.5) < 1e-6
    u = (np.arange(N) + 0.5) / N
    k = d.sample(u)
    assert k.min() >= 1 and k.max() <= 60 and abs(k.mean() - 7.5) < 0.01


def test_skewed_ranks_stay_in_range():
    u = (np.arange(N) + 0.5) / N
    for z in (None, 0.5, 1.0, 1.5):
        r = skewed_rank(u, 37, z)
        assert r.min() == 0 and r.max() == 36
