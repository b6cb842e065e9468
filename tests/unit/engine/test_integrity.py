"""Generated data keeps its own constraints: keys unique, foreign keys valid, children not older
than their parents, NOT NULL filled."""

from __future__ import annotations

import polars as pl
import pytest

from specgen import api


@pytest.fixture(scope="module")
def frames(shop_small):
    return {t: api.generate_table(shop_small, t) for t in shop_small.rows}


def test_primary_and_unique_keys_are_unique(shop_small, frames):
    for name, spec in shop_small.model.tables.items():
        df = frames[name]
        key_sets = [spec.primary_key] + [u.columns for u in spec.uniques]
        key_sets += [[c.name] for c in spec.stored if c.unique]
        for cols in key_sets:
            sub = df.select(cols).drop_nulls()
            assert sub.is_duplicated().sum() == 0, f"{name} {cols}"


def test_foreign_keys_point_at_existing_rows(shop_small, frames):
    checked = 0
    for name, spec in shop_small.model.tables.items():
        for col, ref_table, ref_col, _ in spec.foreign_keys():
            values = frames[name][col].drop_nulls()
            assert values.is_in(frames[ref_table][ref_col].implode()).all(), f"{name}.{col} -> {ref_table}.{ref_col}"
            checked += 1
    assert checked >= 6


def test_not_null_columns_have_no_nulls(shop_small, frames):
    for name, spec in shop_small.model.tables.items():
        for c in spec.stored:
            if not c.nullable:
                assert frames[name][c.name].null_count() == 0, f"{name}.{c.name}"


def test_children_are_not_older_than_parents(frames):
    orders = frames["orders"].join(frames["customers"].select("id", "created_at"), left_on="customer_id",
                                   right_on="id", suffix="_parent")
    assert (orders["created_at"] >= orders["created_at_parent"]).all()
    shipped = frames["orders"].drop_nulls("shipped_at")
    assert (shipped["shipped_at"] > shipped["created_at"]).all()
    views = frames["page_views"].join(frames["customers"].select("id", "created_at"), left_on="customer_id", right_on="id")
    assert (views["viewed_at"] >= views["created_at"]).all()
    reviews = frames["reviews"].join(frames["orders"].select("id", "created_at"), left_on="order_id",
                                     right_on="id", suffix="_order")
    assert (reviews["created_at"] >= reviews["created_at_order"]).all()


def test_timestamps_stay_in_the_window(shop_small, frames):
    p = shop_small.model.profile
    lo = pl.lit(p.window_start * 1_000_000).cast(pl.Datetime("us", "UTC"))
    hi = pl.lit(p.window_end * 1_000_000).cast(pl.Datetime("us", "UTC"))
    for table, col in [("customers", "created_at"), ("orders", "created_at"), ("page_views", "viewed_at")]:
        assert frames[table].select(((pl.col(col) >= lo) & (pl.col(col) <= hi)).all()).item(), table


def test_null_when_follows_its_condition(frames):
    o = frames["orders"]
    pending = o.filter(pl.col("status").is_in(["new", "paid", "cancelled"]))
    assert pending["shipped_at"].null_count() == pending.height
    assert o.filter(pl.col("status").is_in(["shipped", "delivered"]))["shipped_at"].null_count() == 0


def test_reviews_agree_with_their_order_item(frames):
    # A path through two links (parent.parent.parent.id) lands on the same customer as the order.
    r = frames["reviews"].join(frames["orders"].select("id", "customer_id"), left_on="order_id", right_on="id",
                               suffix="_order")
    assert (r["customer_id"] == r["customer_id_order"]).all()
    pairs = frames["order_items"].select("order_id", "product_id")
    assert r.select("order_id", "product_id").join(pairs, on=["order_id", "product_id"], how="anti").height == 0
