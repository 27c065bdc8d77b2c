"""The partner tree (readmodel/partners.py build_tree): rows of the recursive query, nested."""

from __future__ import annotations

from typing import Any

import pytest

from readmodel.partners import build_tree, hierarchy_sql
from schemas.entities import PARTNERS, PRODUCTS


def _row(odoo_id: int, parent: int | None, depth: int, **extra: Any) -> dict[str, Any]:
    return {"odooId": odoo_id, "parentId": parent, "depth": depth, "name": f"p{odoo_id}", **extra}


def _shape(node: dict[str, Any]) -> Any:
    return (node["odooId"], [_shape(c) for c in node["children"]])


def test_rows_are_nested_under_their_parents_in_id_order() -> None:
    rows = [_row(1, None, 0), _row(9, 1, 1), _row(4, 1, 1), _row(12, 4, 2), _row(7, 9, 2),
            _row(5, 4, 2), _row(30, 12, 3)]  # fmt: skip
    root, count, truncated = build_tree(rows)
    assert _shape(root) == (1, [(4, [(5, []), (12, [(30, [])])]), (9, [(7, [])])])
    assert (count, truncated) == (7, False)
    assert root["name"] == "p1" and "depth" not in root
    assert root["parentResolved"] is True


def test_a_top_whose_parent_has_not_arrived_is_unresolved() -> None:
    root, count, _ = build_tree([_row(8, 3, 1), _row(3, 77, 0)])
    assert root["odooId"] == 3 and root["parentId"] == 77
    assert root["parentResolved"] is False
    assert root["children"][0]["parentResolved"] is True
    assert count == 2


def test_more_rows_than_the_cap_keep_the_top_levels() -> None:
    rows = [_row(1, None, 0), *(_row(i, 1, 1) for i in range(2, 6)), _row(9, 2, 2)]
    root, count, truncated = build_tree(rows, max_nodes=4)
    assert _shape(root) == (1, [(2, []), (3, []), (4, [])])
    assert (count, truncated) == (4, True)


def test_no_rows_is_no_tree() -> None:
    assert build_tree([]) is None


def test_the_query_follows_the_declared_parent_field() -> None:
    text = hierarchy_sql(PARTNERS).as_string(None)
    assert text.count("->>'parent_id')::bigint") == 4
    assert "x.model = 'res.partner'" in text
    with pytest.raises(ValueError, match="no parent field"):
        hierarchy_sql(PRODUCTS)
