"""The Python API: everything the CLI does, callable from Python.

    >>> from specgen import api
    >>> plan = api.plan("specs/examples/shop", "tiny")
    >>> plan.rows["customers"]
    40
    >>> df = api.generate_table(plan, "orders", 0, 10)   # a polars DataFrame
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from specgen import engine, spec
from specgen.errors import Diagnostic
from specgen.model import Model
from specgen.plan import Plan
from specgen.resources import default_spec_dir


def validate(spec_dir: str | Path | None = None, profile: str | None = None) -> list[Diagnostic]:
    """Every problem in a spec set (under one profile, or under each of them); empty when valid."""
    ss = spec.load_spec_set(spec_dir or default_spec_dir())
    return spec.check(ss, profile)


def model(spec_dir: str | Path | None, profile: str) -> Model:
    """The validated model; raises ``SpecErrors`` listing every problem."""
    return spec.build_model(spec_dir or default_spec_dir(), profile)


def plan(spec_dir: str | Path | None, profile: str, *, seed: int | None = None,
         chunk_rows: int | None = None, estimate: bool = True) -> Plan:
    """Exact row counts per table (and the fan-out indexes generation uses)."""
    return Plan(model(spec_dir, profile), chunk_rows=chunk_rows, seed=seed, estimate=estimate)


def generate_table(plan: Plan, table: str, start: int = 0, stop: int | None = None) -> pl.DataFrame:
    """Rows [start, stop) of ``table`` as a typed DataFrame (same values whatever the range)."""
    if table not in plan.rows:
        from specgen.errors import SpecgenError, did_you_mean

        raise SpecgenError(f"unknown table '{table}'." + did_you_mean(table, plan.rows))
    return engine.generate(plan, table, start, stop).to_frame()


def build_pools(out_dir: str | Path | None = None, seed: int = 20260101, only: list[str] | None = None) -> dict:
    """Rebuild the Faker-backed value pools (``specs/pools`` by default)."""
    from specgen.pools import build_pools as _build

    return _build(Path(out_dir) if out_dir else default_spec_dir() / "pools", seed=seed, only=only)
