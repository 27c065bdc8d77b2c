"""The product feed end to end: SQL on the Odoo database in, HTTP on the API out."""

from __future__ import annotations

import uuid

import httpx
import psycopg
import pytest
from confluent_kafka.admin import AdminClient

from schemas.odoo_tables import CAPTURED_TABLES, raw_topic
from streams.kafka.topics import ensure_topics
from tests.integration.feed import (
    FEED,
    barrier,
    copy_template,
    eventually,
    item,
    mark_processed,
    pending_ids,
    set_price,
    template_ids,
    wait_for_price,
)
from tests.integration.stacks import RunningStack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", autouse=True)
def snapshot_done(api: httpx.Client, odoo: psycopg.Connection) -> list[int]:
    """The initial snapshot delivers every template as a new, pending item."""
    ids = template_ids(odoo)
    eventually(lambda: pending_ids(api) >= set(ids), 180, "the snapshot in the feed")
    return ids


def test_snapshot_items_are_new_with_their_variants(api: httpx.Client, odoo: psycopg.Connection):
    first = template_ids(odoo)[0]
    current = item(api, first)
    variant_ids = {
        r[0]
        for r in odoo.execute("SELECT id FROM product_product WHERE product_tmpl_id = %s", (first,))
    }
    assert current["isNew"] is True
    assert current["deleted"] is False
    assert {v["id"] for v in current["data"]["variants"]} == variant_ids
    default_code = odoo.execute(
        "SELECT default_code FROM product_template WHERE id = %s", (first,)
    ).fetchone()[0]
    assert current["externalId"] == default_code


def test_price_update_shows_only_list_price(api: httpx.Client, odoo: psycopg.Connection):
    product = template_ids(odoo)[1]
    mark_processed(api, [product])
    assert product not in pending_ids(api)

    set_price(odoo, product, 4321.5)
    current = wait_for_price(api, product, 4321.5)
    assert current["changedFields"] == ["list_price"]
    assert current["pending"] is True
    assert current["isNew"] is False


def test_write_date_only_update_produces_nothing(api: httpx.Client, odoo: psycopg.Connection):
    quiet, sentinel = template_ids(odoo)[2:4]
    mark_processed(api, [quiet])
    odoo.execute(
        "UPDATE product_template SET write_date = now(), write_uid = write_uid WHERE id = %s",
        (quiet,),
    )
    barrier(api, odoo, sentinel)
    assert item(api, quiet)["pending"] is False
    assert quiet not in pending_ids(api)


def test_changed_fields_accumulate_until_processed(api: httpx.Client, odoo: psycopg.Connection):
    product = template_ids(odoo)[4]
    mark_processed(api, [product])
    odoo.execute("UPDATE product_template SET weight = 99.5 WHERE id = %s", (product,))
    set_price(odoo, product, 777.25)
    current = wait_for_price(api, product, 777.25)
    assert current["changedFields"] == ["list_price", "weight"]

    mark_processed(api, [product])
    odoo.execute(
        "UPDATE product_product SET barcode = '9999999999999' "
        "WHERE id = (SELECT min(id) FROM product_product WHERE product_tmpl_id = %s)",
        (product,),
    )
    variant = odoo.execute(
        "SELECT min(id) FROM product_product WHERE product_tmpl_id = %s", (product,)
    ).fetchone()[0]
    current = eventually(lambda: (i := item(api, product))["pending"] and i, 60, "variant change")
    assert current["changedFields"] == [f"variants.{variant}.barcode"]


def test_new_product_is_new_and_delete_is_deleted(api: httpx.Client, odoo: psycopg.Connection):
    new_id = copy_template(odoo, template_ids(odoo)[5])
    # The template row and its variant row travel separate paths (the variant through the
    # re-key topic), so the item may show up first without its variant: wait for both.
    created = eventually(
        lambda: (i := item(api, new_id)) and len(i["data"]["variants"]) == 1 and i,
        60,
        "the new product with its variant",
    )
    assert created["isNew"] is True

    mark_processed(api, [new_id])
    odoo.execute("DELETE FROM product_product WHERE product_tmpl_id = %s", (new_id,))
    odoo.execute("DELETE FROM product_template WHERE id = %s", (new_id,))
    deleted = eventually(lambda: (i := item(api, new_id))["deleted"] and i, 60, "the delete")
    assert deleted["pending"] is True
    assert deleted["data"] is None


def test_mark_processed_single_and_batch(api: httpx.Client, odoo: psycopg.Connection):
    a, b, c = template_ids(odoo)[6:9]
    for product in (a, b, c):
        set_price(odoo, product, 10.0 + product)
    for product in (a, b, c):
        wait_for_price(api, product, 10.0 + product)

    assert api.delete(f"{FEED}/{a}").status_code == 204
    result = api.post(f"{FEED}/batch-delete", json={"ids": [b, c, 10**9]}).json()
    assert result == {"processed": sorted([b, c]), "notFound": [10**9], "changed": []}
    assert not {a, b, c} & pending_ids(api)
    assert api.delete(f"{FEED}/{10**9}").status_code == 404


def test_stale_version_is_not_marked_processed(api: httpx.Client, odoo: psycopg.Connection):
    product = template_ids(odoo)[9]
    set_price(odoo, product, 55.5)
    seen = wait_for_price(api, product, 55.5)
    set_price(odoo, product, 66.5)
    wait_for_price(api, product, 66.5)

    response = api.delete(f"{FEED}/{product}", params={"version": seen["version"]})
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert item(api, product)["pending"] is True


def test_pagination_with_cursor_and_since(api: httpx.Client, odoo: psycopg.Connection):
    everything = pending_ids(api)
    pages, cursor, seen = 0, None, []
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        page = api.get(FEED, params=params).json()
        seen += [entry["odooId"] for entry in page["data"]]
        pages += 1
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert set(seen) == everything
    assert pages == -(-len(everything) // 7)

    product = template_ids(odoo)[10]
    set_price(odoo, product, 1.25)
    current = wait_for_price(api, product, 1.25)
    later = api.get(FEED, params={"since": current["updatedAt"]}).json()["data"]
    assert product in [entry["odooId"] for entry in later]
    assert all(entry["updatedAt"] >= current["updatedAt"] for entry in later)


def test_bad_requests_are_problems(api: httpx.Client):
    response = api.get(FEED, params={"limit": 0})
    assert response.status_code == 422
    body = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert body["status"] == 422
    assert body["errors"][0]["field"] == "query.limit"
    assert api.get(FEED, params={"cursor": "not-a-cursor"}).status_code == 422
    # Only digits name an item (so /batch-delete is never taken for one): anything else
    # names no resource.
    assert api.get(f"{FEED}/abc").status_code == 404
    assert api.get(f"{FEED}/0").status_code == 422


def test_raw_topics_exist_with_the_configured_partitions_before_debezium_writes(
    stack: RunningStack,
):
    """A processor may subscribe before Debezium's first record of a table: the topic must
    already be there with the configured partitions, not auto-created with the broker's
    default (Tansu: 4). A fresh prefix has no Debezium records at all."""
    probe = stack.settings.model_copy(
        update={"topic_prefix": f"probe{uuid.uuid4().hex[:8]}", "topic_partitions": 2}
    )
    created = set(ensure_topics(probe))
    admin = AdminClient({"bootstrap.servers": stack.kafka_bootstrap})
    topics = admin.list_topics(timeout=10).topics
    for settings in (probe, stack.settings):
        for table in CAPTURED_TABLES:
            name = raw_topic(settings.topic_prefix, table)
            assert len(topics[name].partitions) == settings.topic_partitions, name
    assert {raw_topic(probe.topic_prefix, t) for t in CAPTURED_TABLES} <= created
