"""Data flows down the layers; nothing imports upward, not even lazily.

Checked on the source: every ``import`` / ``from ... import`` in a module, at any depth
(function-level imports included), against the layers it may reach.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "jupyter_mlssl"

FACES = {"cli", "magics", "widgets", "commands", "server_extension", "demo", "parser",
         "settings_yaml"}
WORKFLOW = {"workflow", "settings", "local"}
CHECKS = {"certificates", "probing", "dns"}
TARGETS = {"targets"}
BOTTOM = {"errors", "secrets", "reports", "rendering", "files", "paths", "pki", "dnsserver",
          "history", "_version"}

#: what each layer must never import
FORBIDDEN = {
    "checks": FACES | WORKFLOW | TARGETS | {"history"},
    "targets": FACES | WORKFLOW | CHECKS,
    "workflow": FACES,
    "bottom": FACES | WORKFLOW | CHECKS | TARGETS,
}


def _layer(top: str) -> str | None:
    for name, members in (("checks", CHECKS), ("targets", TARGETS), ("workflow", WORKFLOW),
                          ("bottom", BOTTOM)):
        if top in members:
            return name
    return None


def _imported_tops(path: Path) -> set[str]:
    tops = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "jupyter_mlssl":
                names += [f"jupyter_mlssl.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "jupyter_mlssl" and len(parts) > 1:
                tops.add(parts[1])
    return tops


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "labextension" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_upward_import(path):
    top = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    layer = _layer(top)
    if layer is None:
        return  # faces and the API may import anything below them
    upward = sorted(t for t in _imported_tops(path) if t in FORBIDDEN[layer] and t != top)
    assert not upward, f"{path.relative_to(PACKAGE)} ({layer}) imports upward: {upward}"


def test_every_module_has_a_layer():
    known = FACES | WORKFLOW | CHECKS | TARGETS | BOTTOM | {"__init__", "__main__"}
    tops = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in MODULES}
    assert tops <= known, f"give these a layer in tests/test_layers.py: {sorted(tops - known)}"


def test_function_level_imports_are_seen():
    # targets/local/ca.py imports pki.minting inside functions (keeps the package light).
    assert "pki" in _imported_tops(PACKAGE / "targets" / "local" / "ca.py")
