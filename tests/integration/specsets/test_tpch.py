"""The TPC-H spec set (specs/examples/tpch): the row counts of the TPC-H specification, and its
data generation rules (clause 4.2) checked in SQL on loaded databases, plus a few of its queries.

`sf0.01` is compiled, loaded and verified into SQLite, PostgreSQL and MariaDB, and every rule is
checked there with one query that counts the rows breaking it; `sf0.1` (868K rows) is checked the
same way on PostgreSQL (marked `slow`).
"""

from __future__ import annotations

import importlib.util
import json
import re

import polars as pl
import pytest

from conftest import ROOT, run_cli
from specgen import api

TPCH = ROOT / "specs" / "examples" / "tpch"
SCALE = {"sf0.01": 0.01, "sf0.1": 0.1, "sf1": 1, "sf10": 10, "sf100": 100, "sf1000": 1000}
CURRENTDATE = "1995-06-17"

# Clause 4.2.3: nations in key order with their region keys, and the regions.
NATIONS = [("ALGERIA", 0), ("ARGENTINA", 1), ("BRAZIL", 1), ("CANADA", 1), ("EGYPT", 4), ("ETHIOPIA", 0),
           ("FRANCE", 3), ("GERMANY", 3), ("INDIA", 2), ("INDONESIA", 2), ("IRAN", 4), ("IRAQ", 4), ("JAPAN", 2),
           ("JORDAN", 4), ("KENYA", 0), ("MOROCCO", 0), ("MOZAMBIQUE", 0), ("PERU", 1), ("CHINA", 2),
           ("ROMANIA", 3), ("SAUDI ARABIA", 4), ("VIETNAM", 2), ("RUSSIA", 3), ("UNITED KINGDOM", 3),
           ("UNITED STATES", 1)]
REGIONS = ["AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"]
# Value domains: (table, column, values), each value expected at sf0.01 already.
TYPES = [f"{a} {b} {c}" for a in ("STANDARD", "SMALL", "MEDIUM", "LARGE", "ECONOMY", "PROMO")
         for b in ("ANODIZED", "BURNISHED", "PLATED", "POLISHED", "BRUSHED")
         for c in ("TIN", "NICKEL", "BRASS", "STEEL", "COPPER")]
CONTAINERS = [f"{a} {b}" for a in ("SM", "LG", "MED", "JUMBO", "WRAP")
              for b in ("CASE", "BOX", "BAG", "JAR", "PKG", "PACK", "CAN", "DRUM")]
DOMAINS = [
    ("part", "p_type", TYPES),
    ("part", "p_container", CONTAINERS),
    ("part", "p_mfgr", [f"Manufacturer#{m}" for m in range(1, 6)]),
    ("part", "p_brand", [f"Brand#{m}{n}" for m in range(1, 6) for n in range(1, 6)]),
    ("customer", "c_mktsegment", ["AUTOMOBILE", "BUILDING", "FURNITURE", "MACHINERY", "HOUSEHOLD"]),
    ("orders", "o_orderpriority", ["1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW"]),
    ("lineitem", "l_shipinstruct", ["DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"]),
    ("lineitem", "l_shipmode", ["REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"]),
    ("lineitem", "l_returnflag", ["R", "A", "N"]),
    ("lineitem", "l_linestatus", ["O", "F"]),
    ("orders", "o_orderstatus", ["F", "O", "P"]),
]
# Comment lengths (clause 4.2.3).
COMMENTS = [("part", "p_comment", 5, 22), ("supplier", "s_comment", 25, 100), ("partsupp", "ps_comment", 49, 198),
            ("customer", "c_comment", 29, 116), ("orders", "o_comment", 19, 78), ("lineitem", "l_comment", 10, 43),
            ("nation", "n_comment", 31, 114), ("region", "r_comment", 31, 115)]


def expected_rows(sf: float) -> dict[str, int]:
    return {"region": 5, "nation": 25, "supplier": round(10_000 * sf), "part": round(200_000 * sf),
            "partsupp": round(800_000 * sf), "customer": round(150_000 * sf), "orders": round(1_500_000 * sf)}


# -- the spec set and its plans --------------------------------------------------------------------


@pytest.mark.parametrize("profile", list(SCALE))
def test_spec_set_validates(profile):
    proc = run_cli("validate", "--specs", str(TPCH), "--profile", profile)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()


@pytest.mark.parametrize("profile", ["sf0.01", "sf1"])
def test_plan_gives_the_tpch_row_counts(profile):
    proc = run_cli("plan", "--specs", str(TPCH), "--profile", profile, "--format", "json", check=True)
    rows = {t: e["rows"] for t, e in json.loads(proc.stdout)["tables"].items()}
    want = expected_rows(SCALE[profile])
    assert {t: rows[t] for t in want} == want
    # 1 to 7 lines per order, uniform: 4 per order on average (dbgen's sf1 has 6,001,215).
    assert abs(rows["lineitem"] / (4 * rows["orders"]) - 1) < 0.005
    # As `specgen plan` prints it.
    text = run_cli("plan", "--specs", str(TPCH), "--profile", profile, check=True).stdout.decode()
    printed = {line.split()[0]: line.split()[1] for line in text.splitlines()[2:] if line.split()}
    assert printed["orders"] == f"{want['orders']:,}" and printed["customer"] == f"{want['customer']:,}"


def _text_pools():
    spec = importlib.util.spec_from_file_location("text_pools", TPCH / "text_pools.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pools_are_what_text_pools_py_writes():
    module = _text_pools()
    built = module.build()
    on_disk = {p.stem: p.read_text(encoding="utf-8") for p in (TPCH / "pools").glob("*.json")}
    assert set(on_disk) == set(built)
    for name, values in built.items():
        assert on_disk[name] == module.render(values), f"pools/{name}.json is stale: run text_pools.py"
    for name, (lo, hi) in module.COMMENTS.items():
        assert all(lo <= len(v) <= hi for v in built[name]), name
    for word in ("Complaints", "Recommends"):
        pool = built[f"tpch_s_comment_{word.lower()}"]
        assert all(re.search(f"Customer .*{word}", v) and 25 <= len(v) <= 100 for v in pool)
    assert len(set(built["tpch_colors"])) == 92 and len(set(built["tpch_vchars"])) == 64


def test_better_business_bureau_comments_are_5_per_sf():
    supplier = api.generate_table(api.plan(TPCH, "sf1"), "supplier")
    assert supplier.filter(pl.col("s_comment").str.contains("Customer.*Complaints")).height == 5
    assert supplier.filter(pl.col("s_comment").str.contains("Customer.*Recommends")).height == 5


def test_order_customers_are_not_in_key_order():
    """O_CUSTKEY is drawn per order (as dbgen does), so a customer's orders are spread over the
    key range: nothing ties an order's key to its customer's."""
    orders = api.generate_table(api.plan(TPCH, "sf0.01"), "orders")
    assert orders["o_orderkey"].to_list() == list(range(1, orders.height + 1))
    cust = orders["o_custkey"]
    assert 0.4 < (cust.diff().drop_nulls() > 0).mean() < 0.6
    assert abs(pl.DataFrame({"k": orders["o_orderkey"], "c": cust}).select(pl.corr("k", "c")).item()) < 0.05


def test_count_expression_variant_gives_the_same_totals(tmp_path):
    """The other way to write O_CUSTKEY's rule (docs/tpch.md): orders as a fan-out of customer whose
    count expression gives every third customer none, interleaved so keys do not follow customers."""
    import shutil

    specs = tmp_path / "tpch"
    shutil.copytree(TPCH, specs)
    text = (specs / "orders.yaml").read_text()
    head, _, rest = text.partition("primary_key:")
    variant = ("table: orders\nparent:\n  table: customer\n"
               "  count: {expr: \"0 if c_custkey % 3 == 0 else 15\", max: 15}\norder: interleaved\nprimary_key:" + rest)
    variant = variant.replace("gen: {ref: customer.c_custkey}", "gen: {ref: parent.c_custkey}")
    variant = "\n".join(line for line in variant.splitlines() if "o_customer_rank" not in line) + "\n"
    (specs / "orders.yaml").write_text(variant)
    plan = api.plan(specs, "sf0.01")
    assert plan.rows["orders"] == 15_000
    orders = api.generate_table(plan, "orders")
    per = orders.group_by("o_custkey").len()
    assert (per["o_custkey"] % 3 != 0).all() and (per["len"] == 15).all() and per.height == 1_000
    assert orders["o_orderkey"].to_list() == list(range(1, 15_001))
    assert not (orders["o_custkey"].diff().drop_nulls() >= 0).all()


# -- loaded databases --------------------------------------------------------------------------------


class Sql:
    """The few SQL spellings that differ between the three databases."""

    def __init__(self, db):
        self.d = db.dialect
        self.db = db

    def date(self, iso: str) -> str:
        return f"'{iso}'" if self.d == "sqlite" else f"DATE '{iso}'"

    def days(self, a: str, b: str) -> str:
        """Whole days from b to a."""
        return {"postgres": f"({a} - {b})", "mysql": f"DATEDIFF({a}, {b})",
                "sqlite": f"CAST(julianday({a}) - julianday({b}) AS INTEGER)"}[self.d]

    def idiv(self, a: str, b: str) -> str:
        return f"({a} DIV {b})" if self.d == "mysql" else f"({a} / {b})"

    def text(self, x: str) -> str:
        return f"CAST({x} AS CHAR)" if self.d == "mysql" else f"CAST({x} AS TEXT)"

    def pad9(self, x: str) -> str:
        return {"postgres": f"lpad(CAST({x} AS TEXT), 9, '0')", "mysql": f"LPAD({x}, 9, '0')",
                "sqlite": f"printf('%09d', {x})"}[self.d]

    def cat(self, *parts: str) -> str:
        return f"CONCAT({', '.join(parts)})" if self.d == "mysql" else " || ".join(parts)

    def length(self, col: str) -> str:
        return self.db.length(col)

    def phone_malformed(self, col: str) -> str:
        if self.d == "sqlite":
            return f"{col} NOT GLOB '[0-9][0-9]-[0-9][0-9][0-9]-[0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]'"
        op = "!~" if self.d == "postgres" else "NOT REGEXP"
        return f"{col} {op} '^[0-9]{{2}}-[0-9]{{3}}-[0-9]{{3}}-[0-9]{{4}}$'"


def _scalar(db, sql: str):
    return db.query(sql)[0][0]


def rule_violations(db, sf: float) -> dict[str, int]:
    """Each rule of clause 4.2 as a query counting the rows that break it; returns the nonzero ones."""
    s = Sql(db)
    n = expected_rows(sf)
    S, clerks = n["supplier"], round(1_000 * sf)
    now = s.date(CURRENTDATE)

    def supplier_of(partkey: str, i: int) -> str:  # the i-th supplier of a part (4.2.3, PS_SUPPKEY)
        return f"(({partkey} + {i} * ({S // 4} + {s.idiv(f'({partkey} - 1)', str(S))})) % {S} + 1)"

    def suppliers_of(partkey: str) -> str:
        return ", ".join(supplier_of(partkey, i) for i in range(4))

    lines_per_order = ("(SELECT l_orderkey, COUNT(*) AS n, SUM(CASE WHEN l_linestatus = 'O' THEN 1 ELSE 0 END) AS open_n, "
                       "ROUND(SUM(l_extendedprice * (1 + l_tax) * (1 - l_discount)), 2) AS total FROM lineitem GROUP BY l_orderkey)")
    checks = {
        # cardinalities
        **{f"rows of {t} != {k}": f"SELECT ABS(COUNT(*) - {k}) FROM {t}" for t, k in n.items()},
        "orders with fewer than 1 or more than 7 lines":
            f"SELECT COUNT(*) FROM orders o LEFT JOIN {lines_per_order} x ON x.l_orderkey = o.o_orderkey "
            "WHERE x.n IS NULL OR x.n > 7",
        "line numbers not 1..n": f"SELECT COUNT(*) FROM {lines_per_order} x WHERE x.n <> "
                                 "(SELECT MAX(l_linenumber) FROM lineitem l WHERE l.l_orderkey = x.l_orderkey)",
        # a third of the customers have no order: O_CUSTKEY is never a multiple of 3
        "customers with a key divisible by 3 and an order":
            "SELECT COUNT(*) FROM customer c WHERE c_custkey % 3 = 0 AND EXISTS "
            "(SELECT 1 FROM orders o WHERE o.o_custkey = c.c_custkey)",
        "customers with a key not divisible by 3 and no order (more than 1 in 10,000)":
            "SELECT CASE WHEN COUNT(*) * 10000 > " + str(n["customer"]) + " THEN COUNT(*) ELSE 0 END FROM customer c "
            "WHERE c_custkey % 3 <> 0 AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.o_custkey = c.c_custkey)",
        # formulas
        "p_retailprice not (90000 + ((p_partkey/10) mod 20001) + 100 * (p_partkey mod 1000)) / 100":
            f"SELECT COUNT(*) FROM part WHERE ABS(p_retailprice - (90000 + ({s.idiv('p_partkey', '10')} % 20001) "
            "+ 100 * (p_partkey % 1000)) / 100.0) > 0.001",
        "l_extendedprice not l_quantity * p_retailprice":
            "SELECT COUNT(*) FROM lineitem l JOIN part p ON p.p_partkey = l.l_partkey "
            "WHERE ABS(l_extendedprice - l_quantity * p_retailprice) > 0.001",
        "o_totalprice off sum(l_extendedprice * (1 + l_tax) * (1 - l_discount)) by more than 0.01":
            f"SELECT COUNT(*) FROM orders o JOIN {lines_per_order} x ON x.l_orderkey = o.o_orderkey "
            "WHERE ABS(o_totalprice - x.total) > 0.0100001",
        "o_totalprice off by 0.01 (rounding) for more than 1 order in 200":
            f"SELECT CASE WHEN COUNT(*) * 200 > {n['orders']} THEN COUNT(*) ELSE 0 END FROM orders o "
            f"JOIN {lines_per_order} x ON x.l_orderkey = o.o_orderkey WHERE ABS(o_totalprice - x.total) > 0.000001",
        "o_orderstatus not F (all lines F) / O (all O) / P":
            f"SELECT COUNT(*) FROM orders o JOIN {lines_per_order} x ON x.l_orderkey = o.o_orderkey WHERE o_orderstatus <> "
            "CASE WHEN x.open_n = 0 THEN 'F' WHEN x.open_n = x.n THEN 'O' ELSE 'P' END",
        "partsupp suppliers not the spec's four for the part":
            f"SELECT COUNT(*) FROM partsupp WHERE ps_suppkey NOT IN ({suppliers_of('ps_partkey')})",
        "parts without 4 different suppliers":
            "SELECT COUNT(*) FROM (SELECT ps_partkey FROM partsupp GROUP BY ps_partkey "
            "HAVING COUNT(DISTINCT ps_suppkey) <> 4 OR COUNT(*) <> 4) x",
        "line (partkey, suppkey) not in partsupp":
            "SELECT COUNT(*) FROM lineitem l WHERE NOT EXISTS (SELECT 1 FROM partsupp ps "
            "WHERE ps.ps_partkey = l.l_partkey AND ps.ps_suppkey = l.l_suppkey)",
        "line supplier not one of the part's four":
            f"SELECT COUNT(*) FROM lineitem WHERE l_suppkey NOT IN ({suppliers_of('l_partkey')})",
        # dates
        "o_orderdate outside [STARTDATE, ENDDATE - 151 days]":
            f"SELECT COUNT(*) FROM orders WHERE o_orderdate < {s.date('1992-01-01')} OR o_orderdate > {s.date('1998-08-02')}",
        "l_shipdate not o_orderdate + 1..121 days":
            f"SELECT COUNT(*) FROM lineitem l JOIN orders o ON o.o_orderkey = l.l_orderkey "
            f"WHERE {s.days('l_shipdate', 'o_orderdate')} NOT BETWEEN 1 AND 121",
        "l_commitdate not o_orderdate + 30..90 days":
            f"SELECT COUNT(*) FROM lineitem l JOIN orders o ON o.o_orderkey = l.l_orderkey "
            f"WHERE {s.days('l_commitdate', 'o_orderdate')} NOT BETWEEN 30 AND 90",
        "l_receiptdate not l_shipdate + 1..30 days":
            f"SELECT COUNT(*) FROM lineitem WHERE {s.days('l_receiptdate', 'l_shipdate')} NOT BETWEEN 1 AND 30",
        "date offsets not reaching their bounds":
            "SELECT (CASE WHEN MIN(a) = 1 AND MAX(a) = 121 THEN 0 ELSE 1 END) + (CASE WHEN MIN(b) = 30 AND MAX(b) = 90 "
            "THEN 0 ELSE 1 END) + (CASE WHEN MIN(c) = 1 AND MAX(c) = 30 THEN 0 ELSE 1 END) FROM (SELECT "
            f"{s.days('l_shipdate', 'o_orderdate')} AS a, {s.days('l_commitdate', 'o_orderdate')} AS b, "
            f"{s.days('l_receiptdate', 'l_shipdate')} AS c FROM lineitem l JOIN orders o ON o.o_orderkey = l.l_orderkey) x",
        "l_returnflag not R/A when received by CURRENTDATE, else N":
            f"SELECT COUNT(*) FROM lineitem WHERE (l_receiptdate <= {now} AND l_returnflag NOT IN ('R', 'A')) "
            f"OR (l_receiptdate > {now} AND l_returnflag <> 'N')",
        "l_linestatus not O when shipped after CURRENTDATE, else F":
            f"SELECT COUNT(*) FROM lineitem WHERE l_linestatus <> CASE WHEN l_shipdate > {now} THEN 'O' ELSE 'F' END",
        # names, phones, numbers
        "s_name not Supplier#<9-digit key>": f"SELECT COUNT(*) FROM supplier WHERE s_name <> {s.cat(repr('Supplier#'), s.pad9('s_suppkey'))}",
        "c_name not Customer#<9-digit key>": f"SELECT COUNT(*) FROM customer WHERE c_name <> {s.cat(repr('Customer#'), s.pad9('c_custkey'))}",
        "o_clerk not Clerk#<1 .. 1000 x SF>":
            f"SELECT COUNT(*) FROM orders WHERE substr(o_clerk, 1, 6) <> 'Clerk#' OR {s.length('o_clerk')} <> 15 "
            f"OR CAST(substr(o_clerk, 7, 9) AS {'SIGNED' if s.d == 'mysql' else 'INTEGER'}) NOT BETWEEN 1 AND {clerks}",
        "p_brand's M not p_mfgr's": "SELECT COUNT(*) FROM part WHERE substr(p_brand, 7, 1) <> substr(p_mfgr, 14, 1)",
        **{f"{t} phone malformed or country code not nationkey + 10":
           f"SELECT COUNT(*) FROM {t} WHERE {s.phone_malformed(f'{p}_phone')} "
           f"OR substr({p}_phone, 1, 2) <> {s.text(f'{p}_nationkey + 10')}" for t, p in (("supplier", "s"), ("customer", "c"))},
        **{f"{t} address not 10..40 characters (or the bounds unused)":
           f"SELECT CASE WHEN MIN({s.length(f'{p}_address')}) = 10 AND MAX({s.length(f'{p}_address')}) = 40 THEN 0 ELSE 1 END "
           f"FROM {t}" for t, p in (("supplier", "s"), ("customer", "c"))},
        **{f"{t} acctbal outside [-999.99, 9999.99]":
           f"SELECT COUNT(*) FROM {t} WHERE {p}_acctbal < -999.99 OR {p}_acctbal > 9999.99"
           for t, p in (("supplier", "s"), ("customer", "c"))},
        "ps_availqty outside [1, 9999] or ps_supplycost outside [1.00, 1000.00]":
            "SELECT COUNT(*) FROM partsupp WHERE ps_availqty NOT BETWEEN 1 AND 9999 OR ps_supplycost NOT BETWEEN 1 AND 1000",
        "p_size outside [1, 50]": "SELECT COUNT(*) FROM part WHERE p_size NOT BETWEEN 1 AND 50",
        "l_quantity not a whole number in [1, 50]":
            "SELECT COUNT(*) FROM lineitem WHERE l_quantity NOT BETWEEN 1 AND 50 OR l_quantity <> ROUND(l_quantity, 0)",
        "l_discount outside [0.00, 0.10] or l_tax outside [0.00, 0.08]":
            "SELECT COUNT(*) FROM lineitem WHERE l_discount NOT BETWEEN 0 AND 0.1 OR l_tax NOT BETWEEN 0 AND 0.08 "
            "OR ABS(l_discount * 100 - ROUND(l_discount * 100, 0)) > 0.000001 "
            "OR ABS(l_tax * 100 - ROUND(l_tax * 100, 0)) > 0.000001",
        "o_shippriority not 0": "SELECT COUNT(*) FROM orders WHERE o_shippriority <> 0",
    }
    for table, col, values in DOMAINS:
        listed = ", ".join(f"'{v}'" for v in values)
        checks[f"{col} outside its word list"] = f"SELECT COUNT(*) FROM {table} WHERE {col} NOT IN ({listed})"
        checks[f"{col}: not all {len(values)} values used"] = f"SELECT {len(values)} - COUNT(DISTINCT {col}) FROM {table}"
    for table, col, lo, hi in COMMENTS:
        checks[f"{col} length outside [{lo}, {hi}]"] = (f"SELECT COUNT(*) FROM {table} WHERE {s.length(col)} < {lo} "
                                                        f"OR {s.length(col)} > {hi}")
    bad = {}
    for name, sql in checks.items():
        got = float(_scalar(db, sql))
        if got:
            bad[name] = got
    return bad


def rows(db, sql: str) -> list[tuple[str, ...]]:
    """Result rows, CHAR(n) padding (PostgreSQL prints it) removed."""
    return [tuple(v.rstrip() for v in r) for r in db.query(sql)]


def assert_reference_rows(db) -> None:
    assert rows(db, "SELECT r_regionkey, r_name FROM region ORDER BY r_regionkey") == \
        [(str(i), name) for i, name in enumerate(REGIONS)]
    got = rows(db, "SELECT n_nationkey, n_name, n_regionkey FROM nation ORDER BY n_nationkey")
    assert got == [(str(i), name, str(region)) for i, (name, region) in enumerate(NATIONS)]
    names = rows(db, "SELECT n_name, r_name FROM nation JOIN region ON r_regionkey = n_regionkey ORDER BY n_nationkey")
    assert names == [(name, REGIONS[region]) for name, region in NATIONS]


def compile_load_verify(db, profile: str, tmp):
    out = tmp / f"{profile}-{db.dialect}"
    run_cli("compile", "--specs", str(TPCH), "--profile", profile, "--dialect", db.dialect, "--out", str(out),
            check=True)
    run_cli("load", str(out), "--url", db.url, "--jobs", "2", check=True)
    proc = run_cli("verify", str(out), "--url", db.url, "--jobs", "2")
    assert proc.returncode == 0, proc.stdout.decode()[-3000:] + proc.stderr.decode()[-3000:]
    return proc.stdout.decode() + proc.stderr.decode()


@pytest.fixture(scope="module", params=["sqlite", "postgres", "mysql"])
def sf001(request, tmp_path_factory):
    """sf0.01 compiled, loaded and verified into a fresh database (once per module and database)."""
    from dbtargets import TARGETS, unavailable

    cls = TARGETS[request.param]
    reason = cls.probe()
    if reason:
        unavailable(reason)
    tmp = tmp_path_factory.mktemp(f"tpch-{request.param}")
    db = cls(tmp)
    db.create()
    try:
        db.verify_output = compile_load_verify(db, "sf0.01", tmp)
        yield db
    finally:
        db.drop()


@pytest.mark.db
def test_sf001_loads_and_verifies(sf001):
    assert "checks passed" in sf001.verify_output
    assert_reference_rows(sf001)


@pytest.mark.db
def test_sf001_holds_every_rule_in_sql(sf001):
    assert rule_violations(sf001, 0.01) == {}


# -- TPC-H queries on PostgreSQL (clause 2.4, the validation parameters) ----------------------------

Q1 = """
select l_returnflag, l_linestatus, sum(l_quantity) as sum_qty, sum(l_extendedprice) as sum_base_price,
       sum(l_extendedprice * (1 - l_discount)) as sum_disc_price,
       sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) as sum_charge, avg(l_quantity) as avg_qty,
       avg(l_extendedprice) as avg_price, avg(l_discount) as avg_disc, count(*) as count_order
from lineitem where l_shipdate <= date '1998-12-01' - interval '90' day
group by l_returnflag, l_linestatus order by l_returnflag, l_linestatus"""
Q3 = """
select l_orderkey, sum(l_extendedprice * (1 - l_discount)) as revenue, o_orderdate, o_shippriority
from customer, orders, lineitem
where c_mktsegment = 'BUILDING' and c_custkey = o_custkey and l_orderkey = o_orderkey
  and o_orderdate < date '1995-03-15' and l_shipdate > date '1995-03-15'
group by l_orderkey, o_orderdate, o_shippriority order by revenue desc, o_orderdate limit 10"""
Q5 = """
select n_name, sum(l_extendedprice * (1 - l_discount)) as revenue
from customer, orders, lineitem, supplier, nation, region
where c_custkey = o_custkey and l_orderkey = o_orderkey and l_suppkey = s_suppkey and c_nationkey = s_nationkey
  and s_nationkey = n_nationkey and n_regionkey = r_regionkey and r_name = 'ASIA'
  and o_orderdate >= date '1994-01-01' and o_orderdate < date '1994-01-01' + interval '1' year
group by n_name order by revenue desc"""
Q6 = """
select sum(l_extendedprice * l_discount) as revenue from lineitem
where l_shipdate >= date '1994-01-01' and l_shipdate < date '1994-01-01' + interval '1' year
  and l_discount between 0.06 - 0.01 and 0.06 + 0.01 and l_quantity < 24"""
Q13 = """
select c_count, count(*) as custdist
from (select c_custkey, count(o_orderkey)
      from customer left outer join orders on c_custkey = o_custkey and o_comment not like '%special%requests%'
      group by c_custkey) as c_orders (c_custkey, c_count)
group by c_count order by custdist desc, c_count desc"""


@pytest.mark.db
@pytest.mark.parametrize("sf001", ["postgres"], indirect=True)
def test_tpch_queries_on_postgres(sf001):
    db = sf001
    q1 = rows(db, Q1)
    assert [(r[0], r[1]) for r in q1] == [("A", "F"), ("N", "F"), ("N", "O"), ("R", "F")]
    assert all(len(r) == 10 for r in q1)
    total = sum(int(r[9]) for r in q1)
    assert total == int(_scalar(db, "select count(*) from lineitem where l_shipdate <= date '1998-09-02'"))
    # N/F is the thin group of lines shipped by CURRENTDATE but received after it; A/F and R/F
    # split the returned lines about evenly.
    count = {(r[0], r[1]): int(r[9]) for r in q1}
    assert count[("N", "F")] < count[("A", "F")] / 10
    assert 0.9 < count[("A", "F")] / count[("R", "F")] < 1.1
    assert all(24 < float(r[6]) < 27 and 0.045 < float(r[8]) < 0.055 for r in q1)  # avg qty 25.5, discount 0.05

    q3 = db.query(Q3)
    assert len(q3) == 10 and all(len(r) == 4 and r[3] == "0" for r in q3)
    assert [float(r[1]) for r in q3] == sorted((float(r[1]) for r in q3), reverse=True)

    q5 = rows(db, Q5)
    asia = {name for name, region in NATIONS if region == 2}
    assert len(q5) == 5 and {r[0] for r in q5} == asia

    q6 = db.query(Q6)
    assert len(q6) == 1 and float(q6[0][0]) > 0

    # Q13: a third of the customers have no order at all.
    q13 = {int(r[0]): int(r[1]) for r in db.query(Q13)}
    assert q13[0] >= expected_rows(0.01)["customer"] // 3
    assert sum(q13.values()) == expected_rows(0.01)["customer"]


@pytest.mark.db
@pytest.mark.slow
def test_sf01_holds_every_rule_on_postgres(tmp_path):
    """sf0.1 (868K rows) compiled, loaded, verified and every rule checked, on PostgreSQL."""
    from dbtargets import fresh

    with fresh("postgres", tmp_path) as db:
        compile_load_verify(db, "sf0.1", tmp_path)
        assert_reference_rows(db)
        assert rule_violations(db, 0.1) == {}
        assert [(r[0], r[1]) for r in rows(db, Q1)] == [("A", "F"), ("N", "F"), ("N", "O"), ("R", "F")]
