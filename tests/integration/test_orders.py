"""Sale and purchase orders end to end: SQL on the Odoo database in, HTTP on the API out.

Each UPDATE here is what Odoo itself writes for the action named (columns the demo database
has): a confirmation, a receipt, a reference written by the webshop, a write() that changes
nothing.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import psycopg
import pytest

from deploy.verify import differences, expected, served
from schemas.entities import PURCHASE_ORDER_LINES
from tests.integration.computed import pages
from tests.integration.feed import eventually
from tests.integration.stacks import RunningStack
from tests.integration.verification import verified_clean

pytestmark = pytest.mark.integration

SALE = "/api/v1/updated-sale-orders"
PURCHASE = "/api/v1/purchase-orders"
WEBSHOP_REFERENCE = re.compile(r"^WEB-")  # ATRAXION_WEBSHOP_REFERENCE_PATTERN's default


# -- reading the feeds ----------------------------------------------------------------------


def sale_order(api: httpx.Client, order_id: int) -> dict[str, Any] | None:
    return _get(api, f"{SALE}/{order_id}")


def purchase_order(api: httpx.Client, order_id: int) -> dict[str, Any] | None:
    return _get(api, f"{PURCHASE}/{order_id}")


def _get(api: httpx.Client, path: str) -> dict[str, Any] | None:
    response = api.get(path)
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json()


def line_records(api: httpx.Client, order_id: int) -> dict[int, dict[str, Any]]:
    return {r["lineId"]: r for r in pages(api, f"{PURCHASE}/{order_id}/lines")}


def mark_processed(api: httpx.Client, batch_path: str, ids: list[int]) -> None:
    response = api.post(batch_path, json={"ids": ids})
    response.raise_for_status()
    assert sorted(response.json()["processed"]) == sorted(ids)


def mark_sale_orders(api: httpx.Client, ids: list[int]) -> None:
    mark_processed(api, f"{SALE}/batch-delete", ids)


def mark_purchase_orders(api: httpx.Client, ids: list[int]) -> None:
    mark_processed(api, f"{PURCHASE}/updated/batch-delete", ids)


def wait_for(read: Any, what: str, check: Any, timeout: float = 60) -> dict[str, Any]:
    """Poll ``read()`` until ``check(item)`` holds; returns the item."""
    return eventually(lambda: (item := read()) is not None and check(item) and item, timeout, what)


# -- Odoo -----------------------------------------------------------------------------------


def ids(odoo: psycopg.Connection, query: str, *params: Any) -> list[int]:
    return [r[0] for r in odoo.execute(query, params).fetchall()]


def copy_row(odoo: psycopg.Connection, table: str, source_id: int, **values: Any) -> int:
    """INSERT a copy of row ``source_id`` with ``values`` set: an Odoo create() of a record
    like it. Returns the new id."""
    columns = [
        r[0]
        for r in odoo.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND table_schema = current_schema() AND column_name <> 'id'",
            (table,),
        )
    ]
    copied = [c for c in columns if c not in values]
    listed = ", ".join(f'"{c}"' for c in [*copied, *values])
    selected = ", ".join([*(f'"{c}"' for c in copied), *(["%s"] * len(values))])
    row = odoo.execute(
        f"INSERT INTO {table} ({listed}) SELECT {selected} FROM {table} WHERE id = %s RETURNING id",
        (*values.values(), source_id),
    ).fetchone()
    assert row is not None
    return int(row[0])


def barrier(api: httpx.Client, odoo: psycopg.Connection, kind: str) -> None:
    """Change the order row and a line of a reserved order (a 'sent' one) and wait for both:
    whatever was written before to those tables has been through the pipeline (one partition
    per topic, each processed in order)."""
    table = f"{kind}_order"
    order_id = ids(odoo, f"SELECT max(id) FROM {table} WHERE state = 'sent'")[0]
    token = f"barrier-{uuid.uuid4().hex[:8]}"
    odoo.execute(f"UPDATE {table} SET origin = %s WHERE id = %s", (token, order_id))
    odoo.execute(
        f"UPDATE {table}_line SET name = %s "
        f"WHERE id = (SELECT min(id) FROM {table}_line WHERE order_id = %s)",
        (token, order_id),
    )
    read = sale_order if kind == "sale" else purchase_order
    wait_for(
        lambda: read(api, order_id),
        "the barrier",
        lambda i: i["data"]["origin"] == token and i["data"]["lines"][0]["name"] == token,
    )


# -- the tests ------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def snapshot_done(api: httpx.Client, odoo: psycopg.Connection) -> None:
    """The initial snapshot delivers every order with all its lines (order and line rows come
    through separate topics), and every purchase-order line as a record."""
    for path, kind in ((SALE, "sale"), (f"{PURCHASE}/updated", "purchase")):
        expected = dict(
            odoo.execute(
                f"SELECT o.id, count(l.id) FROM {kind}_order o "
                f"LEFT JOIN {kind}_order_line l ON l.order_id = o.id GROUP BY o.id"
            ).fetchall()
        )
        eventually(
            lambda path=path, expected=expected: (
                {o["odooId"]: len(o["data"]["lines"]) for o in pages(api, path)} == expected
            ),
            180,
            f"every {kind} order with its lines",
        )
    lines = ids(odoo, "SELECT id FROM purchase_order_line ORDER BY id")
    orders = ids(odoo, "SELECT DISTINCT order_id FROM purchase_order_line")
    eventually(
        lambda: sorted(i for o in orders for i in line_records(api, o)) == lines,
        180,
        "every purchase-order line record",
    )


def test_snapshot_orders_are_new_with_their_lines(api: httpx.Client, odoo: psycopg.Connection):
    for order_id, name, reference in odoo.execute(
        "SELECT id, name, client_order_ref FROM sale_order ORDER BY id"
    ).fetchall():
        item = sale_order(api, order_id)
        assert item is not None and item["isNew"] and not item["deleted"]
        assert item["externalId"] == name
        lines = ids(
            odoo, "SELECT id FROM sale_order_line WHERE order_id = %s ORDER BY id", order_id
        )
        assert [line["id"] for line in item["data"]["lines"]] == lines
        expected = "outbound" if reference and WEBSHOP_REFERENCE.search(reference) else "inbound"
        assert item["direction"] == expected, (order_id, reference)

    codes = dict(odoo.execute("SELECT id, default_code FROM product_product").fetchall())
    for order_id, name, state in odoo.execute(
        "SELECT id, name, state FROM purchase_order ORDER BY id"
    ).fetchall():
        item = purchase_order(api, order_id)
        assert item is not None and item["externalId"] == name
        rows = odoo.execute(
            "SELECT id, product_id, product_qty, qty_received FROM purchase_order_line "
            "WHERE order_id = %s ORDER BY id",
            (order_id,),
        ).fetchall()
        assert [line["id"] for line in item["data"]["lines"]] == [r[0] for r in rows]
        records = line_records(api, order_id)
        assert sorted(records) == [r[0] for r in rows]
        for line_id, product_id, qty, received in rows:
            record = records[line_id]
            assert (record["orderId"], record["orderName"]) == (order_id, name)
            assert (record["productId"], record["productExternalId"]) == (
                product_id,
                codes[product_id],
            )
            assert (record["quantity"], record["qtyReceived"]) == (float(qty), float(received))
            assert record["orderState"] in ("done", state)  # 19: purchase + locked reads done


def test_unknown_orders_are_404(api: httpx.Client):
    for path in (f"{SALE}/999999999", f"{PURCHASE}/999999999", f"{PURCHASE}/999999999/lines"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/problem+json")


def test_a_sale_order_confirmation_shows_state_only(api: httpx.Client, odoo: psycopg.Connection):
    order_id = ids(
        odoo, "SELECT id FROM sale_order WHERE state = 'draft' AND client_order_ref IS NULL"
    )[0]
    mark_sale_orders(api, [order_id])
    # sale.order.action_confirm(): state and a new date_order; the lines' copy of the state;
    # the invoice and delivery statuses it recomputes (procurement, pickings: other tables).
    with odoo.transaction():
        odoo.execute(
            "UPDATE sale_order SET state = 'sale', date_order = now() AT TIME ZONE 'UTC', "
            "invoice_status = 'to invoice', delivery_status = 'pending', "
            "write_date = now() AT TIME ZONE 'UTC', write_uid = 2 WHERE id = %s",
            (order_id,),
        )
        odoo.execute(
            "UPDATE sale_order_line SET state = 'sale', invoice_status = 'to invoice', "
            "qty_to_invoice = product_uom_qty, write_date = now() AT TIME ZONE 'UTC', "
            "write_uid = 2 WHERE order_id = %s",
            (order_id,),
        )
    confirmed = wait_for(
        lambda: sale_order(api, order_id), "the confirmation", lambda i: i["pending"]
    )
    assert confirmed["data"]["state"] == "sale"
    assert confirmed["changedFields"] == ["state"]
    # The lines' events (only excluded columns moved) add nothing, however late they come.
    barrier(api, odoo, "sale")
    assert sale_order(api, order_id)["changedFields"] == ["state"]


def _write_reference(odoo: psycopg.Connection, order_id: int, reference: str | None) -> None:
    odoo.execute(
        "UPDATE sale_order SET client_order_ref = %s, write_date = now() AT TIME ZONE 'UTC' "
        "WHERE id = %s",
        (reference, order_id),
    )


def test_a_webshop_reference_makes_an_order_outbound(api: httpx.Client, odoo: psycopg.Connection):
    order_id = ids(
        odoo,
        "SELECT id FROM sale_order WHERE client_order_ref IS NULL AND state = 'sale' ORDER BY id",
    )[0]
    assert sale_order(api, order_id)["direction"] == "inbound"
    mark_sale_orders(api, [order_id])
    _write_reference(odoo, order_id, "WEB-777001")
    item = wait_for(
        lambda: sale_order(api, order_id), "the reference", lambda i: i["direction"] == "outbound"
    )
    assert item["changedFields"] == ["client_order_ref"]

    outbound = list(pages(api, SALE, direction="outbound"))
    inbound = list(pages(api, SALE, direction="inbound"))
    assert order_id in {o["odooId"] for o in outbound}
    assert order_id not in {o["odooId"] for o in inbound}
    assert {o["direction"] for o in outbound} == {"outbound"}
    assert {o["direction"] for o in inbound} == {"inbound"}
    everything = {o["odooId"] for o in pages(api, SALE)}
    assert everything == {o["odooId"] for o in outbound} | {o["odooId"] for o in inbound}
    bad = api.get(SALE, params={"direction": "sideways"})
    assert bad.status_code == 422


def test_a_receipt_gives_one_purchase_order_entry_and_one_line_record(
    api: httpx.Client, odoo: psycopg.Connection
):
    order_id, line_id, received, qty = odoo.execute(
        "SELECT l.order_id, l.id, l.qty_received, l.product_qty FROM purchase_order_line l "
        "JOIN purchase_order o ON o.id = l.order_id "
        "WHERE o.state = 'purchase' AND l.qty_received < l.product_qty "
        "AND (SELECT count(*) FROM purchase_order_line s WHERE s.order_id = o.id) > 1 "
        "ORDER BY l.id LIMIT 1"
    ).fetchone()
    mark_purchase_orders(api, [order_id])
    before = line_records(api, order_id)
    now = float(min(received + 4, qty))
    # Validating the receipt's picking: the line's quantity received and what is left to
    # invoice; the order's receipt status and first receipt date (stock moves: other tables).
    with odoo.transaction():
        odoo.execute(
            "UPDATE purchase_order_line SET qty_received = %s, qty_to_invoice = %s, "
            "write_date = now() AT TIME ZONE 'UTC' WHERE id = %s",
            (now, now, line_id),
        )
        odoo.execute(
            "UPDATE purchase_order SET receipt_status = 'partial', invoice_status = "
            "'to invoice', effective_date = coalesce(effective_date, now() AT TIME ZONE 'UTC'), "
            "write_date = now() AT TIME ZONE 'UTC' WHERE id = %s",
            (order_id,),
        )
    item = wait_for(lambda: purchase_order(api, order_id), "the receipt", lambda i: i["pending"])
    assert item["changedFields"] == [f"lines.{line_id}.qty_received"]
    line = next(x for x in item["data"]["lines"] if x["id"] == line_id)
    assert line["qty_received"] == now

    after = wait_for(
        lambda: line_records(api, order_id),
        "the line record",
        lambda records: records[line_id]["qtyReceived"] == now,
    )
    moved = {i for i in after if after[i]["version"] != before[i]["version"]}
    assert moved == {line_id}


def test_a_product_code_reaches_its_purchase_order_lines(
    api: httpx.Client, odoo: psycopg.Connection
):
    order_id, line_id, product_id, code = odoo.execute(
        "SELECT l.order_id, l.id, l.product_id, p.default_code FROM purchase_order_line l "
        "JOIN product_product p ON p.id = l.product_id ORDER BY l.id DESC LIMIT 1"
    ).fetchone()
    try:
        odoo.execute(
            "UPDATE product_product SET default_code = %s WHERE id = %s", (f"{code}-X", product_id)
        )
        wait_for(
            lambda: line_records(api, order_id),
            "the new code",
            lambda r: r[line_id]["productExternalId"] == f"{code}-X",
        )
    finally:
        odoo.execute(
            "UPDATE product_product SET default_code = %s WHERE id = %s", (code, product_id)
        )
    wait_for(
        lambda: line_records(api, order_id),
        "the code back",
        lambda r: r[line_id]["productExternalId"] == code,
    )


@pytest.mark.parametrize("kind", ["sale", "purchase"])
def test_create_update_no_op_and_delete(kind: str, api: httpx.Client, odoo: psycopg.Connection):
    order_table, line_table = f"{kind}_order", f"{kind}_order_line"
    read = sale_order if kind == "sale" else purchase_order
    mark = mark_sale_orders if kind == "sale" else mark_purchase_orders
    qty = "product_uom_qty" if kind == "sale" else "product_qty"
    source = ids(
        odoo,
        f"SELECT order_id FROM {line_table} GROUP BY order_id HAVING count(*) > 1 "
        "ORDER BY order_id LIMIT 1",
    )[0]
    source_lines = ids(
        odoo,
        f"SELECT id FROM {line_table} WHERE order_id = %s ORDER BY id",
        source,
    )[:2]

    # create(): the order, then its lines (Odoo inserts them in one transaction).
    with odoo.transaction():
        name = f"{kind[0].upper()}T{source:05d}"
        values = {"client_order_ref": "WEB-424242"} if kind == "sale" else {}
        order_id = copy_row(odoo, order_table, source, name=name, **values)
        lines = [copy_row(odoo, line_table, line, order_id=order_id) for line in source_lines]
    created = wait_for(
        lambda: read(api, order_id),
        "the new order with its lines",
        lambda i: [x["id"] for x in i["data"]["lines"]] == lines,
    )
    assert created["isNew"] and created["pending"] and created["externalId"] == name
    assert "lines" in created["changedFields"] and "name" in created["changedFields"]
    if kind == "sale":
        assert created["direction"] == "outbound"
    else:
        records = wait_for(
            lambda: line_records(api, order_id), "its line records", lambda r: sorted(r) == lines
        )
        assert all(r["isNew"] and r["orderName"] == name for r in records.values())

    # write(): one line's quantity.
    mark(api, [order_id])
    odoo.execute(
        f"UPDATE {line_table} SET {qty} = {qty} + 1, write_date = now() AT TIME ZONE 'UTC' "
        "WHERE id = %s",
        (lines[1],),
    )
    updated = wait_for(lambda: read(api, order_id), "the update", lambda i: i["pending"])
    assert updated["changedFields"] == [f"lines.{lines[1]}.{qty}"]
    assert updated["isNew"] is False

    # write() that changes nothing: write_date on the order and its lines.
    mark(api, [order_id])
    with odoo.transaction():
        odoo.execute(
            f"UPDATE {order_table} SET write_date = now() AT TIME ZONE 'UTC', write_uid = 2 "
            "WHERE id = %s",
            (order_id,),
        )
        odoo.execute(
            f"UPDATE {line_table} SET write_date = now() AT TIME ZONE 'UTC' WHERE order_id = %s",
            (order_id,),
        )
    barrier(api, odoo, kind)
    assert read(api, order_id)["pending"] is False

    # unlink(): the lines, then the order.
    mark(api, [order_id])
    with odoo.transaction():
        odoo.execute(f"DELETE FROM {line_table} WHERE order_id = %s", (order_id,))
        odoo.execute(f"DELETE FROM {order_table} WHERE id = %s", (order_id,))
    deleted = wait_for(lambda: read(api, order_id), "the delete", lambda i: i["deleted"])
    assert deleted["pending"] and deleted["data"] is None and deleted["externalId"] == name
    if kind == "sale":
        assert deleted["direction"] == "outbound"  # kept: the webshop still finds its order
    else:
        eventually(lambda: line_records(api, order_id) == {}, 60, "its line records deleted")


@pytest.mark.parametrize("process", ["streams", "materializer"])
def test_killed_process_loses_no_order_change(
    process: str, stack: RunningStack, api: httpx.Client, odoo: psycopg.Connection
):
    sales = ids(odoo, "SELECT id FROM sale_order WHERE state = 'cancel' ORDER BY id LIMIT 4")
    lines = ids(odoo, "SELECT id FROM purchase_order_line ORDER BY id LIMIT 6")
    base = 10 if process == "streams" else 20

    def change(step: int) -> None:
        for order_id in sales:
            _write_reference(odoo, order_id, f"K-{base + step}-{order_id}")
        odoo.execute(
            "UPDATE purchase_order_line SET price_unit = %s WHERE id = ANY(%s)",
            (base + step, lines),
        )

    change(1)
    stack.kill(process)  # SIGKILL: no flush, no offset commit
    change(2)
    stack.restart(process)
    change(3)

    expected = {o: f"K-{base + 3}-{o}" for o in sales}
    eventually(
        lambda: {o: sale_order(api, o)["data"]["client_order_ref"] for o in sales} == expected,
        120,
        "the sale orders after the restart",
    )
    orders = set(ids(odoo, "SELECT order_id FROM purchase_order_line WHERE id = ANY(%s)", lines))

    def prices() -> set[float]:
        return {
            r["priceUnit"]
            for o in orders
            for r in line_records(api, o).values()
            if r["lineId"] in lines
        }

    eventually(lambda: prices() == {float(base + 3)}, 120, "the line records after the restart")

    def documents() -> set[float]:
        return {
            line["price_unit"]
            for o in orders
            for line in purchase_order(api, o)["data"]["lines"]
            if line["id"] in lines
        }

    eventually(lambda: documents() == {float(base + 3)}, 120, "the purchase orders")


def test_served_line_records_equal_what_odoo_rows_give(
    api: httpx.Client, odoo: psycopg.Connection, readmodel: psycopg.Connection
):
    """After every change and restart above: the read model holds exactly the line records
    the computation gives from Odoo's rows now (deploy/verify.py, as `atraxion verify`)."""

    def same() -> bool:
        wrong = differences(
            expected(odoo, PURCHASE_ORDER_LINES), served(readmodel, PURCHASE_ORDER_LINES)
        )
        assert not wrong, wrong[:5]
        return True

    eventually(same, 60, "served purchase-order lines equal to Odoo's")


def test_after_the_scenarios_every_view_verifies_clean(stack: RunningStack) -> None:
    """After the order changes and restarts above: every read-model view equals what Odoo's
    tables give (`atraxion verify`, README "Verify")."""
    verified_clean(stack)
