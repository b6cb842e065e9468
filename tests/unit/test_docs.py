"""Everything users can name is documented: generators, count distributions, CLI commands."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT, run_cli
from specgen.engine.crypto import SCHEMES
from specgen.engine.distributions import COUNT_DISTS
from specgen.resources import json_schema

DOC = (ROOT / "docs" / "spec-language.md").read_text()


# Generator kinds against the JSON Schema and these docs: tests/unit/engine/test_generators.py.


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_encryption_scheme_is_in_the_schema_and_documented(scheme):
    encrypt = json_schema("entity")["$defs"]["generator"]["oneOf"][1]["properties"]["encrypt"]
    assert list(SCHEMES) == encrypt["properties"]["scheme"]["enum"]
    assert re.search(rf"^\| `{scheme}` \|", DOC, re.M), f"scheme '{scheme}' missing from docs/spec-language.md"


@pytest.mark.parametrize("name", COUNT_DISTS)
def test_every_count_distribution_is_documented(name):
    assert f"`{name}`" in DOC


def test_every_command_has_help_with_an_example():
    from specgen.cli import cli

    for name in cli.commands:
        out = run_cli(name, "--help", check=True).stdout.decode()
        assert "Example:" in out, name
        assert name in (ROOT / "README.md").read_text(), f"command '{name}' missing from README"
