"""The plan: exact totals that generation then produces; a golden file for review in PRs."""

from __future__ import annotations

import json
import os

from conftest import GOLDEN, SHOP, run_cli
from specgen import api


def test_plan_totals_equal_generated_rows(shop_small):
    for table, rows in shop_small.rows.items():
        assert api.generate_table(shop_small, table).height == rows, table
    assert shop_small.to_dict()["total_rows"] == sum(shop_small.rows.values())


def test_plan_json_shape_from_the_cli():
    proc = run_cli("plan", "--specs", str(SHOP), "--profile", "tiny", "--format", "json", check=True)
    d = json.loads(proc.stdout)
    assert {"profile", "seed", "total_rows", "tables"} <= set(d)
    assert d["profile"] == "tiny" and d["seed"] == 7
    assert d["total_rows"] == sum(t["rows"] for t in d["tables"].values())
    assert all({"rows", "chunks", "est_bytes"} <= set(t) for t in d["tables"].values())


def test_plan_matches_golden(shop_tiny):
    """Golden plan of the example at profile tiny. It embeds the spec hash, so a stale golden file
    fails; regenerate with SPECGEN_UPDATE_GOLDEN=1 after reviewing the change."""
    path = GOLDEN / "plan_shop_tiny.json"
    got = json.dumps(shop_tiny.to_dict(), indent=2, sort_keys=True) + "\n"
    if os.environ.get("SPECGEN_UPDATE_GOLDEN") == "1":
        path.write_text(got)
    assert path.exists(), f"missing golden file {path}: run with SPECGEN_UPDATE_GOLDEN=1 and review it"
    assert json.loads(got) == json.loads(path.read_text())


def test_chunk_rows_changes_chunks_not_rows():
    a = api.plan(SHOP, "small", chunk_rows=1000, estimate=False)
    b = api.plan(SHOP, "small", estimate=False)
    assert a.rows == b.rows
    assert a.tables["page_views"].chunks == -(-a.rows["page_views"] // 1000)


def test_a_random_link_into_an_empty_table_is_a_user_error(tmp_path):
    from conftest import write_spec_set

    specs = write_spec_set(tmp_path, {
        "a.yaml": "table: a\nrows: 0\ncolumns:\n  id: {type: integer, gen: sequence}\n",
        "b.yaml": "table: b\nrows: 3\nlinks:\n  to: {table: a}\ncolumns:\n  id: {type: integer, gen: sequence}\n"
                  "  a_id: {type: integer, references: a.id, gen: {ref: to.id}}\n",
    })
    proc = run_cli("plan", "--specs", str(specs), "--profile", "default")
    assert proc.returncode == 1
    assert "links.to: table 'a' has no rows" in proc.stderr.decode() and "Traceback" not in proc.stderr.decode()
