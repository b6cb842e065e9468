"""The generator registry is the one list of kinds: the JSON Schema and the spec language's
documentation name exactly the kinds ``KINDS`` registers, and each kind answers for itself."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from specgen.engine import generators as gens

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = ROOT / "specgen" / "spec" / "schema" / "entity.schema.json"
DOC = ROOT / "docs" / "spec-language.md"


def _schema_generator() -> dict:
    return json.loads(SCHEMA.read_text())["$defs"]["generator"]


def test_schema_names_the_registered_kinds():
    form = next(f for f in _schema_generator()["oneOf"] if f.get("type") == "object")
    assert set(form["propertyNames"]["enum"]) == set(gens.KINDS)
    assert set(form["properties"]) == set(gens.KINDS)


def test_schema_bare_names_are_kinds():
    bare = next(f for f in _schema_generator()["oneOf"] if f.get("type") == "string")
    assert set(bare["enum"]) <= set(gens.KINDS)
    for name in bare["enum"]:  # a bare name builds with its defaults
        assert isinstance(gens.build(name), gens.KINDS[name])


def test_docs_table_lists_the_registered_kinds():
    text = DOC.read_text()
    table = text[text.index("### Generators"):]
    table = table[: table.index("\n\n", table.index("| generator |"))]
    documented = re.findall(r"^\| `([a-z0-9_]+)` \|", table, flags=re.M)
    assert sorted(documented) == sorted(gens.KINDS)
    assert len(documented) == len(set(documented))


def test_every_kind_builds_from_its_key():
    examples = {"hex": {"length": 8}, "const": 1, "pool": "words", "template": "x{_index}",
                "uniform": {"min": 0, "max": 1}, "normal": {"mean": 0, "std": 1}, "lognormal": {"median": 1, "sigma": 1},
                "exponential": {"mean": 1}, "powerlaw": {"min": 1, "alpha": 2}, "zipf": {"max": 9, "s": 1.1},
                "categorical": {"values": ["a"]}, "bernoulli": 0.5, "percent": 50, "timestamp": {},
                "json": {"object": {"a": {"const": 1}}}, "ref": "parent.id", "switch": {"on": "x", "cases": {}},
                "expr": "1 + 1", "aggregate": {"from": "t", "fn": "count"},
                "encrypt": {"value": {"const": "x"}, "scheme": "s", "secret": {"env": "E"}}}
    for name, cls in gens.KINDS.items():
        g = gens.build({name: examples.get(name)})
        assert isinstance(g, cls), name
        assert name in type(g).names or name == "json", name


def test_a_kind_is_registered_once():
    with pytest.raises(TypeError, match="registered twice"):
        class Again(gens.Generator):  # noqa: F841 - defining it is the test
            names = ("uniform",)
    assert gens.KINDS["uniform"] is gens.Uniform


def test_kinds_answer_for_verification():
    assert gens.build("uuid").pattern() == gens.UUID_RE
    assert gens.build({"uuid": {"dashes": False}}).pattern() == gens.HEX32_RE
    assert gens.build({"hex": {"length": 40}}).pattern() == "^[0-9a-f]{40}$"
    assert gens.build({"categorical": {"values": ["a", None, "b"]}}).listed_values(lambda name: None) == ["a", "b"]
    switch = gens.build({"switch": {"on": "x", "cases": {"A": {"const": "a"}}, "default": {"ref": "y"}}})
    assert switch.listed_values(lambda name: gens.Const("z") if name == "y" else None) == ["a", "z"]
    assert switch.listed_values(lambda name: None) is None
    assert gens.build({"token": {"length": 20, "prefix": "t_"}}).text_length() == 22
