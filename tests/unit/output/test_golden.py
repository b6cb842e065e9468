"""Golden files: the shop example's tiny dump, per dialect - schema, post-data keys, load script,
verify.sql, manifest (every part's sha256 and statistics) and the first part - byte for byte.

A change that moves any byte of a dump shows up here and in the pull request's diff of
``tests/golden/``. When the change is meant, rewrite them with
``SPECGEN_UPDATE_GOLDEN=1 pytest tests/unit/output/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import GOLDEN, SHOP
from specgen import api

DIALECTS = {"sqlite": "load.sqlite.sql", "postgres": "load.psql", "mysql": "load.mysql.sql"}
UPDATE = os.environ.get("SPECGEN_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_the_tiny_dump_is_byte_for_byte_the_golden_one(dialect, tmp_path):
    out = tmp_path / dialect
    api.compile(SHOP, "tiny", dialect, out=out, workers=1)
    first_part = sorted((out / "data" / "customers").iterdir())[0]
    files = {name: out / name for name in ("schema.sql", "post_data.sql", DIALECTS[dialect], "verify.sql",
                                           "manifest.json")}
    files[f"customers.{first_part.name}"] = first_part
    where = GOLDEN / f"shop_tiny_{dialect}"
    for name, path in files.items():
        golden = where / name
        if UPDATE:
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_bytes(path.read_bytes())
            continue
        assert golden.is_file(), f"{golden}: missing; run with SPECGEN_UPDATE_GOLDEN=1"
        assert path.read_bytes() == golden.read_bytes(), (
            f"{dialect}/{name} differs from {golden.relative_to(Path.cwd()) if golden.is_relative_to(Path.cwd()) else golden}"
            " (SPECGEN_UPDATE_GOLDEN=1 rewrites it once the change is meant)")
