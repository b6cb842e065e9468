"""specgen introspect round trip on the four databases: a database loaded by specgen (the shop
example's and the gateway's `small` profile) -> introspect -> the spec set validates -> generate
into an empty database (compile, load, verify) -> drift finds no difference against either
database; the generated data's statistics lie within stated tolerances of the source's:

* root tables: exactly the source's rows (x --scale);
* fan-out tables with at least 1,000 rows in the source: within 25 % (counts are drawn per
  parent with the source's mean; the gateway's small tables hang off a handful of parents and
  stray further, so only its total is held to 15 %);
* NULL fractions within 0.05; shares of true booleans within 0.05.
"""

from __future__ import annotations

import pytest

from conftest import ROOT, SHOP
from dbtargets import TARGETS, make
from specgen import api
from specgen.db.urls import parse
from specgen.evolve import catalog
from specgen.sql import dialect as dialects

DATABASES = ["sqlite", "duckdb", pytest.param("postgres", marks=pytest.mark.db),
             pytest.param("mysql", marks=pytest.mark.db)]


def _counts(url: str) -> dict[str, int]:
    from specgen.db.clients import client_for
    from specgen.sql import dialect as dialects

    cat = catalog.read(parse(url))
    client = client_for(parse(url))

    d = dialects.load(parse(url).dialect)
    names = [t for t in cat.tables if t != "specgen_load_ledger"]
    rows = client.query_many([f"SELECT COUNT(*) FROM {d.quote(t)}" for t in names])
    return {t: int(r[0]) for t, r in zip(names, rows, strict=True)}


def _stats(url: str, table: str, column: str, kind: str) -> float:
    from specgen.db.clients import client_for
    from specgen.sql import dialect as dialects

    d = dialects.load(parse(url).dialect)
    x = d.quote(column)
    expr = f"SUM(CASE WHEN {x} THEN 1 ELSE 0 END) * 1.0 / COUNT(*)" if kind == "bool" else \
        f"SUM(CASE WHEN {x} IS NULL THEN 1 ELSE 0 END) * 1.0 / COUNT(*)"
    return float(client_for(parse(url)).query(f"SELECT {expr} FROM {d.quote(table)}")[0][0])


def _round_trip(name, tmp_path, specs, profile, scale=1.0):
    src = make(name, tmp_path / "src")
    dst = make(name, tmp_path / "dst")
    try:
        api.generate(specs, profile, src.url, out=tmp_path / "dump-src", report=tmp_path / "r1.json")
        out = tmp_path / "introspected"
        result = api.introspect(src.url, out, scale=scale)
        assert not api.validate(out), api.validate(out)
        doc = api.generate(out, "default", dst.url, out=tmp_path / "dump-dst", report=tmp_path / "r2.json")
        assert doc["verification"]["failed"] == 0 and doc["verification"]["passed"] > 0
        for url in (dst.url, src.url):
            report = api.drift(out, url)
            assert not report.open, "\n".join(d.text() for d in report.open)
        return result, src.url, dst.url, out
    except BaseException:
        src.drop()
        dst.drop()
        raise


@pytest.mark.parametrize("name", DATABASES)
def test_shop_round_trip(name, tmp_path):
    result, src, dst, out = _round_trip(name, tmp_path, SHOP, "small")
    try:
        before, after = _counts(src), _counts(dst)
        model = api.model(out, "default")
        for t, n in before.items():
            spec = model.tables[t]
            if spec.parent is None:
                assert after[t] == n, t
            elif n >= 1000:
                assert abs(after[t] - n) <= 0.25 * n, (t, n, after[t])
        for t, column, kind in [("customers", "company", "null"), ("customers", "is_active", "bool"),
                                ("orders", "shipped_at", "null")]:
            a, b = _stats(src, t, column, kind), _stats(dst, t, column, kind)
            assert abs(a - b) <= 0.05, (t, column, a, b)
        text = (out / "orders.yaml").read_text()
        assert "# " in text and "categorical" in text  # comments on every guess
        # parents come from foreign keys: none where the dialect makes none (DuckDB), every table a root
        assert ("parent:" in text) == (dialects.load(name).foreign_keys != "none")
    finally:
        for url in (src, dst):
            _drop(url, name, tmp_path)


def _drop(url, name, tmp_path):
    import subprocess

    db = parse(url).database
    if name == "postgres":
        subprocess.run(["psql", *TARGETS["postgres"].conn, "-d", "postgres", "-qc",
                        f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'], capture_output=True)
    elif name == "mysql":
        subprocess.run(["mysql", *TARGETS["mysql"].conn, "-e", f"DROP DATABASE IF EXISTS `{db}`"], capture_output=True)


@pytest.mark.parametrize("name", DATABASES)
def test_gateway_round_trip(name, tmp_path):
    result, src, dst, out = _round_trip(name, tmp_path, ROOT / "specs", "small")
    try:
        before, after = _counts(src), _counts(dst)
        assert abs(sum(after.values()) - sum(before.values())) <= 0.15 * sum(before.values())
        assert len(result.tables) == 36
    finally:
        for url in (src, dst):
            _drop(url, name, tmp_path)


def test_scale_and_bad_input(tmp_path):
    from conftest import run_cli

    src = make("sqlite", tmp_path / "src")
    api.generate(SHOP, "tiny", src.url, out=tmp_path / "dump", report=tmp_path / "r.json")
    api.introspect(src.url, tmp_path / "x10", scale=10)
    plan = api.plan(tmp_path / "x10", "default")
    assert plan.rows["customers"] == 10 * _counts(src.url)["customers"]
    for args, message in [
        (("introspect", "--url", src.url, "--out", str(tmp_path / "x10")), "not empty"),
        (("introspect", "--url", "postgresql://postgres@127.0.0.1:1/x", "--out", str(tmp_path / "y")), "cannot read"),
        (("introspect", "--url", f"sqlite:///{tmp_path}/none.db", "--out", str(tmp_path / "z")), "no such database"),
    ]:
        proc = run_cli(*args)
        err = proc.stderr.decode()
        assert proc.returncode == 1 and message in err and "Traceback" not in err, err
