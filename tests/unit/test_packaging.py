"""The wheel carries specs, templates, dialects and JSON Schemas, so ``pip install .`` works away
from the checkout: build it, unpack it, and run specgen from the unpacked copy elsewhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(ROOT)], check=True, capture_output=True)
    (path,) = out.glob("specgen-*.whl")
    return path


def test_wheel_holds_the_data_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("specs", "templates", "dialects"):
        shipped = {str(p.relative_to(ROOT)) for p in (ROOT / folder).rglob("*") if p.is_file()}
        missing = {f for f in shipped if f"specgen/_data/{f}" not in names}
        assert shipped and not missing, f"{folder}: not in the wheel: {sorted(missing)[:5]}"
    assert "specgen/spec/schema/entity.schema.json" in names
    assert "specgen/spec/schema/profile.schema.json" in names


def test_unpacked_wheel_runs_away_from_the_checkout(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    run = subprocess.run([sys.executable, "-m", "specgen", "plan", "--profile", "tiny", "--format", "json"],
                         cwd=work, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["total_rows"] > 0 and len(doc["tables"]) == 36
    where = subprocess.run([sys.executable, "-c", "import specgen.resources as r; print(r.data_dir('dialects'))"],
                           cwd=work, env=env, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(site)
