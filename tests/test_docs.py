"""Everything users can name is documented: generators, count distributions, CLI commands."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT, run_cli
from specgen.distributions import COUNT_DISTS
from specgen.generators import NAMES

DOC = (ROOT / "docs" / "spec-language.md").read_text()


@pytest.mark.parametrize("name", NAMES)
def test_every_generator_is_documented(name):
    assert re.search(rf"^\| `{name}` \|", DOC, re.M), f"generator '{name}' missing from docs/spec-language.md"


@pytest.mark.parametrize("name", COUNT_DISTS)
def test_every_count_distribution_is_documented(name):
    assert f"`{name}`" in DOC


def test_every_command_has_help_with_an_example():
    from specgen.cli import cli

    for name in cli.commands:
        out = run_cli(name, "--help", check=True).stdout.decode()
        assert "Example:" in out, name
        assert name in (ROOT / "README.md").read_text(), f"command '{name}' missing from README"
