"""Imports point one way: core at the bottom, deploy on top (README "Layout")."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What each layer may import of the others. A layer is a top-level package, or the one
# subpackage named here: ``streams.kafka``, the Kafka mechanics (clients, delivery, offsets,
# lag, dead letters) that the processors and the API share. Its faust_* modules belong to
# the processors (they need faust and the faust app), so they count as ``streams``.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "schemas": {"core"},
    "readmodel": {"core", "schemas"},
    "connectors": {"core"},
    "streams.kafka": {"core", "schemas"},
    "streams": {"core", "schemas", "readmodel", "streams.kafka"},
    "api": {"core", "schemas", "readmodel", "streams.kafka"},
    "deploy": {"core", "schemas", "readmodel", "streams", "streams.kafka", "api", "connectors"},
}
FAUST_ONLY = ("streams.kafka.faust_io", "streams.kafka.faust_recovery")


def layer_of(module: str) -> str:
    if module.startswith("streams.kafka") and module not in FAUST_ONLY:
        return "streams.kafka"
    return module.split(".")[0]


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {m for m in found if layer_of(m) in ALLOWED}


def test_imports_point_one_way() -> None:
    wrong = []
    for path in sorted(
        p for layer in ALLOWED for p in (ROOT / layer.replace(".", "/")).rglob("*.py")
    ):
        own = layer_of(".".join(path.relative_to(ROOT).with_suffix("").parts))
        allowed = ALLOWED[own]
        for module in sorted(imported_modules(path)):
            target = layer_of(module)
            if target == own or target in allowed:
                continue
            wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []
