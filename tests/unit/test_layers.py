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
# Narrower exceptions: one package may use these modules of another. The API produces the
# webshop orders it accepts, with the Kafka mechanics every producer shares.
ALSO_ALLOWED: dict[str, tuple[str, ...]] = {
    "api": ("streams.kafka.clients", "streams.kafka.delivery"),
}


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {m for m in found if m.split(".")[0] in ALLOWED}


def test_imports_point_one_way() -> None:
    wrong = []
    for package, allowed in ALLOWED.items():
        also = ALSO_ALLOWED.get(package, ())
        for path in sorted((ROOT / package).rglob("*.py")):
            for module in sorted(imported_modules(path)):
                target = module.split(".")[0]
                if target in allowed or target == package or module in also:
                    continue
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []
