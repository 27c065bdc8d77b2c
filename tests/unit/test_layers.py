"""Imports point one way: core at the bottom, deploy on top (README "Layout")."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What each top-level package may import of the others.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "schemas": {"core"},
    "readmodel": {"core", "schemas"},
    "connectors": {"core"},
    "streams": {"core", "schemas", "readmodel"},
    "api": {"core", "schemas", "readmodel"},
    "deploy": {"core", "schemas", "readmodel", "streams", "api", "connectors"},
}


def imported_packages(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(ALLOWED)


def test_imports_point_one_way() -> None:
    wrong = []
    for package, allowed in ALLOWED.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            for target in imported_packages(path) - allowed - {package}:
                wrong.append(f"{path.relative_to(ROOT)} imports {target}")
    assert wrong == []
