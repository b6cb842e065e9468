"""Validation: every shipped spec set is clean; every broken case fails with its exact message."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import CASES, ROOT, run_cli, write_spec_set

SPEC_SETS = [p.parent for p in [ROOT / "specs" / "profiles", *sorted((ROOT / "specs" / "examples").glob("*/profiles"))]
             if any(p.glob("*.yaml"))]
INVALID = sorted((CASES / "invalid").glob("*.yaml"))
LOCATED = re.compile(r"^\S+:\d+:\d+: ")


@pytest.mark.parametrize("spec_dir", SPEC_SETS, ids=lambda p: p.name)
def test_shipped_specs_are_valid(spec_dir: Path):
    proc = run_cli("validate", "--specs", str(spec_dir))
    assert proc.returncode == 0, proc.stderr.decode()


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.stem)
def test_invalid_spec_reports_location(case: Path, tmp_path: Path):
    data = yaml.safe_load(case.read_text())
    write_spec_set(tmp_path, data["files"])
    proc = run_cli("validate", "--specs", "specs", cwd=tmp_path)
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == data["expect"], f"\n--- got ---\n{err}"
    assert all(LOCATED.match(line) for line in lines)


def test_debug_flag_shows_traceback_only_for_internal_errors(tmp_path: Path):
    data = yaml.safe_load((CASES / "invalid" / "unknown_generator.yaml").read_text())
    write_spec_set(tmp_path, data["files"])
    proc = run_cli("--debug", "validate", "--specs", "specs", cwd=tmp_path)
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr.decode()  # --debug re-raises user errors for developers


def test_all_errors_are_collected(tmp_path: Path):
    files = {
        "a.yaml": "table: a\nrows: 3\ncolumns:\n  x: {type: integr, gen: sequence}\n  y: {type: text, gen: {pool: nope}}\n",
        "b.yaml": "table: b\nrows: $missing\ncolumns:\n  x: {type: integer, gen: {normall: {}}}\n",
    }
    write_spec_set(tmp_path, files)
    err = run_cli("validate", "--specs", "specs", cwd=tmp_path).stderr.decode()
    assert err.count("\n") == 4, err
    assert "specs/a.yaml:4:" in err and "specs/a.yaml:5:" in err and "specs/b.yaml:2:" in err and "specs/b.yaml:4:" in err


def test_unknown_profile(tmp_path: Path):
    write_spec_set(tmp_path, {"a.yaml": "table: a\nrows: 3\ncolumns:\n  x: {type: integer, gen: sequence}\n"})
    proc = run_cli("plan", "--specs", "specs", "--profile", "defualt", cwd=tmp_path)
    assert proc.returncode == 1
    assert "unknown profile 'defualt'" in proc.stderr.decode() and "Did you mean 'default'?" in proc.stderr.decode()


def test_child_of_a_broken_parent_reports_instead_of_crashing(tmp_path: Path):
    files = {
        "p.yaml": "table: p\nrows: 3\ncolumns:\n  id: {type: bigint, gen: sequence}\n  t: {type: date, gen: timestamp}\n",
        "c.yaml": ("table: c\nparent: {table: p, count: 1}\ncolumns:\n  p_id: {type: bigint, references: p.id, gen: {ref: parent.id}}\n"
                   "  n: {type: integer, gen: {ordinal: {}}}\nunique:\n  - [p_id, n]\n"),
    }
    write_spec_set(tmp_path, files)
    proc = run_cli("validate", "--specs", "specs", cwd=tmp_path)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "internal error" not in err, err
    assert "specs/p.yaml:5:" in err


def test_a_spec_known_valid_is_not_validated_again_until_it_changes(tmp_path: Path):
    cache = tmp_path / "cache"
    env = {"SPECGEN_CACHE_DIR": str(cache)}
    good = "table: a\nrows: 3\ncolumns:\n  x: {type: integer, gen: sequence}\n"
    write_spec_set(tmp_path, {"a.yaml": good})
    assert run_cli("validate", "--specs", "specs", cwd=tmp_path, env=env).returncode == 0
    remembered = set((cache / "valid").iterdir())
    assert len(remembered) == 2  # the entity and the profile
    # Valid again, without importing the validator; nothing new is remembered.
    probe = ("import sys; from specgen import api; assert not api.validate('specs'); "
             "assert 'jsonschema' not in sys.modules, 'validated again'")
    subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, check=True, env={**os.environ, **env})
    assert set((cache / "valid").iterdir()) == remembered
    # A change the schema rejects is caught: the cache knows content, not file names.
    (tmp_path / "specs" / "a.yaml").write_text(good.replace("rows: 3", "rows: 3\nrowz: 4"))
    proc = run_cli("validate", "--specs", "specs", cwd=tmp_path, env=env)
    assert proc.returncode == 1 and "rowz" in proc.stderr.decode()
    # No cache at all: still validates.
    (tmp_path / "specs" / "a.yaml").write_text(good)
    assert run_cli("validate", "--specs", "specs", cwd=tmp_path, env={"SPECGEN_CACHE_DIR": ""}).returncode == 0


def test_a_cache_that_cannot_be_written_is_done_without(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory would go")
    write_spec_set(tmp_path, {"a.yaml": "table: a\nrows: 3\ncolumns:\n  x: {type: integer, gen: sequence}\n"})
    proc = run_cli("compile", "--specs", "specs", "--profile", "default", "--dialect", "sqlite", "--out", "o",
                   cwd=tmp_path, env={"SPECGEN_CACHE_DIR": str(blocker / "cache")})
    assert proc.returncode == 0, proc.stderr.decode()
    # Jinja's cache: a write that fails (here: its directory is gone) is skipped, not raised.
    from specgen.sql import ddl

    class Bucket:
        key = "k"

        def write_bytecode(self, f):
            f.write(b"x")

    ddl._BytecodeCache(str(tmp_path / "gone"), "t-%s").dump_bytecode(Bucket())


def test_a_model_is_read_back_only_for_the_same_inputs(tmp_path: Path, monkeypatch):
    """Models are cached by the content of every file they are built from: an edited entity or
    pool builds anew; unchanged files give back the same model (same hash, same values)."""
    from specgen import api
    from specgen.spec import checker

    monkeypatch.setenv("SPECGEN_CACHE_DIR", str(tmp_path / "cache"))
    files = {"a.yaml": "table: a\nrows: 5\ncolumns:\n  x: {type: integer, gen: sequence}\n"
                       "  c: {type: varchar(10), gen: {pool: colors}}\n",
             "pools/colors.txt": "red\ngreen\nblue\n"}
    specs = write_spec_set(tmp_path, files)

    def values() -> tuple[str, list]:
        plan = api.plan(specs, "default")
        return plan.model.spec_hash, api.generate_table(plan, "a")["c"].to_list()

    first = values()
    entries = list((tmp_path / "cache" / "models").iterdir())
    assert len(entries) == 1
    calls = []
    monkeypatch.setattr(checker, "_build_model", lambda *a: calls.append(a) or pytest.fail("built again"))
    assert values() == first  # read back
    monkeypatch.undo()
    monkeypatch.setenv("SPECGEN_CACHE_DIR", str(tmp_path / "cache"))
    (specs / "pools" / "colors.txt").write_text("cyan\nmagenta\n")  # a pool the model holds
    hashed, colors = values()
    assert hashed != first[0] and set(colors) <= {"cyan", "magenta"}
    (specs / "a.yaml").write_text(files["a.yaml"].replace("rows: 5", "rows: 7"))
    assert len(values()[1]) == 7
    assert len(list((tmp_path / "cache" / "models").iterdir())) == 3
    # An entry that cannot be read is built again, not an error.
    for p in (tmp_path / "cache" / "models").iterdir():
        p.write_bytes(b"not a pickle")
    assert len(values()[1]) == 7
