"""Expressions, aggregates over children, count expressions, keep_when, distinct time slots,
reference tables with lookup links and numeric(p, s): each checked against an independent
recomputation of the generated data (polars), and for chunk- and range-invariance."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, run_cli
from specgen import api
from specgen.engine import expr

MINI = ROOT / "tests" / "specsets" / "mini"


@pytest.fixture(scope="module")
def plan():
    return api.plan(MINI, "t")


@pytest.fixture(scope="module")
def tables(plan):
    return {t: api.generate_table(plan, t) for t in plan.rows}


def test_aggregates_equal_a_group_by_of_the_children(tables):
    orders, lines = tables["orders"], tables["lines"]
    agg = lines.group_by("order_id").agg(
        pl.col("price").sum().alias("s"), pl.len().alias("n"), pl.col("qty").max().alias("mq"),
        pl.col("price").quantile(0.5, interpolation="linear").alias("med"),
        pl.col("status").sort_by("shipped").last().alias("ls"),
    )
    j = orders.join(agg, left_on="id", right_on="order_id", how="left")
    assert j.filter(pl.col("n").is_null()).height == 0  # every order has lines (count min 1)
    assert (j["total"] - j["s"]).abs().max() < 1e-6
    assert (j["lines_n"] == j["n"]).all()
    assert (j["maxq"] == j["mq"]).all()
    assert (j["p50"] - j["med"]).abs().max() < 1e-9
    assert (j["last_status"] == j["ls"]).all()


def test_aggregate_of_no_children_is_zero_or_null(tables):
    customers, orders = tables["customers"], tables["orders"]
    per = orders.group_by("customer_id").agg(pl.len().alias("n"), pl.col("total").sum().alias("s"))
    j = customers.join(per, left_on="id", right_on="customer_id", how="left").with_columns(pl.col("n").fill_null(0))
    assert (j["n_orders"] == j["n"]).all()
    assert ((j["spent"] - j["s"].fill_null(0)).abs() < 1e-6).all()


def test_count_expression_gives_every_third_customer_no_orders(tables):
    customers = tables["customers"]
    assert customers.filter(pl.col("id") % 3 == 0)["n_orders"].sum() == 0
    assert (customers.filter(pl.col("id") % 3 != 0)["n_orders"] == 3).all()


def test_keep_when_writes_the_children_of_recent_hours_only(plan, tables):
    hourly, calls = tables["hourly"], tables["calls"]
    cut = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) - dt.timedelta(hours=48)
    assert calls.height == plan.rows["calls"] == hourly.filter(pl.col("hour_start") >= cut)["calls"].sum()
    assert plan.space["calls"] == hourly["calls"].sum() > calls.height
    # Written calls keep the ids of the whole table (gaps where rows were not written).
    assert calls["id"].is_unique().all() and calls["id"].max() > calls.height
    # The rollups aggregate every call of the hour, written or not; where written they agree.
    by_hour = calls.with_columns(pl.col("ts").dt.truncate("1h").alias("hs")).group_by(["customer_id", "hs"]).agg(
        pl.col("is_success").sum().alias("ok2"), pl.col("rt").min().alias("mn2"), pl.len().alias("n2"))
    j = hourly.join(by_hour, left_on=["customer_id", "hour_start"], right_on=["customer_id", "hs"], how="inner")
    assert j.height == hourly.filter(pl.col("hour_start") >= cut).height
    assert (j["ok"] == j["ok2"]).all() and (j["mn"] == j["mn2"]).all() and (j["calls"] == j["n2"]).all()
    assert (calls["ts"] >= cut).all()


def test_distinct_slots_are_distinct_whole_hours_after_the_parent(tables):
    hourly, customers = tables["hourly"], tables["customers"]
    assert hourly.select(["customer_id", "hour_start"]).is_unique().all()
    assert (hourly["hour_start"].dt.minute() == 0).all() and (hourly["hour_start"].dt.second() == 0).all()
    j = hourly.join(customers, left_on="customer_id", right_on="id")
    assert (j["hour_start"] >= j["created_at"].dt.truncate("1h")).all()
    assert (j["hour_start"] < dt.datetime(2026, 1, 1, tzinfo=dt.UTC)).all()
    # In child order (ids) the slots of one parent increase.
    assert (hourly.group_by("customer_id").agg(pl.col("hour_start").diff().dt.total_seconds().min().alias("d"))
            .drop_nulls()["d"] > 0).all()


def test_lookup_link_and_reference_rows(tables):
    regions, customers = tables["regions"], tables["customers"]
    assert regions["name"].to_list() == ["AFRICA", "AMERICA", "ASIA"]
    want = np.where(customers["id"].to_numpy() % 3 == 1, 2, 1)  # _index % 3 == 0 -> ASIA (key 2)
    assert customers["region_key"].to_list() == want.tolist()


def test_numeric_scale_rounds_generated_values(tables):
    prices = tables["lines"]["price"].to_numpy()
    assert np.allclose(prices, np.round(prices, 2), rtol=0, atol=0)


@pytest.mark.parametrize("table", ["customers", "orders", "hourly", "calls", "lines"])
def test_values_do_not_depend_on_the_range_generated(plan, tables, table):
    whole = tables[table]
    n = whole.height
    parts = [api.generate_table(plan, table, lo, min(n, lo + 7)) for lo in range(0, n, 7)]
    assert pl.concat(parts).equals(whole)


def test_compile_load_verify_into_sqlite(tmp_path):
    out = tmp_path / "dump"
    run_cli("compile", "--specs", str(MINI), "--profile", "t", "--dialect", "sqlite", "--out", str(out), check=True)
    url = f"sqlite:///{tmp_path / 'mini.db'}"
    run_cli("load", str(out), "--url", url, check=True)
    proc = run_cli("verify", str(out), "--url", url)
    assert proc.returncode == 0, proc.stderr.decode() + proc.stdout.decode()


# -- the expression language on its own --------------------------------------------------------


class _Rows:
    """The little of engine.Rows an expression reads: paths of one table's batch."""

    def __init__(self, cols: dict):
        self.cols = cols
        self.idx = np.arange(len(next(iter(cols.values()))), dtype=np.int64)
        self.spec = type("S", (), {"columns": cols})
        self.window_start, self.window_end = 0, 86400 * 365

    def path(self, p):
        return self.cols[p]


def _eval(source: str, cols: dict, params=None):
    from specgen.engine.column import Column

    columns = {k: Column(kind, v if kind not in ("text",) else pl.Series(v), None) for k, (kind, v) in cols.items()}
    e = expr.parse(source, params or {})
    e.infer(lambda p: columns[p].kind)
    return e, e.evaluate(_Rows(columns), np.uint64(7))


@pytest.mark.parametrize("source,kind,expected", [
    ("a * 2 + 1", "int", [3, 5, 7]),
    ("a / 2", "float", [0.5, 1.0, 1.5]),
    ("a // 2", "int", [0, 1, 1]),
    ("-a", "int", [-1, -2, -3]),
    ("max(a, 2)", "int", [2, 2, 3]),
    ("a if a > 1 else 0", "int", [0, 2, 3]),
    ("case(a == 1, 'one', a == 2, 'two', 'many')", "text", ["one", "two", "many"]),
    ("a in (1, 3)", "bool", [True, False, True]),
    ("1 <= a < 3", "bool", [True, True, False]),
    ("s + '-' + text(a)", "text", ["x-1", "yy-2", "zzz-3"]),
    ("s || '!'", "text", ["x!", "yy!", "zzz!"]),
    ("length(s)", "int", [1, 2, 3]),
    ("upper(s)", "text", ["X", "YY", "ZZZ"]),
    ("t + 1h", "timestamp", [3600, 3600 + 86400, 3600 + 2 * 86400]),
    ("days(t - timestamp '1970-01-01T00:00:00Z')", "float", [0.0, 1.0, 2.0]),
    ("trunc(t + 90m, 'hour')", "timestamp", [3600, 86400 + 3600, 2 * 86400 + 3600]),
    ("date(t) == date '1970-01-02'", "bool", [False, True, False]),
    ("round(a / 3, 2)", "float", [0.33, 0.67, 1.0]),
    ("a * $k", "int", [10, 20, 30]),
    ("coalesce(null, a)", "int", [1, 2, 3]),
])
def test_expression_values(source, kind, expected):
    e, col = _eval(source, {"a": ("int", np.array([1, 2, 3])), "s": ("text", ["x", "yy", "zzz"]),
                            "t": ("timestamp", np.array([0, 86400, 2 * 86400]))}, {"k": 10})
    assert e.kind == kind
    got = col.values.to_list() if isinstance(col.values, pl.Series) else np.asarray(col.values).tolist()
    assert got == expected


def test_nulls_propagate_and_conditions_treat_them_as_false():
    from specgen.engine.column import Column

    cols = {"a": Column("int", np.array([1, 2, 3]), np.array([False, True, False]))}
    e = expr.parse("a > 1 or a == 1")
    e.infer(lambda p: "int")
    assert e.condition(_Rows(cols), np.uint64(1)).tolist() == [True, False, True]
    e = expr.parse("a + 1")
    e.infer(lambda p: "int")
    assert e.evaluate(_Rows(cols), np.uint64(1)).nulls.tolist() == [False, True, False]


def test_rand_is_a_pure_function_of_the_row():
    cols = {"a": ("int", np.arange(1000))}
    _, x = _eval("rand(1, 6)", cols)
    _, y = _eval("rand(1, 6)", cols)
    assert np.array_equal(x.values, y.values)
    assert set(np.unique(x.values)) == {1, 2, 3, 4, 5, 6}


@pytest.mark.parametrize("source,message,offset", [
    ("a +* 2", "syntax error", 3),
    ("a * 'x'", "cannot apply '*' to int and text", 2),
    ("nope(a)", "unknown function 'nope'", 0),
    ("round(a, 1, 2)", "round() takes 1 to 2 arguments, got 3", 0),
    ("a + $missing", "unknown parameter '$missing'", 4),
    ("timestamp '2026-02-30T00:00:00Z'", "not an ISO-8601 timestamp", 10),
    ("trunc(a, 'hour')", "trunc() needs timestamp or date, got int", 0),
])
def test_expression_errors_are_located(source, message, offset):
    with pytest.raises(expr.ExprError) as info:
        e = expr.parse(source, {})
        e.infer(lambda p: "int")
    assert message in str(info.value)
    assert info.value.offset == offset


def test_interleaved_rows_keep_their_values_but_not_their_parent_order(plan, tables):
    orders = tables["orders"]
    assert orders["id"].to_list() == list(range(1, orders.height + 1))  # ids follow the written order
    cust = orders["customer_id"].to_numpy()
    assert (np.diff(cust) < 0).any()  # a customer's orders are not contiguous
    assert orders.group_by("customer_id").len()["len"].unique().to_list() == [3]
    # Lines still point at their own order (the aggregate test joins on it) and ids are a bijection.
    assert set(tables["lines"]["order_id"].unique().to_list()) <= set(orders["id"].to_list())


@pytest.mark.parametrize("n", [1, 2, 3, 17, 1000, 4097, 1 << 20])
def test_permutation_is_a_bijection_with_its_inverse(n):
    from specgen.engine.permutation import Permutation

    p = Permutation(np.uint64(12345), n)
    x = np.arange(n, dtype=np.int64)
    y = p.forward(x)
    assert np.array_equal(np.sort(y), x)
    assert np.array_equal(p.inverse(y), x)


@pytest.mark.parametrize("column,message", [
    ("code: {type: varchar(5), gen: {expr: \"concat('item-', _index)\"}}", "a value of 7 characters is longer than varchar(5): 'item-10'"),
    ("price: {type: \"numeric(4,2)\", gen: {expr: \"_index * 10.5\"}}", "does not fit numeric(4, 2) (|value| < 100)"),
    ("n: {type: integer, gen: {expr: \"_index * 1000000000\"}}", "3000000000 does not fit integer (-2147483648..2147483647)"),
    # Filters that lengthen what they are given: the checker once proved these fit by the
    # unfiltered length and the compile wrote them unmeasured.
    ("b: {type: varchar(50), gen: {template: {text: \"{t|base64}\", parts: {t: {token: {length: 40}}}}}}",
     "a value of 56 characters is longer than varchar(50)"),
    ("p: {type: varchar(12), gen: {template: {text: \"{x|pad:20}\", parts: {x: {template: {text: ab}}}}}}",
     "a value of 20 characters is longer than varchar(12): '000000000000000000ab'"),
    ("i: {type: varchar(25), gen: {template: {text: \"{_index|pad:30}\"}}}", "a value of 30 characters is longer than varchar(25)"),
    ("u: {type: varchar(6), gen: {template: {text: \"{x|upper}\", parts: {x: {template: {text: straße}}}}}}",
     "a value of 7 characters is longer than varchar(6): 'STRASSE'"),
    # Bytes: MySQL's BINARY(n) pads, LOAD DATA LOCAL cuts with a warning, UNHEX of non-hex is NULL.
    ("b: {type: varbinary(4), gen: {hex: {length: 32}}}", "a value of 16 bytes does not fit varbinary(4)"),
    ("b: {type: binary(16), gen: {hex: {length: 30}}}", "a value of 15 bytes does not fit binary(16) (exactly 16 bytes)"),
    ("b: {type: bytea, gen: {hex: {length: 31}}}", "is not bytes written as hex digits (two a byte)"),
    ("b: {type: blob, gen: {template: {text: \"zz{_index}\"}}}", "'zz0' is not bytes written as hex digits"),
    # SQL's char and binary without a length hold one (PostgreSQL and MySQL alike).
    ("c: {type: char, gen: {categorical: {values: [ab, c]}}}", "values up to 2 characters do not fit char, which holds one"),
    ("b: {type: binary, gen: {hex: {length: 4}}}", "a value of 2 bytes does not fit binary (exactly 1 byte)"),
    # An expression's NULL in a NOT NULL column: MySQL's LOAD DATA LOCAL stored 0 with a warning.
    ("r: {type: double, gen: {expr: \"1.0 / (_index - 3)\"}}",
     "columns.r: row 3 of 't': the generator gives NULL and the column is not nullable"),
    ("n: {type: integer, gen: {expr: \"int(concat('x', _index))\"}}", "the generator gives NULL and the column is not nullable"),
    # numeric(p) is numeric(p, 0): MySQL clamped 4467.0 to 999 in a DECIMAL(3) with a warning.
    ("m: {type: \"decimal(3)\", gen: {uniform: {min: 0.0, max: 5000.0}}}", "2095.0 does not fit decimal(3) (|value| < 1000)"),
])
def test_values_the_sql_type_cannot_hold_stop_the_compile(tmp_path, column, message):
    from conftest import write_spec_set

    write_spec_set(tmp_path, {"t.yaml": f"table: t\nrows: 20\ncolumns:\n  id: {{type: integer, gen: sequence}}\n  {column}\n"})
    proc = run_cli("compile", "--specs", "specs", "--profile", "default", "--dialect", "postgres", "--out", "out",
                   cwd=tmp_path)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "Traceback" not in err, err
    assert message in err and "columns." in err
    assert not (tmp_path / "out" / "manifest.json").exists()


_FILTERS = ["lower", "upper", "title", "slug", "base64", "pad:3", "pad:40"]
_PIECES = {"tok": "{token: {length: 12}}", "hex": "{hex: {length: 9}}", "lit": "{template: {text: \"ﬃ-ΐ ß\"}}",
           "seq": "{sequence: {start: 7}}"}


@given(pieces=st.lists(st.tuples(st.sampled_from(["", "a", "ß", "ΐ", "x-y "]),
                                 st.sampled_from([*_PIECES, "_index"]),
                                 st.lists(st.sampled_from(_FILTERS), max_size=3)), min_size=1, max_size=3))
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_a_varchar_one_shorter_than_the_longest_value_is_refused(pieces):
    """Whatever the template and its filters: with the column one character shorter than its
    longest value, the compile refuses it (a length the checker proves is never measured, so a
    proof that is wrong would let the value through)."""
    import tempfile

    from conftest import write_spec_set
    from specgen.errors import SpecgenError

    text = "".join(f"{lit}{{{name}{''.join('|' + f for f in fs)}}}" for lit, name, fs in pieces)
    parts = ", ".join(f"{n}: {g}" for n, g in _PIECES.items() if any(name == n for _, name, _ in pieces))
    gen = f"{{template: {{text: {json.dumps(text)}" + (f", parts: {{{parts}}}" if parts else "") + "}}"

    def plan(length: int):
        specs = write_spec_set(Path(tmp) / str(length), {
            "t.yaml": f"table: t\nrows: 50\ncolumns:\n  id: {{type: integer, gen: sequence}}\n"
                      f"  c: {{type: varchar({length}), gen: {gen}}}\n"})
        return api.plan(specs, "default", estimate=False)

    with tempfile.TemporaryDirectory() as tmp:
        longest = api.generate_table(plan(100_000), "t")["c"].str.len_chars().max()
        if longest > 1:
            shorter = plan(longest - 1)
            with pytest.raises(SpecgenError, match=rf"longer than varchar\({longest - 1}\)"):
                api.generate_table(shorter, "t")
            assert not shorter.model.tables["t"].columns["c"].length_proven, text


@pytest.mark.parametrize("column,message", [
    ("v: {type: varchar, gen: {template: {text: \"{t}{t}\", parts: {t: {token: {length: 200}}}}}}",
     "a value of 400 characters is longer than VARCHAR(255), what MySQL/MariaDB makes of varchar without a length"),
    ("b: {type: varbinary, gen: {hex: {length: 600}}}",
     "a value of 300 bytes is longer than VARBINARY(255), what MySQL/MariaDB makes of varbinary without a length"),
    ("v: {type: text, gen: {template: {text: \"" + "{t}" * 150 + "\", parts: {t: {token: {length: 500}}}}}}",
     "a value of 75,000 UTF-8 bytes is longer than MySQL/MariaDB's TEXT holds (65,535 bytes)"),
    ("n: {type: numeric, gen: {uniform: {min: 0.0, max: 10.0}}}",
     "0.29562448005486963 does not fit DECIMAL(10, 0), what MySQL/MariaDB makes of numeric without a precision"),
])
def test_a_length_the_dialect_gives_a_type_stops_the_compile(tmp_path, column, message):
    """MySQL gives ``varchar`` and ``varbinary`` written without a length 255 and ``numeric``
    without a precision (10, 0), and its TEXT holds 65,535 bytes (LOAD DATA LOCAL would cut or
    round a value beyond them with a warning): the MySQL compile and stream refuse such a value,
    PostgreSQL's (unbounded VARCHAR, BYTEA, TEXT, NUMERIC) take it."""
    from conftest import write_spec_set

    write_spec_set(tmp_path, {"t.yaml": f"table: t\nrows: 20\ncolumns:\n  id: {{type: integer, gen: sequence}}\n  {column}\n"})
    for how in (["--out", "out"], ["--stdout"]):
        proc = run_cli("compile", "--specs", "specs", "--profile", "default", "--dialect", "mysql", *how, cwd=tmp_path)
        err = proc.stderr.decode()
        assert proc.returncode == 1 and "Traceback" not in err, err
        assert message in err and "t.yaml: columns." in err and "row 0 of 't'" in err
    assert not (tmp_path / "out" / "manifest.json").exists()
    proc = run_cli("compile", "--specs", "specs", "--profile", "default", "--dialect", "postgres", "--out", "pg",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()


def test_aggregate_over_parents_without_children_through_a_switch(tmp_path):
    """A batch of children can be empty (every parent of the batch childless): columns of such a
    batch, a switch's included, are empty rather than an error."""
    from conftest import write_spec_set

    write_spec_set(tmp_path, {
        "p.yaml": "table: p\nrows: 5\ncolumns:\n  id: {type: integer, gen: sequence}\n"
                  "  last: {type: integer, nullable: true, gen: {aggregate: {from: c, fn: max, of: v}}}\n",
        "c.yaml": "table: c\nparent: {table: p, count: 0}\ncolumns:\n  flag: {type: boolean, gen: {bernoulli: 0.5}}\n"
                  "  v: {type: integer, gen: {switch: {on: flag, cases: {true: {const: 1}}, default: {const: 2}}}}\n",
    })
    df = api.generate_table(api.plan(tmp_path / "specs", "default"), "p")
    assert df["last"].null_count() == 5
