"""The pure comparison of `atraxion verify`: merging two key-ordered streams, counting, and
naming the differing fields with both values."""

from __future__ import annotations

import pytest

from deploy.verify_compare import (
    Difference,
    FieldDifference,
    Tally,
    compare,
    field_differences,
    merge_by_key,
    value_at,
)
from streams.changes.diff import DiffRules


def test_merge_pairs_every_key_of_either_side() -> None:
    expected = [(1, "a"), (3, "c"), (4, "d")]
    served = [(2, "B"), (3, "C"), (5, "E")]
    assert list(merge_by_key(expected, served)) == [
        (1, "a", None),
        (2, None, "B"),
        (3, "c", "C"),
        (4, "d", None),
        (5, None, "E"),
    ]


def test_merge_of_empty_sides() -> None:
    assert list(merge_by_key([], [])) == []
    assert list(merge_by_key([("k", 1)], [])) == [("k", 1, None)]
    assert list(merge_by_key([], [("k", 1)])) == [("k", None, 1)]


@pytest.mark.parametrize("side", ["expected", "served"])
def test_merge_refuses_rows_out_of_order(side: str) -> None:
    # A collation sorting keys another way than Python would otherwise report false
    # differences.
    unordered = [("b", 1), ("a", 2)]
    streams = {"expected": [], "served": []} | {side: unordered}
    with pytest.raises(ValueError, match=f"{side} rows out of ascending key order"):
        list(merge_by_key(streams["expected"], streams["served"]))


def test_merge_streams_without_reading_ahead() -> None:
    # A merge join: the expected side is consumed as the served side advances.
    read: list[int] = []

    def expected():
        for key in range(1, 4):
            read.append(key)
            yield key, key

    pairs = merge_by_key(expected(), iter([(1, 1), (2, 2), (3, 3)]))
    assert next(pairs) == (1, 1, 1)
    assert read == [1]
    assert next(pairs) == (2, 2, 2)
    assert read == [1, 2]


def exact(want: dict, have: dict) -> list[FieldDifference]:
    return field_differences(want, have, DiffRules(frozenset(), 0.0))


def test_compare_counts_missing_extra_and_different_rows() -> None:
    expected = [(1, {"p": 1}), (2, {"p": 2}), (4, {"p": 4})]
    served = [(2, {"p": 2}), (3, {"p": 3}), (4, {"p": 5})]
    calls: list[None] = []
    tally = compare(Tally("x"), merge_by_key(expected, served), exact, lambda: calls.append(None))
    assert (tally.expected, tally.served) == (3, 3)
    assert (tally.missing, tally.extra, tally.different, tally.differences) == (1, 1, 1, 3)
    assert len(calls) == 3  # once per expected row
    assert tally.sample == [
        Difference("1", "missing"),
        Difference("3", "extra"),
        Difference("4", "different", (FieldDifference("p", 4, 5),)),
    ]


def test_the_sample_keeps_the_first_differences_and_the_counts_all() -> None:
    tally = compare(Tally("x", sample_size=2), merge_by_key([(k, {}) for k in range(5)], []), exact)
    assert tally.missing == 5
    assert [d.key for d in tally.sample] == ["0", "1"]


def test_equal_views_have_no_difference() -> None:
    rows = [(k, {"v": k * 1.5, "lines": [{"id": k, "q": 1}]}) for k in range(100)]
    tally = compare(Tally("x"), merge_by_key(rows, list(rows)), exact)
    assert tally.differences == 0 and tally.sample == []
    assert tally.as_json()["differences"] == 0


def test_field_differences_follow_the_processors_diff() -> None:
    rules = DiffRules(frozenset({"write_date"}), 1e-6)
    want = {
        "list_price": 12.3,
        "write_date": 2,
        "variants": [{"id": 7, "barcode": "A"}, {"id": 8, "barcode": "B"}],
        "name": {"en_US": "Chair"},
    }
    have = {
        "list_price": 12.3 + 1e-9,  # within the tolerance
        "write_date": 1,  # excluded: an Odoo write() touch makes no event
        "variants": [{"id": 7, "barcode": "A"}, {"id": 8, "barcode": "X"}],
        "name": {"en_US": "Table"},
    }
    found = field_differences(want, have, rules, prefix="data.")
    assert found == [
        FieldDifference("data.name.en_US", "Chair", "Table"),
        FieldDifference("data.variants.8.barcode", "B", "X"),
    ]


def test_field_differences_name_a_row_that_appeared_or_went() -> None:
    want = {"lines": [{"id": 1}, {"id": 2}]}
    have = {"lines": [{"id": 1}]}
    assert exact(want, have) == [FieldDifference("lines.2", {"id": 2}, None)]


def test_reported_filters_paths() -> None:
    found = field_differences(
        {"a": 1, "b": 1}, {"a": 2, "b": 2}, DiffRules(), lambda path: path != "b"
    )
    assert [f.path for f in found] == ["a"]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("a", {"b": [{"id": 3, "c": 4}]}),
        ("a.b.3.c", 4),
        ("a.b.9", None),
        ("t.1", "y"),
        ("t.5", None),
        ("t.x", None),
        ("a.b.3.c.d", None),
        ("missing.deeper", None),
    ],
)
def test_value_at(path: str, value: object) -> None:
    assert value_at({"a": {"b": [{"id": 3, "c": 4}]}, "t": ["x", "y"]}, path) == value


def test_difference_lines_and_json() -> None:
    different = Difference("17", "different", (FieldDifference("data.list_price", 2.0, 1.0),))
    assert different.lines() == [
        "different 17",
        "  data.list_price: expected 2.0, served 1.0",
    ]
    assert Difference("18", "extra").lines() == ["extra 18"]
    assert different.as_json() == {
        "key": "17",
        "kind": "different",
        "fields": [{"path": "data.list_price", "expected": 2.0, "served": 1.0}],
    }


def test_long_values_are_cut_when_printed() -> None:
    row = {"id": 6, "name": "x" * 500}
    difference = Difference("2", "different", (FieldDifference("data.lines.6", row, None),))
    assert (
        difference.lines(width=40)[1] == f"  data.lines.6: expected {repr(row)[:39]}…, served None"
    )
