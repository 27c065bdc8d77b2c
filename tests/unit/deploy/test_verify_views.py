"""What `atraxion verify` expects of a document feed, from Odoo's rows: the documents as the
processor assembles them, the served item's fields, and which differences count."""

from __future__ import annotations

import re

from deploy.verify_compare import Difference, FieldDifference, Tally, field_differences
from deploy.verify_views import (
    VIEW_NAMES,
    compare_records,
    documents,
    expected_item,
    item_differences,
)
from schemas.entities import PARTNERS, PRODUCTS, SALE_ORDERS
from streams.changes.diff import DiffRules
from streams.changes.sale_orders import feed_filters


def test_every_view_is_verified() -> None:
    assert VIEW_NAMES == (
        "products",
        "partners",
        "sale_orders",
        "purchase_orders",
        "pricelists",
        "prices",
        "stock",
        "purchase_order_lines",
        "external_ids",
    )


def test_documents_attach_children_by_parent_in_one_pass() -> None:
    parents = [{"id": 1, "name": "a"}, {"id": 3, "name": "c"}, {"id": 4, "name": "d"}]
    variants = [  # by product_tmpl_id, then id; 2 is an orphan (no such template)
        {"id": 11, "product_tmpl_id": 1},
        {"id": 10, "product_tmpl_id": 1},
        {"id": 20, "product_tmpl_id": 2},
        {"id": 30, "product_tmpl_id": 3},
    ]
    built = dict(documents(parents, {"variants": variants}, PRODUCTS))
    assert built == {
        1: {"id": 1, "name": "a", "variants": [variants[1], variants[0]]},  # sorted by id
        3: {"id": 3, "name": "c", "variants": [variants[3]]},
        4: {"id": 4, "name": "d", "variants": []},
    }


def test_documents_without_child_rows_have_empty_lists() -> None:
    built = dict(documents([{"id": 5}], {}, PRODUCTS))
    assert built == {5: {"id": 5, "variants": []}}


def test_expected_item_of_a_sale_order_has_its_external_id_filter_and_xml_id() -> None:
    order = {"id": 7, "name": "S00007", "client_order_ref": "WEB-1", "lines": []}
    item = expected_item(SALE_ORDERS, order, feed_filters(r"^WEB-"), {7: "__import__.so_7"}, None)
    assert item == {
        "externalId": "S00007",
        "data": order,
        "direction": "outbound",
        "odooXmlId": "__import__.so_7",
    }
    assert expected_item(SALE_ORDERS, order, None, {}, None)["odooXmlId"] is None


def test_expected_item_of_a_partner_resolves_its_parent_from_odoo() -> None:
    refs = {1: "C-1", 2: None}
    child = {"id": 3, "ref": None, "parent_id": 1}
    assert expected_item(PARTNERS, child, None, {}, refs) | {"data": None} == {
        "externalId": None,
        "data": None,
        "odooXmlId": None,
        "parentExternalId": "C-1",
        "parentResolved": True,
    }
    orphan = expected_item(PARTNERS, {"id": 4, "parent_id": 99}, None, {}, refs)
    assert (orphan["parentExternalId"], orphan["parentResolved"]) == (None, False)
    top = expected_item(PARTNERS, {"id": 1, "ref": "C-1", "parent_id": None}, None, {}, refs)
    assert (top["externalId"], top["parentExternalId"], top["parentResolved"]) == (
        "C-1",
        None,
        True,
    )


def test_item_differences_ignore_bookkeeping_and_what_never_makes_an_event() -> None:
    differ = item_differences(SALE_ORDERS, DiffRules(frozenset({"write_date"}), 1e-6))
    want = {
        "externalId": "S1",
        "data": {"id": 1, "state": "sale", "date_order": 2, "write_date": 2,
                 "lines": [{"id": 5, "state": "sale", "price_unit": 3.0}]},
        "direction": "inbound",
        "odooXmlId": None,
    }  # fmt: skip
    have = {
        "odooId": 1, "externalId": "S1", "changedFields": ["state"], "isNew": True,
        "deleted": False, "pending": True, "updatedAt": "x", "version": "1.2.3",
        # date_order and lines.state are excluded for sale orders, write_date by the settings
        "data": {"id": 1, "state": "sale", "date_order": 1, "write_date": 1,
                 "lines": [{"id": 5, "state": "draft", "price_unit": 3.0}]},
        "direction": "inbound",
        "odooXmlId": None,
    }  # fmt: skip
    assert differ(want, have) == []
    have["data"]["lines"][0]["price_unit"] = 4.0
    have["direction"] = "outbound"
    assert [(f.path, f.expected, f.served) for f in differ(want, have)] == [
        ("direction", "inbound", "outbound"),
        ("data.lines.5.price_unit", 3.0, 4.0),
    ]


def test_a_column_odoo_no_longer_has_is_no_difference() -> None:
    # Odoo upgraded under a running pipeline: the served document keeps a column of the old
    # version until its next reported change, as the processor's diff allows.
    differ = item_differences(PRODUCTS, DiffRules())
    want = {"externalId": None, "data": {"id": 1, "is_storable": True, "variants": []}}
    have = {"externalId": None, "data": {"id": 1, "detailed_type": "product", "variants": []}}
    assert [f.path for f in differ(want, have)] == ["data.is_storable"]


def test_sale_order_filter_rule_is_the_sinks() -> None:
    assert feed_filters(re.escape("WEB-"))({"client_order_ref": "x"}) == {"direction": "inbound"}


class Shelves:
    """A computation of records keyed <shelf>:<item>, one subject per item: an item's keys
    are not adjacent in key order (like stock's supplier:variant)."""

    def __init__(self, stock: dict[int, dict[int, float]]) -> None:
        self.stock = stock  # item -> shelf -> quantity
        self.computed: list[int] = []

    def subject_of(self, key: str) -> int:
        return int(key.split(":")[1])

    def subjects(self) -> list[int]:
        return list(self.stock)

    def records(self, subject: int) -> dict[str, dict[str, float]]:
        self.computed.append(subject)
        return {f"{shelf}:{subject}": {"q": q} for shelf, q in self.stock.get(subject, {}).items()}


def exact(want: dict, have: dict) -> list[FieldDifference]:
    return field_differences(want, have, DiffRules(frozenset(), 0.0))


def test_compare_records_computes_each_served_key_and_finds_the_missing_ones() -> None:
    computation = Shelves({1: {1: 1.0, 2: 2.0}, 2: {1: 3.0}, 3: {2: 4.0}})
    served = [("1:1", {"q": 1.0}), ("1:2", {"q": 9.0}), ("2:1", {"q": 2.0}), ("2:9", {"q": 0})]
    tally = compare_records(Tally("stock"), computation, served, exact)
    assert (tally.expected, tally.served) == (4, 4)
    assert tally.sample == [
        Difference("1:2", "different", (FieldDifference("q", 3.0, 9.0),)),
        Difference("2:9", "extra"),
        Difference("2:3", "missing"),  # item 3: no served key led to it
    ]
    # Item 1 again after item 2 (keys not adjacent), item 9 (no such item), then item 3 once
    # in the second pass; item 2 not again.
    assert computation.computed == [1, 2, 1, 9, 3]


def test_compare_records_takes_a_key_no_computation_makes_as_extra() -> None:
    tally = compare_records(Tally("stock"), Shelves({}), [("garbage", {"q": 1})], exact)
    assert tally.sample == [Difference("garbage", "extra")]
    assert (tally.expected, tally.served) == (0, 1)


def test_compare_records_of_an_equal_view() -> None:
    stock = {item: {shelf: float(item * shelf) for shelf in range(3)} for item in range(50)}
    computation = Shelves(stock)
    served = sorted(
        (key, fields) for item in stock for key, fields in computation.records(item).items()
    )
    tally = compare_records(Tally("stock"), computation, served, exact)
    assert tally.differences == 0 and tally.expected == tally.served == 150
