"""Data flows down the layers; nothing imports upward or sideways, not even lazily; no cycles.

Checked on the source: every ``import`` / ``from ... import`` in a module, at any depth
(function-level imports included), becomes an edge of the package's module graph. The graph
must respect the layers below, no face may import the package root, and the graph must have
no cycle (no strongly connected component of more than one module).

Layers, top to bottom (docs/architecture.md):

- the package root (``__init__``): the extension hooks and re-exports; nothing imports it.
- faces (cli, magics, parser, commands, widgets, server_extension, demo) and ``api``.
  ``api`` may import only ``widgets`` among the faces (``panel`` builds one).
- ``change``: the change workflow and settings.
- checks (certificates, probing, dns) and ``targets``: side by side, neither imports the other.
- bottom: errors, secrets, reports, store, pki, minting, _version.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "jupyter_mlssl"
ROOT = "jupyter_mlssl"

FACES = {"cli", "magics", "parser", "commands", "widgets", "server_extension", "demo",
         "__main__"}
API = {"api"}
CHANGE = {"change", "acme", "fleet"}  # acme, fleet: read targets, run checks, beside change
CHECKS = {"certificates", "probing", "dns"}
TARGETS = {"targets"}
BOTTOM = {"errors", "secrets", "reports", "store", "pki", "_version"}

#: what each layer must never import (top-level names under the package; "store.history"
#: names one module)
FORBIDDEN = {
    "faces": API - {"api"} | {"__init__"},
    "api": FACES - {"widgets"} | {"__init__"},
    "change": FACES | API | {"__init__"},
    "checks": FACES | API | CHANGE | TARGETS | {"store.history", "__init__"},
    "targets": FACES | API | CHANGE | CHECKS | {"__init__"},
    "bottom": FACES | API | CHANGE | CHECKS | TARGETS | {"__init__"},
}
LAYERS = {"faces": FACES, "api": API, "change": CHANGE, "checks": CHECKS, "targets": TARGETS,
          "bottom": BOTTOM}


def _layer(top: str) -> str | None:
    for name, members in LAYERS.items():
        if top in members:
            return name
    return None


def _module_name(package: Path, path: Path) -> str:
    parts = list(path.relative_to(package).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([ROOT, *parts])


def _resolve(name: str, modules: set[str]) -> str | None:
    """The package module an import of ``name`` loads: the longest known prefix."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _imports(path: Path, own: str, is_package: bool) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = own.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            # `from a import b` loads a.b when b is a module, else a (b is an attribute)
            names += [f"{base}.{alias.name}" for alias in node.names]
    return [n for n in names if n == ROOT or n.startswith(ROOT + ".")]


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package modules it imports (any depth, any branch)."""
    paths = {_module_name(package, p): p for p in package.rglob("*.py")
             if "labextension" not in p.parts}
    modules = set(paths)
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        targets = {_resolve(n, modules) for n in _imports(path, name, path.stem == "__init__")}
        graph[name] = {t for t in targets if t and t != name}
    return graph


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _forbidden_hit(target: str, forbidden: set[str]) -> bool:
    rel = target.split(".", 1)[1] if "." in target else "__init__"
    return any(rel == f or rel.startswith(f + ".") for f in forbidden)


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for module, imported in sorted(graph.items()):
        top = _top(module)
        if top == "__init__":
            continue  # the root may import anything: it is the entry point
        layer = _layer(top)
        if layer is None:
            out.append(f"{module}: no layer; give {top!r} one in tests/test_layers.py")
            continue
        for target in sorted(imported):
            if _top(target) != top and _forbidden_hit(target, FORBIDDEN[layer]):
                out.append(f"{module} ({layer}) imports {target}")
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


GRAPH = import_graph()

def new_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle: none is tolerated (the last one, certificates.chain <-> loading, ended
    when the PEM scanner moved to pki/)."""
    return cycles(graph)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_no_upward_or_sideways_import(module):
    problems = layer_violations({module: GRAPH[module]})
    assert not problems, problems


def test_every_module_has_a_layer():
    tops = {_top(m) for m in GRAPH} - {"__init__"}
    known = FACES | API | CHANGE | CHECKS | TARGETS | BOTTOM
    assert tops <= known, f"give these a layer in tests/test_layers.py: {sorted(tops - known)}"


def test_no_import_cycle():
    assert new_cycles(GRAPH) == []


def test_function_level_imports_are_seen():
    # targets/local/ca.py imports pki.minting inside functions (keeps the package light).
    assert "jupyter_mlssl.minting" in GRAPH["jupyter_mlssl.targets.local.ca"] or any(
        m.startswith("jupyter_mlssl.pki") for m in GRAPH["jupyter_mlssl.targets.local.ca"])
    # api.panel imports the widgets inside the function
    assert "jupyter_mlssl.widgets" in GRAPH["jupyter_mlssl.api"]


# -- the checker catches what it is for: plant each fault in a copy of the package ---------

@pytest.fixture
def package_copy(tmp_path):
    copy = tmp_path / ROOT
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("labextension", "__pycache__",
                                                                  "*.pyc"))
    assert layer_violations(import_graph(copy)) == [] and new_cycles(import_graph(copy)) == []
    return copy


def _plant(module: Path, line: str) -> None:
    module.write_text(module.read_text(encoding="utf-8") + f"\n\ndef _planted():\n    {line}\n",
                      encoding="utf-8")


def test_catches_an_upward_import(package_copy):
    _plant(package_copy / "store" / "files.py", "from jupyter_mlssl.change import workflow")
    assert layer_violations(import_graph(package_copy)) == [
        "jupyter_mlssl.store.files (bottom) imports jupyter_mlssl.change.workflow"]


def test_catches_a_sideways_import(package_copy):
    _plant(package_copy / "dns" / "check.py", "import jupyter_mlssl.targets.local.verbs")
    assert layer_violations(import_graph(package_copy)) == [
        "jupyter_mlssl.dns.check (checks) imports jupyter_mlssl.targets.local.verbs"]


def test_catches_a_face_importing_the_package_root(package_copy):
    _plant(package_copy / "widgets" / "base.py", "from jupyter_mlssl import connect")
    assert layer_violations(import_graph(package_copy)) == [
        "jupyter_mlssl.widgets.base (faces) imports jupyter_mlssl"]


def test_catches_a_cycle(package_copy):
    # two modules of one layer (so the layer rule does not see it) that import each other
    # store/history.py imports store/paths.py; plant the way back
    _plant(package_copy / "store" / "paths.py", "from jupyter_mlssl.store import history")
    assert new_cycles(import_graph(package_copy)) == [
        ["jupyter_mlssl.store.history", "jupyter_mlssl.store.paths"]]


def test_cycle_finder_on_a_synthetic_graph():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c"]]
