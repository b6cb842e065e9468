"""specgen diff: what a spec change does, proved on generated values without writing anything.

Spec-edit stability: adding a column changes no other column's values and only its table's part
files; changing a fan-out count changes only that table and the tables below it. BASE and HEAD as
directories and as git revisions of a repository made here."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import ROOT, SHOP, run_cli
from specgen import api
from specgen.errors import SpecgenError

NEW_COLUMN = "  popularity: {type: integer, nullable: true, gen: {uniform: {min: 0, max: 100}}}\n"


def _with_new_column(src, dst, table="tools", after="  enabled: {type: boolean, gen: {bernoulli: 0.95}}\n"):
    shutil.copytree(src, dst)
    p = dst / f"{table}.yaml"
    text = p.read_text()
    assert after in text
    p.write_text(text.replace(after, after + NEW_COLUMN, 1))
    return dst


def test_adding_a_column_changes_only_that_column(tmp_path):
    head = _with_new_column(ROOT / "specs", tmp_path / "specs")
    r = api.diff(str(ROOT / "specs"), str(head), profile="small")
    assert [(c["table"], c["column"], c["change"]) for c in r.changes] == [("tools", "popularity", "added")]
    moved = [(v["table"], v["column"], v["state"]) for v in r.values if v["state"] != "same"]
    assert moved == [("tools", "popularity", "new")]
    same = [v for v in r.values if v["state"] == "same"]
    assert len(same) > 400 and all(v["rows"] > 0 for v in same if v["table"] == "tools")
    assert r.parts["mode"] == "full" and list(r.parts["changed"]) == ["tools"]
    assert all(p["before"] == p["after"] for p in r.plan)
    for d in ("sqlite", "postgres", "mysql"):
        added = [line for line in r.ddl[d].splitlines() if line.startswith("+") and not line.startswith("+++")]
        assert len(added) == 1 and "popularity" in added[0], r.ddl[d]


def test_changing_a_count_changes_only_the_tables_below_it(tmp_path):
    head = tmp_path / "shop"
    shutil.copytree(SHOP, head)
    p = head / "orders.yaml"
    p.write_text(p.read_text().replace("mean: $orders_per_customer", "mean: 6"))
    r = api.diff(str(SHOP), str(head), profile="tiny")
    changed_rows = {x["table"] for x in r.plan if x["before"] != x["after"]}
    changed_values = {v["table"] for v in r.values if v["state"] != "same"}
    below = {"orders", "order_items", "reviews"}
    assert "orders" in changed_rows and changed_rows <= below
    assert changed_values <= below
    assert set(r.parts["changed"]) <= below
    assert [c["what"] for c in r.changes if c["table"] == "orders"] and not r.profile_changes


def _git(cwd, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q")
    shutil.copytree(ROOT / "specs", root / "specs", ignore=shutil.ignore_patterns("examples"))
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "gateway specs")
    _with_new_column(root / "specs", tmp_path / "edited")
    shutil.copyfile(tmp_path / "edited" / "tools.yaml", root / "specs" / "tools.yaml")
    _git(root, "commit", "-qam", "tools.popularity")
    return root


def test_revisions_one_added_column(repo):
    proc = run_cli("diff", "HEAD~1", "HEAD", "--specs", "specs", "--profile", "tiny", "--format", "json", cwd=repo,
                   check=True)
    doc = json.loads(proc.stdout)
    assert doc["base"]["revision"] and doc["head"]["revision"]
    assert doc["values"]["changed"] == []
    new = [f"{v['table']}.{v['column']}" for v in doc["values"]["columns"] if v["state"] != "same"]
    assert new == ["tools.popularity"]
    assert list(doc["parts"]["changed"]) == ["tools"]
    # HEAD defaults to the working tree, which is the last commit here.
    proc = run_cli("diff", "HEAD~1", "--specs", "specs", "--profile", "tiny", cwd=repo, check=True)
    assert "added: tools.popularity (integer)" in proc.stdout.decode()


def test_markdown_fits_a_pull_request_comment(repo):
    out = run_cli("diff", "HEAD~1", "--specs", "specs", "--profile", "tiny", "--format", "markdown", cwd=repo,
                  check=True).stdout.decode()
    top = out.split("<details>")[0]
    assert len(top.strip().splitlines()) <= 25
    assert out.count("<details>") == out.count("</details>") >= 4
    assert "`tools`" in top and "```diff" in out


def test_bad_input_is_a_clear_error(repo, tmp_path):
    for args, message in [
        (("diff", "no-such-rev", "--profile", "tiny", "--specs", "specs"), "neither a spec directory nor a git revision"),
        (("diff", str(tmp_path), "--profile", "tiny", "--specs", "specs"), "is not a spec directory"),
        (("diff", "HEAD", "--profile", "nope", "--specs", "specs"), "nope"),
    ]:
        proc = run_cli(*args, cwd=repo)
        err = proc.stderr.decode()
        assert proc.returncode == 1, err
        assert message in err and "Traceback" not in err, err
    with pytest.raises(SpecgenError, match="neither"):
        api.diff("no-such-rev", profile="tiny", spec_dir=repo / "specs")
