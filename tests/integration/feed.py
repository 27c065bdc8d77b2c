"""What the integration tests do to Odoo and expect from the feed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg

FEED = "/api/v1/updated-products"


def eventually(check: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; its last error explains a timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except AssertionError as exc:
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


def item(api: httpx.Client, odoo_id: int) -> dict[str, Any] | None:
    response = api.get(f"{FEED}/{odoo_id}")
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json()


def pending_ids(api: httpx.Client) -> set[int]:
    ids: set[int] = set()
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1000}
        if cursor:
            params["cursor"] = cursor
        page = api.get(FEED, params=params).json()
        ids.update(entry["odooId"] for entry in page["data"])
        cursor = page["nextCursor"]
        if cursor is None:
            return ids


def mark_processed(api: httpx.Client, ids: list[int]) -> None:
    response = api.post(f"{FEED}/batch-delete", json={"ids": ids})
    response.raise_for_status()
    assert sorted(response.json()["processed"]) == sorted(ids)


def template_ids(odoo: psycopg.Connection) -> list[int]:
    return [r[0] for r in odoo.execute("SELECT id FROM product_template ORDER BY id")]


def wait_for_every_template(api: httpx.Client, odoo: psycopg.Connection) -> None:
    """Every template of Odoo's database is served by the feed: the first capture is in."""
    ids = set(template_ids(odoo))
    eventually(lambda: {i for i in ids if item(api, i)} == ids, 180, "the snapshot")


def wait_for_price(api: httpx.Client, odoo_id: int, price: float, timeout: float = 60) -> dict:
    def arrived() -> dict | None:
        current = item(api, odoo_id)
        if current and current["data"] and abs(current["data"]["list_price"] - price) < 1e-9:
            return current
        return None

    return eventually(arrived, timeout, f"list_price={price} on product {odoo_id}")


def set_price(odoo: psycopg.Connection, odoo_id: int, price: float) -> None:
    odoo.execute(
        "UPDATE product_template SET list_price = %s, write_date = now() WHERE id = %s",
        (price, odoo_id),
    )


def barrier(api: httpx.Client, odoo: psycopg.Connection, odoo_id: int) -> None:
    """Make a change on ``odoo_id`` and wait for it: everything committed before has been
    through the pipeline too (one partition, processed in order)."""
    price = (
        float(
            odoo.execute(
                "SELECT list_price FROM product_template WHERE id = %s", (odoo_id,)
            ).fetchone()[0]
        )
        + 1
    )
    set_price(odoo, odoo_id, price)
    wait_for_price(api, odoo_id, price)


def copy_template(odoo: psycopg.Connection, source_id: int) -> int:
    """Insert a new template (and one variant) shaped like ``source_id``: an Odoo create()."""
    columns = _columns(odoo, "product_template")
    new_id = odoo.execute(
        f"INSERT INTO product_template ({columns}) SELECT {columns} FROM product_template "
        "WHERE id = %s RETURNING id",
        (source_id,),
    ).fetchone()[0]
    variant_columns = _columns(
        odoo, "product_product", exclude={"id", "product_tmpl_id", "barcode"}
    )
    odoo.execute(
        f"INSERT INTO product_product (product_tmpl_id, {variant_columns}) "
        f"SELECT %s, {variant_columns} FROM product_product WHERE product_tmpl_id = %s LIMIT 1",
        (new_id, source_id),
    )
    return new_id


def products_in_view(readmodel: psycopg.Connection) -> set[int]:
    return {r[0] for r in readmodel.execute("SELECT odoo_id FROM product_feed")}


@contextmanager
def own_templates(
    api: httpx.Client,
    odoo: psycopg.Connection,
    readmodel: psycopg.Connection,
    count: int,
    settle: Callable[[], None],
) -> Iterator[list[int]]:
    """``count`` templates of a test module's own (copies of the first one), in the feed once
    ``settle`` returns: the module changes these only, so that other modules find the feed as
    the snapshot left it. Afterwards every one is pending again, as the snapshot left them
    (other modules wait for that): a change in Odoo makes those marked processed pending."""
    ids = template_ids(odoo)
    eventually(lambda: products_in_view(readmodel) >= set(ids), 180, "the snapshot")
    own = [copy_template(odoo, ids[0]) for _ in range(count)]
    eventually(lambda: products_in_view(readmodel) >= set(own), 120, "the module's templates")
    settle()
    yield own
    for odoo_id in sorted(set(own) - pending_ids(api)):
        barrier(api, odoo, odoo_id)


def _columns(odoo: psycopg.Connection, table: str, exclude: set[str] | None = None) -> str:
    exclude = exclude if exclude is not None else {"id"}
    rows = odoo.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return ", ".join(f'"{r[0]}"' for r in rows if r[0] not in exclude)
