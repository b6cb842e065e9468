"""Where the shipped data lives: ``specs/``, ``templates/``, ``dialects/`` and the JSON Schemas.

In a checkout they sit at the repository root; in an installed wheel they are package data under
``specgen/_data/``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """``specs``, ``templates`` or ``dialects``, from the wheel or from the checkout."""
    installed = PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return PACKAGE.parent / name


def default_spec_dir() -> Path:
    """``./specs`` when run inside a project that has one, else the shipped gateway specs."""
    local = Path("specs")
    if (local / "profiles").is_dir():
        return local
    return data_dir("specs")


@cache
def json_schema(name: str) -> dict:
    """``entity`` or ``profile``: the JSON Schema shipped for editors and the validator."""
    return json.loads((PACKAGE / "schema" / f"{name}.schema.json").read_text())
