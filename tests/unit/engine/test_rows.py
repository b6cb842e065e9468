"""The engine's contract: every cell is a pure function of (seed, table, column, row index)."""

from __future__ import annotations

import copy

import numpy as np
import polars as pl
import pytest

from conftest import SHOP
from specgen import api, engine
from specgen.engine.generators import Const
from specgen.engine.model import ColumnSpec, SqlType
from specgen.engine.plan import Plan


def _chunked(plan, table: str, size: int, limit: int | None = None) -> pl.DataFrame:
    n = plan.rows[table] if limit is None else min(limit, plan.rows[table])
    parts = [api.generate_table(plan, table, s, min(n, s + size)) for s in range(0, n, size)]
    return pl.concat(parts) if parts else api.generate_table(plan, table, 0, 0)


@pytest.mark.parametrize("size", [1, 7, 1000])
def test_chunking_does_not_change_values(shop_tiny, size):
    for table in shop_tiny.rows:
        limit = 150 if size == 1 else None  # one-row chunks: a prefix is enough and keeps it fast
        whole = api.generate_table(shop_tiny, table, 0, limit)
        assert _chunked(shop_tiny, table, size, limit).equals(whole), table


def test_chunks_across_a_larger_profile(shop_small):
    for table in ("orders", "order_items", "reviews"):
        whole = api.generate_table(shop_small, table)
        assert _chunked(shop_small, table, 4099).equals(whole), table


def test_arbitrary_rows_equal_ranges(shop_small):
    rng = np.random.default_rng(3)
    for table, n in shop_small.rows.items():
        idx = np.sort(rng.choice(n, size=min(n, 300), replace=False))
        scattered = engine.generate_at(shop_small, table, idx[::-1]).to_frame().reverse()
        whole = api.generate_table(shop_small, table)
        assert scattered.equals(whole[idx.tolist()]), table


def test_same_seed_same_values_other_seed_other_values():
    a = api.plan(SHOP, "tiny", estimate=False)
    b = api.plan(SHOP, "tiny", estimate=False)
    c = api.plan(SHOP, "tiny", seed=8, estimate=False)
    assert api.generate_table(a, "customers").equals(api.generate_table(b, "customers"))
    assert not api.generate_table(a, "customers")["email"].equals(api.generate_table(c, "customers")["email"])


def test_adding_a_column_leaves_the_others_unchanged():
    base = api.plan(SHOP, "tiny", estimate=False)
    model = copy.deepcopy(base.model)
    cols = model.tables["customers"].columns
    model.tables["customers"].columns = {"extra": ColumnSpec("extra", SqlType("text"), Const("x")), **cols}
    changed = Plan(model, estimate=False)
    before = api.generate_table(base, "customers")
    after = api.generate_table(changed, "customers").drop("extra")
    assert after.equals(before)
    assert api.generate_table(changed, "orders").equals(api.generate_table(base, "orders"))


def test_virtual_columns_are_not_output(shop_tiny):
    df = api.generate_table(shop_tiny, "customers")
    assert "first_name" not in df.columns and "full_name" in df.columns
    first = df["full_name"].str.split(" ").list.first().str.to_lowercase()
    assert (df["email"].str.split(".").list.first() == first).all()


def test_unknown_table_is_a_user_error(shop_tiny):
    from specgen.errors import SpecgenError

    with pytest.raises(SpecgenError, match="Did you mean 'orders'"):
        api.generate_table(shop_tiny, "order")


def test_json_arrays_of_pooled_documents_embed_the_documents(tmp_path):
    import json

    from conftest import write_spec_set

    specs = write_spec_set(tmp_path, {
        "t.yaml": "table: t\nrows: 50\ncolumns:\n  id: {type: integer, gen: sequence}\n"
                  "  docs: {type: json, gen: {json: {array: {items: {pool: zz_docs}, min: 1, max: 3}}}}\n"
                  "  tags: {type: json, gen: {json: {array: {items: {pool: words}, min: 2, max: 2}}}}\n",
        "pools/zz_docs.json": '[{"a": 1}, {"b": [2, 3]}, {"c": "x"}, {"d": null}]\n',
    })
    df = api.generate_table(api.plan(specs, "default", estimate=False), "t")
    for text in df["docs"]:
        items = json.loads(text)
        assert 1 <= len(items) <= 3 and all(isinstance(i, dict) for i in items)
        assert len({json.dumps(i) for i in items}) == len(items)  # distinct within one array
    assert all(len(set(json.loads(t))) == 2 and all(isinstance(w, str) for w in json.loads(t)) for t in df["tags"])


def test_a_switch_over_small_sets_stays_coded_and_holds_the_same_values():
    # permission_audit_log: roles_checked switches between a const and a categorical, resource_id
    # between three refs and NULL; both stay dictionary + codes, so encoders escape each distinct
    # value once.
    from conftest import ROOT

    plan = api.plan(ROOT / "specs", "small", estimate=False)
    rows = engine.Rows(plan, "permission_audit_log", np.arange(plan.rows["permission_audit_log"]))
    roles, resource = rows.column("roles_checked"), rows.column("resource_id")
    assert roles.codes is not None and len(roles.dictionary) <= 5
    assert resource.codes is not None and len(resource.dictionary) < len(resource)
    assert set(roles.values.to_list()) == {'["team_admin"]', '["viewer"]', '["developer"]', '["developer", "viewer"]'}
    kinds = rows.column("resource_type").values.to_numpy()
    ids = resource.values.to_numpy()
    assert (resource.nulls == ~np.isin(kinds, ["tool", "server", "team"])).all()  # no case: NULL
    tools = set(rows.path("tool.id").values.to_list())
    assert {i for i, k in zip(ids, kinds, strict=True) if k == "tool"} <= tools


# A 4-byte float column (real, float4) beside double ones fed by the same kinds of generators.
SINGLE_SPEC = """table: readings
rows: 3000
columns:
  id: {type: bigint, gen: sequence}
  r: {type: real, nullable: true, null_rate: 0.1, gen: {lognormal: {median: 10.0, sigma: 2.0}}}
  f4: {type: float4, gen: {normal: {mean: 0, std: 1000}}}
  d: {type: double, gen: {lognormal: {median: 10.0, sigma: 2.0}}}
  twice: {type: double, nullable: true, gen: {expr: "r * 2"}}
"""


def test_single_precision_columns_hold_float32_values_and_others_are_unchanged(tmp_path):
    from conftest import write_spec_set

    plan = api.plan(write_spec_set(tmp_path, {"readings.yaml": SINGLE_SPEC}), "default", estimate=False)
    model = copy.deepcopy(plan.model)  # the same spec with every column double
    for name in ("r", "f4"):
        model.tables["readings"].columns[name].type = SqlType("double")
    single = api.generate_table(plan, "readings")
    double = api.generate_table(Plan(model, estimate=False), "readings")
    for name in ("r", "f4"):
        got, wide = single[name].drop_nulls().to_numpy(), double[name].drop_nulls().to_numpy()
        assert got.dtype == np.float64
        assert (got.astype(np.float32).astype(np.float64) == got).all(), name  # float32-exact
        assert (got == wide.astype(np.float32).astype(np.float64)).all(), name  # the same draws, rounded
        assert (got != wide).mean() > 0.9, name  # the generators' values were not float32 already
    assert single["r"].null_count() == double["r"].null_count() > 0
    assert single.select("id", "d").equals(double.select("id", "d"))
    # A column computed from a real one sees the value the database stores.
    assert (single["twice"] == single["r"] * 2).fill_null(True).all()


def test_a_value_beyond_float32s_range_stops_the_compile(tmp_path):
    from conftest import write_spec_set

    specs = write_spec_set(tmp_path, {"t.yaml": "table: t\nrows: 10\ncolumns:\n"
                                                "  x: {type: real, gen: {uniform: {min: 1.0e+39, max: 2.0e+39}}}\n"})
    from specgen.errors import SpecgenError

    with pytest.raises(SpecgenError, match=r"columns\.x: row 0 of 't': a value beyond real's range"):
        api.generate_table(api.plan(specs, "default", estimate=False), "t")
