"""The comparison behind ``atraxion verify``: what a read-model view should hold against what
it holds, row by row.

Pure: no I/O. Both sides arrive as streams of ``(key, row)`` in ascending key order (server-
side cursors on both databases), so a view of millions of rows is compared without holding
either side in memory: ``merge_by_key`` walks them side by side like a merge join. Each key
is then one of

* ``missing``: expected (Odoo has the record) but not served (absent, or served as deleted);
* ``extra``: served but not expected (Odoo no longer has it, or never had it);
* ``different``: on both sides with fields that differ, each given with both values.

A ``Tally`` counts them per view and keeps the first ``sample_size`` differences.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from streams.changes.diff import DiffRules, changed_fields

K = TypeVar("K", int, str)
E = TypeVar("E")
S = TypeVar("S")
Kind = Literal["missing", "extra", "different"]


@dataclass(frozen=True, slots=True)
class FieldDifference:
    path: str  # dot-separated, as the feeds' changedFields (``data.variants.12.barcode``)
    expected: Any
    served: Any

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "expected": self.expected, "served": self.served}


@dataclass(frozen=True, slots=True)
class Difference:
    key: str
    kind: Kind
    fields: tuple[FieldDifference, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "fields": [f.as_json() for f in self.fields]}

    def lines(self, width: int = 200) -> list[str]:
        """How the command prints it: one line per key, then one per differing field, each
        value cut to ``width`` characters (a whole child row can be long)."""
        if self.kind != "different":
            return [f"{self.kind} {self.key}"]
        return [f"different {self.key}"] + [
            f"  {f.path}: expected {_cut(f.expected, width)}, served {_cut(f.served, width)}"
            for f in self.fields
        ]


def _cut(value: Any, width: int) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(slots=True)
class Tally:
    """One view's result."""

    entity: str
    sample_size: int = 20
    expected: int = 0
    served: int = 0
    missing: int = 0
    extra: int = 0
    different: int = 0
    skipped: str | None = None  # why the view was not compared (an app Odoo does not have)
    notes: list[str] = field(default_factory=list)
    sample: list[Difference] = field(default_factory=list)

    @property
    def differences(self) -> int:
        return self.missing + self.extra + self.different

    def add(self, difference: Difference) -> None:
        if difference.kind == "missing":
            self.missing += 1
        elif difference.kind == "extra":
            self.extra += 1
        else:
            self.different += 1
        if len(self.sample) < self.sample_size:
            self.sample.append(difference)

    def as_json(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "expected": self.expected,
            "served": self.served,
            "differences": self.differences,
            "missing": self.missing,
            "extra": self.extra,
            "different": self.different,
            "skipped": self.skipped,
            "notes": list(self.notes),
            "sample": [d.as_json() for d in self.sample],
        }


def merge_by_key(
    expected: Iterable[tuple[K, E]], served: Iterable[tuple[K, S]]
) -> Iterator[tuple[K, E | None, S | None]]:
    """Walk two streams ascending by key side by side: ``(key, expected row or None, served
    row or None)`` for every key of either. A stream out of order (a collation that sorts
    keys differently from Python) raises ValueError rather than report false differences."""
    left, right = _ascending(iter(expected), "expected"), _ascending(iter(served), "served")
    a, b = next(left, None), next(right, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] < b[0]):
            assert a is not None
            yield a[0], a[1], None
            a = next(left, None)
        elif a is None or b[0] < a[0]:
            yield b[0], None, b[1]
            b = next(right, None)
        else:
            yield a[0], a[1], b[1]
            a, b = next(left, None), next(right, None)


def _ascending(rows: Iterator[tuple[K, Any]], side: str) -> Iterator[tuple[K, Any]]:
    last: Any = None
    for row in rows:
        if last is not None and not row[0] > last:
            raise ValueError(f"{side} rows out of ascending key order: {row[0]!r} after {last!r}")
        last = row[0]
        yield row


def compare(
    tally: Tally,
    pairs: Iterable[tuple[K, E | None, S | None]],
    fields_of: Callable[[E, S], list[FieldDifference]],
    on_row: Callable[[], None] = lambda: None,
) -> Tally:
    """Count every pair into ``tally``; ``fields_of`` names the differing fields of a key on
    both sides; ``on_row`` is called once per expected row (progress)."""
    for key, want, have in pairs:
        if want is not None:
            tally.expected += 1
            on_row()
        if have is not None:
            tally.served += 1
        if have is None:
            tally.add(Difference(str(key), "missing"))
        elif want is None:
            tally.add(Difference(str(key), "extra"))
        else:
            found = fields_of(want, have)
            if found:
                tally.add(Difference(str(key), "different", tuple(found)))
    return tally


def field_differences(
    expected: Mapping[str, Any],
    served: Mapping[str, Any],
    rules: DiffRules,
    reported: Callable[[str], bool] = lambda _path: True,
    prefix: str = "",
) -> list[FieldDifference]:
    """The paths where ``served`` differs from ``expected`` by the processors' own diff
    (streams/changes/diff.py: rows of lists matched by id, numbers within the float
    tolerance, ``rules.excluded`` keys ignored at any depth), those ``reported`` says count,
    each with both values; paths are prefixed with ``prefix`` (``data.``)."""
    return [
        FieldDifference(prefix + path, value_at(expected, path), value_at(served, path))
        for path in changed_fields(expected, served, rules)
        if reported(path)
    ]


def value_at(value: Any, path: str) -> Any:
    """The value at a path of ``changed_fields`` (``variants.12.barcode``: the list element
    whose id is 12; ``tags.0``: the first element); None where there is none."""
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list):
            value = _element(value, part)
        else:
            return None
    return value


def _element(items: list[Any], part: str) -> Any:
    if items and all(isinstance(i, Mapping) and "id" in i for i in items):
        return next((i for i in items if str(i["id"]) == part), None)
    try:
        index = int(part)
    except ValueError:
        return None
    return items[index] if 0 <= index < len(items) else None
