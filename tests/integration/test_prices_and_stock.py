"""Effective prices and stock per supplier x product on the running stack: changes made with
SQL in the Odoo database, checked through the API against the pure computations run on the
same database (tests/integration/computed.py)."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest
from psycopg.types.json import Jsonb

from deploy.verify import differences
from tests.integration.computed import (
    expected_prices,
    expected_stock,
    mark_all_processed,
    moved,
    pages,
    pending_prices,
    pending_stock,
    served_prices,
    served_stock,
)
from tests.integration.feed import FEED, barrier, eventually
from tests.integration.stacks import RunningStack
from tests.integration.verification import run_verify, verified_clean


def variant_ids(odoo: psycopg.Connection) -> list[int]:
    return [r[0] for r in odoo.execute("SELECT id FROM product_product ORDER BY id")]


def prices_converged(api: httpx.Client, odoo: psycopg.Connection, timeout: float = 120) -> None:
    def same() -> bool:
        found = differences(expected_prices(odoo), served_prices(api))
        assert not found, found[:10]
        return True

    eventually(same, timeout, "the price feed to equal the engine's prices")


def stock_converged(api: httpx.Client, odoo: psycopg.Connection, timeout: float = 120) -> None:
    def same() -> bool:
        served = served_stock(api, variant_ids(odoo))
        found = differences(expected_stock(odoo), served)
        assert not found, found[:10]
        return True

    eventually(same, timeout, "the stock feed to equal the computed stock")


@pytest.fixture
def clean_feeds(api: httpx.Client, odoo: psycopg.Connection) -> None:
    """Everything before the test has been through; prices and stock marked processed (the
    product feed is left as it is: its own tests expect the snapshot pending)."""
    prices_converged(api, odoo)
    stock_converged(api, odoo)
    mark_all_processed(api)


def product_versions(api: httpx.Client) -> dict[int, str]:
    """Every pending product item's version: an item that changes gets a new one."""
    return {item["odooId"]: item["version"] for item in pages(api, FEED)}


def changed_products(before: dict[int, str], api: httpx.Client) -> set[int]:
    after = product_versions(api)
    return {i for i in set(before) | set(after) if before.get(i) != after.get(i)}


def change_prices(
    api: httpx.Client, odoo: psycopg.Connection, statement: str, params: tuple[Any, ...]
) -> set[str]:
    """Run ``statement`` in Odoo; wait until the pending price entries are exactly the ones
    the engine says moved (the set returned)."""
    before = expected_prices(odoo)
    odoo.execute(statement, params)
    expected = moved(before, expected_prices(odoo))

    def arrived() -> bool:
        pending = set(pending_prices(api))
        assert pending == expected, (sorted(pending - expected)[:5], sorted(expected - pending)[:5])
        return True

    eventually(arrived, 60, f"exactly the {len(expected)} moved price entries")
    return expected


def leaf_pricelists(odoo: psycopg.Connection) -> list[int]:
    """Pricelists no other pricelist is based on."""
    rows = odoo.execute(
        "SELECT id FROM product_pricelist WHERE id NOT IN (SELECT base_pricelist_id FROM "
        "product_pricelist_item WHERE base = 'pricelist' AND base_pricelist_id IS NOT NULL) "
        "ORDER BY id"
    )
    return [r[0] for r in rows]


def test_snapshot_prices_and_stock_equal_the_computation(
    api: httpx.Client, odoo: psycopg.Connection
) -> None:
    prices_converged(api, odoo, timeout=300)
    stock_converged(api, odoo)
    listed = {p["id"]: p for p in api.get("/api/v1/pricelists").json()["data"]}
    counted = odoo.execute("SELECT count(*) FROM product_pricelist").fetchone()[0]
    assert len(listed) == counted
    entries = expected_prices(odoo)
    for pricelist_id, pricelist in listed.items():
        mine = [e for e in entries.values() if e["pricelistId"] == pricelist_id]
        assert pricelist["entryCount"] == len(mine) > 0
        assert pricelist["currency"] == "EUR"
    kinds = {(e["isPromo"], e["minQuantity"] > 0) for e in entries.values()}
    assert kinds == {(False, False), (True, False), (False, True)} | (kinds & {(True, True)})


def test_the_verify_command_compares_the_computed_feeds_with_odoo(
    api: httpx.Client,
    odoo: psycopg.Connection,
    readmodel: psycopg.Connection,
    stack: RunningStack,
) -> None:
    prices_converged(api, odoo)
    views = ("--entity", "pricelists", "--entity", "prices", "--entity", "stock")
    done = run_verify(stack, *views, "--no-store")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for view in ("pricelists", "prices", "stock"):
        (summary,) = [line for line in lines if line.startswith(f"{view}: ")]
        assert summary.endswith(" 0 differences"), summary
    # A wrong stock quantity in the read model is found and named, with both values.
    key, item = readmodel.execute(
        "SELECT key, item FROM stock_feed WHERE NOT deleted ORDER BY key LIMIT 1"
    ).fetchone()
    readmodel.execute(
        "UPDATE stock_feed SET item = jsonb_set(item, '{quantity}', '-1') WHERE key = %s", (key,)
    )
    try:
        done = run_verify(stack, *views, "--no-store")
    finally:
        readmodel.execute("UPDATE stock_feed SET item = %s WHERE key = %s", (Jsonb(item), key))
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    named = lines[lines.index(f"  different {key}") + 1]
    # The computation may give an integral quantity as an int: 0 and 0.0 are one number.
    assert named.startswith("    quantity: expected ") and named.endswith(", served -1"), named
    assert float(named.split("expected ")[1].split(",")[0]) == item["quantity"], named


@pytest.mark.usefixtures("clean_feeds")
def test_one_fixed_price_rule_change_gives_one_price_entry_and_no_product_entry(
    api: httpx.Client, odoo: psycopg.Connection
) -> None:
    leaves = leaf_pricelists(odoo)
    products = product_versions(api)
    rule = odoo.execute(
        "SELECT i.id, i.product_id FROM product_pricelist_item i "
        "WHERE i.pricelist_id = ANY(%s) AND i.compute_price = 'fixed' "
        "AND i.applied_on = '0_product_variant' AND i.date_start IS NULL "
        "AND i.min_quantity = 0 ORDER BY i.id LIMIT 1",
        (leaves,),
    ).fetchone()
    assert rule is not None, "the demo data has a fixed variant rule on a leaf pricelist"
    moved_keys = change_prices(
        api,
        odoo,
        "UPDATE product_pricelist_item SET fixed_price = fixed_price + 1.5, "
        "write_date = now() WHERE id = %s",
        (rule[0],),
    )
    assert len(moved_keys) == 1
    entry = pending_prices(api)[moved_keys.pop()]
    assert entry["productId"] == rule[1] and not entry["isNew"]
    assert entry["price"] == pytest.approx(entry["previousPrice"] + 1.5)
    assert changed_products(products, api) == set()  # never because of a price


@pytest.mark.usefixtures("clean_feeds")
def test_a_category_percentage_rule_change_gives_exactly_the_moved_prices(
    api: httpx.Client, odoo: psycopg.Connection
) -> None:
    rule = odoo.execute(
        "SELECT id FROM product_pricelist_item WHERE applied_on = '2_product_category' "
        "AND compute_price = 'percentage' ORDER BY id LIMIT 1"
    ).fetchone()
    assert rule is not None
    moved_keys = change_prices(
        api,
        odoo,
        "UPDATE product_pricelist_item SET percent_price = percent_price + 3, "
        "write_date = now() WHERE id = %s",
        (rule[0],),
    )
    assert moved_keys  # the category has priced products


@pytest.mark.usefixtures("clean_feeds")
def test_chained_pricelists_follow_their_base(api: httpx.Client, odoo: psycopg.Connection):
    base = odoo.execute(
        "SELECT DISTINCT base_pricelist_id FROM product_pricelist_item "
        "WHERE base = 'pricelist' AND base_pricelist_id IS NOT NULL ORDER BY 1 LIMIT 1"
    ).fetchone()[0]
    moved_keys = change_prices(
        api,
        odoo,
        "UPDATE product_template SET list_price = list_price + 10, write_date = now() "
        "WHERE id = (SELECT min(product_tmpl_id) FROM product_product WHERE active)",
        (),
    )
    on_other_lists = {k for k in moved_keys if not k.startswith(f"{base}:")}
    assert on_other_lists, "a list price change reaches the pricelists based on another one"


@pytest.mark.usefixtures("clean_feeds")
def test_a_rule_edit_that_moves_no_price_and_write_date_touches_give_nothing(
    api: httpx.Client, odoo: psycopg.Connection
) -> None:
    products = product_versions(api)
    # A fixed rule's discount is not used by it; then Odoo's no-op writes everywhere.
    odoo.execute(
        "UPDATE product_pricelist_item SET price_discount = 12, write_date = now() "
        "WHERE id = (SELECT min(id) FROM product_pricelist_item WHERE compute_price = 'fixed')"
    )
    odoo.execute("UPDATE product_template SET write_date = now()")
    odoo.execute("UPDATE product_product SET write_date = now()")
    odoo.execute("UPDATE product_pricelist_item SET write_date = now()")
    odoo.execute("UPDATE stock_quant SET write_date = now()")
    odoo.execute("UPDATE product_supplierinfo SET write_date = now()")
    # Barriers, one per table, committed after the touches: once their effects are served,
    # the touches have been through too (one partition per table, in order).
    quant = odoo.execute(
        "SELECT q.id, q.product_id FROM stock_quant q JOIN stock_location l "
        "ON l.id = q.location_id WHERE l.usage = 'internal' AND q.owner_id IS NULL "
        "ORDER BY q.id LIMIT 1"
    ).fetchone()
    before_stock = expected_stock(odoo)
    odoo.execute("UPDATE stock_quant SET quantity = quantity + 2 WHERE id = %s", (quant[0],))
    stock_keys = moved(before_stock, expected_stock(odoo))
    assert stock_keys == {f"own:{quant[1]}"}

    def stock_barrier() -> bool:
        pending = set(pending_stock(api))
        assert pending == stock_keys, sorted(pending ^ stock_keys)[:10]
        return True

    eventually(stock_barrier, 60, "the stock barrier")
    record = pending_stock(api)[f"own:{quant[1]}"]
    assert record["quantityChanged"] is True
    assert record["quantity"] == pytest.approx(record["previousQuantity"] + 2)
    assert record["availableQuantity"] == pytest.approx(
        record["quantity"] - record["reservedQuantity"]
    )
    template = odoo.execute("SELECT min(id) FROM product_template WHERE active").fetchone()[0]
    before = expected_prices(odoo)
    barrier(api, odoo, template)  # one product entry: the barrier's own
    assert changed_products(products, api) == {template}
    rule = odoo.execute(
        "SELECT id FROM product_pricelist_item WHERE compute_price = 'fixed' "
        "AND pricelist_id = ANY(%s) ORDER BY id DESC LIMIT 1",
        (leaf_pricelists(odoo),),
    ).fetchone()[0]
    odoo.execute(
        "UPDATE product_pricelist_item SET fixed_price = fixed_price + 1 WHERE id = %s", (rule,)
    )
    # Only what the barrier's list price and this rule moved: nothing of the touches.
    expected = moved(before, expected_prices(odoo))

    def prices_barrier() -> bool:
        pending = set(pending_prices(api))
        assert pending == expected, sorted(pending ^ expected)[:10]
        return True

    eventually(prices_barrier, 60, "exactly the barriers' price entries")


def test_killed_processors_converge_to_the_same_prices(
    api: httpx.Client, odoo: psycopg.Connection, stack: RunningStack
) -> None:
    odoo.execute(
        "UPDATE product_pricelist_item SET percent_price = percent_price + 1, "
        "price_discount = price_discount + 1, write_date = now() "
        "WHERE applied_on IN ('2_product_category', '3_global')"
    )
    stack.kill("streams")
    odoo.execute("UPDATE product_template SET list_price = list_price * 1.02 WHERE id % 3 = 0")
    odoo.execute("UPDATE stock_quant SET quantity = quantity + 1 WHERE id % 4 = 0")
    stack.restart("streams")
    stack.kill("materializer")
    stack.restart("materializer")
    prices_converged(api, odoo, timeout=180)
    stock_converged(api, odoo)


def test_after_the_restarts_every_view_verifies_clean(stack: RunningStack) -> None:
    """After the kills and restarts above: every read-model view equals what Odoo's tables
    give (`atraxion verify`, README "Verify")."""
    verified_clean(stack)
