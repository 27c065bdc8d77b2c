"""Under load: a burst far above what the processors sustain drains completely, and the
embedded broker's retention (a rewrite of its partitions) loses no unprocessed change."""

from __future__ import annotations

import httpx
import psycopg
import pytest

from schemas.odoo_tables import raw_topic
from schemas.topics import PRODUCTS_TOPIC
from tests.integration.feed import eventually, item, template_ids, wait_for_price
from tests.integration.offsets import caught_up, log_ends
from tests.integration.stacks import RunningStack

pytestmark = pytest.mark.integration

BURST = 10_000


def write_burst(odoo: psycopg.Connection, products: list[int], count: int, base: float) -> dict:
    """``count`` single-row UPDATE transactions (autocommit, pipelined: as fast as PostgreSQL
    takes them), round robin over ``products``; returns each product's last price."""
    last: dict[int, float] = {}
    with odoo.pipeline():
        for n in range(count):
            product = products[n % len(products)]
            last[product] = base + n / 100
            odoo.execute(
                "UPDATE product_template SET list_price = %s, write_date = now() WHERE id = %s",
                (last[product], product),
            )
    return last


def test_a_burst_drains_whole_and_every_commit_reaches_the_log_end(
    stack: RunningStack, api: httpx.Client, odoo: psycopg.Connection
):
    """Issue 6: under a burst the worker stopped consuming for good (its fetches came back
    empty once the raw topic held enough record batches, streams/kafka/tansu.py)."""
    products = template_ids(odoo)[42:60]
    last = write_burst(odoo, products, BURST, 7000)
    for product, price in last.items():
        wait_for_price(api, product, price, timeout=300)
    settings = stack.settings
    raw = raw_topic(settings.topic_prefix, "product_template")
    eventually(lambda: caught_up(stack, settings.streams_app_id, raw), 60, "streams commits")
    eventually(
        lambda: caught_up(stack, settings.materializer_group, PRODUCTS_TOPIC),
        60,
        "materializer commits",
    )


def test_a_broker_rewrite_keeps_every_unprocessed_change(
    stack: RunningStack, api: httpx.Client, odoo: psycopg.Connection
):
    if not hasattr(stack, "rewrite_broker"):
        pytest.skip("only the embedded broker needs its retention applied by the stack")
    settings = stack.settings
    raw = raw_topic(settings.topic_prefix, "product_template")
    products = template_ids(odoo)[42:60]
    # Processed changes, several per product: what the rewrite may drop or compact away.
    for product, price in write_burst(odoo, products, 200, 8000).items():
        wait_for_price(api, product, price)
    eventually(lambda: caught_up(stack, settings.streams_app_id, raw), 120, "a quiet pipeline")
    # Changes the processor has not read when the partitions are rewritten.
    stack.children["streams"].stop()  # type: ignore[attr-defined]
    start = log_ends(stack, [raw])[(raw, 0)]
    last = write_burst(odoo, products, 500, 9000)
    eventually(lambda: log_ends(stack, [raw])[(raw, 0)] >= start + 500, 60, "Debezium")
    before = log_ends(stack, [raw, PRODUCTS_TOPIC])

    rewritten = {
        (r.topic, r.partition): r
        for r in stack.rewrite_broker("test")  # type: ignore[attr-defined]
    }

    for product, price in last.items():
        wait_for_price(api, product, price, timeout=120)
    # The raw topic kept the unprocessed records and dropped processed ones; the products
    # topic kept one event per product at most (plus the unconsumed ones).
    assert rewritten[(raw, 0)].after < before[(raw, 0)]
    assert rewritten[(PRODUCTS_TOPIC, 0)].after < before[(PRODUCTS_TOPIC, 0)]
    # Nothing is replayed twice or skipped: both processors commit up to the new log ends,
    # and a change made after the rewrite arrives too.
    eventually(lambda: caught_up(stack, settings.streams_app_id, raw), 60, "streams commits")
    odoo.execute(
        "UPDATE product_template SET list_price = 9999.5, write_date = now() WHERE id = %s",
        (products[0],),
    )
    wait_for_price(api, products[0], 9999.5)
    eventually(
        lambda: caught_up(stack, settings.materializer_group, PRODUCTS_TOPIC),
        60,
        "materializer commits",
    )
    assert item(api, products[1])["data"]["list_price"] == last[products[1]]
