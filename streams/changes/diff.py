"""Field-level diff between two versions of a record.

Pure functions: no I/O, no Kafka. The rules:

* Paths are dot-separated Odoo field names (``list_price``, ``name.en_US``).
* Nested objects are compared key by key; a key that is missing counts as ``None``.
* Lists of objects that carry an ``id`` are matched by id (``variants.12.barcode``); an element
  that appears or disappears is reported as ``variants.12``. Other lists are compared element
  by element when their lengths match (``tags.0``), otherwise as a whole (``tags``).
* Numbers (not booleans) are equal when they differ by at most ``float_tolerance``, so that
  ``12.3`` stored as numeric and re-read as double is not a change.
* Values of one type that compare equal (``==``) are not changes: within lists and objects this
  takes ``1``, ``1.0`` and ``true`` as equal, as Python does.
* Keys named in ``excluded`` are ignored at every depth (``write_date`` changes on every Odoo
  ``write()``, even when nothing else did).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_EXCLUDED: frozenset[str] = frozenset(
    {"write_date", "write_uid", "create_date", "create_uid", "__last_update"}
)


@dataclass(frozen=True)
class DiffRules:
    excluded: frozenset[str] = field(default_factory=lambda: DEFAULT_EXCLUDED)
    float_tolerance: float = 1e-6

    @classmethod
    def of(cls, excluded: Iterable[str], float_tolerance: float) -> DiffRules:
        return cls(frozenset(excluded), float_tolerance)


def changed_fields(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, rules: DiffRules | None = None
) -> list[str]:
    """Sorted paths whose value differs between ``old`` and ``new``."""
    rules = rules or DiffRules()
    paths: list[str] = []
    _diff_mapping(old or {}, new or {}, "", rules, paths)
    return sorted(set(paths))


def _join(prefix: str, key: object) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def _diff_mapping(
    old: Mapping[str, Any], new: Mapping[str, Any], prefix: str, rules: DiffRules, out: list[str]
) -> None:
    excluded = rules.excluded
    for key in old.keys() | new.keys():
        if key in excluded:
            continue
        old_value, new_value = old.get(key), new.get(key)
        # Fast path, most fields of most events: equal values of one type (containers are
        # compared deep, in C). Inside a container this takes 1 == 1.0 == True as equal.
        if type(old_value) is type(new_value) and old_value == new_value:
            continue
        _diff_value(old_value, new_value, _join(prefix, key), rules, out)


def _diff_value(old: Any, new: Any, path: str, rules: DiffRules, out: list[str]) -> None:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        _diff_mapping(old, new, path, rules, out)
    elif isinstance(old, list) and isinstance(new, list):
        _diff_list(old, new, path, rules, out)
    elif not _scalar_equal(old, new, rules.float_tolerance):
        out.append(path)


def _diff_list(old: list[Any], new: list[Any], path: str, rules: DiffRules, out: list[str]) -> None:
    if _all_have_ids(old) and _all_have_ids(new) and (old or new):
        old_by_id = {item["id"]: item for item in old}
        new_by_id = {item["id"]: item for item in new}
        for item_id in old_by_id.keys() | new_by_id.keys():
            item_path = _join(path, item_id)
            if item_id not in old_by_id or item_id not in new_by_id:
                out.append(item_path)
            else:
                _diff_mapping(old_by_id[item_id], new_by_id[item_id], item_path, rules, out)
    elif len(old) == len(new):
        for index, (old_item, new_item) in enumerate(zip(old, new, strict=True)):
            _diff_value(old_item, new_item, _join(path, index), rules, out)
    else:
        out.append(path)


def _all_have_ids(items: list[Any]) -> bool:
    return all(isinstance(item, Mapping) and "id" in item for item in items)


def _scalar_equal(old: Any, new: Any, tolerance: float) -> bool:
    if _is_number(old) and _is_number(new):
        return abs(old - new) <= tolerance
    return type(old) is type(new) and old == new


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
