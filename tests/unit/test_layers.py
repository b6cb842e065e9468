"""The pipeline's layers, kept: each package imports only the layers before it, and no module
imports itself back through others - imports inside functions included (they hide a cycle from
linters and from Python until the day the call order changes).

docs/architecture.md explains the layers; this test is what keeps them true.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "specgen"

# Lowest first. A module may import its own layer and the layers before it. errors and resources
# are the foundation every layer uses; progress is the CLI's display.
LAYERS = [
    {"specgen", "specgen.errors", "specgen.resources", "specgen.answers", "specgen.stopping"},
    {"specgen.engine"},
    {"specgen.spec"},
    {"specgen.sql"},
    {"specgen.output"},
    {"specgen.db"},
    {"specgen.evolve"},
    {"specgen.report"},
    {"specgen.api"},
    {"specgen.cli", "specgen.progress", "specgen.__main__"},
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    for depth in range(module.count(".") + 1, 0, -1):
        prefix = ".".join(module.split(".")[:depth])
        for i, names in enumerate(LAYERS):
            if prefix in names:
                return i
    raise AssertionError(f"{module} is in no layer: add it to LAYERS (and to docs/architecture.md)")


def imports(source: str, module: str, modules: set[str]) -> list[tuple[int, str]]:
    """(line, imported specgen module) for every import in ``source``, wherever it stands."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("specgen")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("specgen"):
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                found.append((node.lineno, sub if sub in modules else node.module))
    return [(line, name) for line, name in found if name != "specgen" and name != module]


def import_graph(root: Path = PACKAGE) -> dict[str, list[tuple[int, str]]]:
    files = {module_name(p): p for p in sorted(root.rglob("*.py"))}
    return {m: imports(p.read_text(), m, set(files)) for m, p in files.items()}


def layer_violations(graph) -> list[str]:
    out = []
    for module, deps in graph.items():
        for line, dep in deps:
            if layer_of(dep) > layer_of(module):
                out.append(f"{module}:{line} imports {dep}, a later layer")
    return out


def cycles(graph) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan)."""
    edges = {m: sorted({d for _, d in deps if d in graph and not m.startswith(d + ".")}) for m, deps in graph.items()}
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in edges:
        if v not in index:
            visit(v)
    return out


def test_every_import_goes_to_an_earlier_layer():
    assert layer_violations(import_graph()) == []


def test_no_module_imports_itself_back():
    assert cycles(import_graph()) == []


def test_the_cli_goes_through_the_api_only():
    allowed = {"specgen.api", "specgen.errors", "specgen.progress", "specgen"}
    graph = import_graph()
    wrong = [f"specgen.cli:{line} imports {dep}" for line, dep in graph["specgen.cli"] if dep not in allowed]
    assert wrong == []


def test_the_engine_does_no_io_and_imports_no_other_layer():
    graph = import_graph()
    engine = {m: deps for m, deps in graph.items() if m.startswith("specgen.engine")}
    assert engine, "no engine package"
    for module, deps in engine.items():
        for line, dep in deps:
            assert dep.startswith("specgen.engine") or dep == "specgen.errors", f"{module}:{line} imports {dep}"


@pytest.mark.parametrize("bad, expect", [
    ("from specgen.db import loader\n", "specgen.engine.counter:1 imports specgen.db.loader, a later layer"),
    ("def f():\n    from specgen import api\n", "specgen.engine.counter:2 imports specgen.api, a later layer"),
])
def test_a_forbidden_import_is_caught_even_inside_a_function(tmp_path, bad, expect):
    """The guard itself: a copy of the package with one forbidden import added fails."""
    import shutil

    copy = tmp_path / "specgen"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / "engine" / "counter.py"
    target.write_text(bad + target.read_text())
    graph = _graph_of(copy)
    assert expect in layer_violations(graph)


def test_a_cycle_is_caught(tmp_path):
    import shutil

    copy = tmp_path / "specgen"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / "engine" / "counter.py"
    target.write_text("def f():\n    from specgen.engine import rows\n" + target.read_text())
    assert any("specgen.engine.counter" in c and "specgen.engine.rows" in c for c in cycles(_graph_of(copy)))


def _graph_of(root: Path):
    files = {".".join(p.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__"): p
             for p in sorted(root.rglob("*.py"))}
    return {m: imports(p.read_text(), m, set(files)) for m, p in files.items()}
