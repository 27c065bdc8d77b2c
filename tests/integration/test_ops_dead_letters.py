"""Dead letters through /api/v1/ops/dead-letters on the running stack: a poison record a
processor reads is listed with its reason, shown with its original value and headers, found
by reason; re-driven it is poison still and lands again with a re-drive count; records that
failed for a reason since mended (the read model refused it; the order sink had a wrong Odoo
key) are re-driven successfully, an order through the order path (once in Odoo); a purge hides
letters from the list, the counts and the metrics; only the admin scope gets in."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

import httpx
import psycopg
import pytest
from confluent_kafka import Producer

from api.dead_letters import DeadLetterCollector
from schemas.odoo_tables import raw_topic
from schemas.topics import PRODUCTS_TOPIC
from streams.kafka.dead_letter_records import LetterId
from tests.integration.feed import (
    eventually,
    item,
    set_price,
    template_ids,
    wait_for_every_template,
    wait_for_price,
)
from tests.integration.stacks import RunningStack
from tests.integration.test_webshop_orders import (
    odoo_orders,
    order_body,
    reconfigured,
    references,
    restart,
    submit,
    wait_done,
)

pytestmark = pytest.mark.integration

PATH = "/api/v1/ops/dead-letters"


@pytest.fixture(scope="module", autouse=True)
def snapshot_done(api: httpx.Client, odoo: psycopg.Connection) -> None:
    wait_for_every_template(api, odoo)


def letters(admin_api: httpx.Client, **params: Any) -> dict[str, Any]:
    response = admin_api.get(PATH, params={"limit": 1000, **params}, timeout=60)
    assert response.status_code == 200, response.text
    return dict(response.json())


def letters_of(admin_api: httpx.Client, key: str, **params: Any) -> list[dict[str, Any]]:
    return [i for i in letters(admin_api, **params)["items"] if i["key"] == key]


def wait_letters(
    admin_api: httpx.Client, key: str, wanted: set[tuple[str, int]], **params: Any
) -> list[dict[str, Any]]:
    """The letters of ``key`` once one of each (processor, redriveCount) is listed."""

    def listed() -> list[dict[str, Any]] | None:
        found = letters_of(admin_api, key, **params)
        seen = {(i["processor"], i["redriveCount"]) for i in found}
        return found if wanted <= seen else None

    return eventually(listed, 90, f"dead letters {wanted} of key {key}")


def test_a_poison_record_is_listed_shown_filtered_and_stays_poison_when_redriven(
    stack: RunningStack, admin_api: httpx.Client
) -> None:
    key = f'{{"id": {4 * 10**8 + uuid.uuid4().int % 10**6}}}'
    poison = b"\x00not json " + uuid.uuid4().hex.encode()
    source = raw_topic(stack.settings.topic_prefix, "product_template")
    producer = Producer({"bootstrap.servers": stack.kafka_bootstrap})
    producer.produce(source, key=key.encode(), value=poison)
    assert producer.flush(10) == 0

    # Both processors reading product_template fail on it, each under its own name.
    found = wait_letters(admin_api, key, {("build_products", 0), ("compute_prices", 0)})
    first = next(i for i in found if i["processor"] == "build_products")
    assert (first["sourceTopic"], first["state"], first["deadLetterTopic"]) == (
        source,
        "open",
        "atraxion.deadletter",
    )
    assert "not JSON" in first["reason"], first

    detail = admin_api.get(f"{PATH}/{first['id']}").json()
    assert detail["valueEncoding"] == "base64"
    assert base64.b64decode(detail["value"]) == poison
    headers = {h["name"]: h["value"] for h in detail["headers"]}
    assert headers["dlq.processor"] == "build_products"
    assert headers["dlq.source.topic"] == source
    assert int(headers["dlq.source.offset"]) == first["sourceOffset"]

    # Filter by reason: by its class, or a part; another reason does not list it.
    body = letters(admin_api, reason=first["reasonClass"], processor="build_products")
    assert first["id"] in [i["id"] for i in body["items"]]
    assert body["countsByReason"][first["reasonClass"]] >= 1
    assert first["id"] in [i["id"] for i in letters(admin_api, reason="NOT JSON")["items"]]
    assert first["id"] not in [i["id"] for i in letters(admin_api, reason="no such")["items"]]
    assert letters(admin_api, reason="no such")["countsByReason"][first["reasonClass"]] >= 1

    # Re-driven, once for both letters: still poison, so both processors dead-letter it again.
    redriven = admin_api.post(f"{PATH}/redrive", json={"ids": [first["id"]]}).json()
    (sent,) = redriven["redriven"]
    assert set(sent["ids"]) == {i["id"] for i in found}
    assert (sent["topic"], sent["redriveCount"]) == (source, 1)
    again = wait_letters(admin_api, key, {("build_products", 1), ("compute_prices", 1)})
    second = next(i for i in again if (i["processor"], i["redriveCount"]) == ("build_products", 1))
    assert second["sourceOffset"] == sent["offset"]  # the re-driven record failed
    shown = {i["id"]: i for i in again}
    assert shown[first["id"]]["state"] == "redriven"
    assert shown[first["id"]]["redrivenTo"]["offset"] == sent["offset"]
    second_headers = {
        h["name"]: h["value"] for h in admin_api.get(f"{PATH}/{second['id']}").json()["headers"]
    }
    assert second_headers["dlq.redrive.of"] in sent["ids"]  # the record's first letter

    # Not again by accident: both letters were re-driven already.
    repeated = admin_api.post(f"{PATH}/redrive", json={"ids": [first["id"]]}).json()
    assert repeated["redriven"] == [] and len(repeated["skipped"]) == 2

    # Purge every letter of the record: gone from the list, the counts and the metrics.
    ids = [i["id"] for i in letters_of(admin_api, key)]
    before = letters(admin_api)["countsByReason"][first["reasonClass"]]
    purged = admin_api.post(f"{PATH}/purge", json={"ids": ids}).json()
    assert sorted(purged["purged"]) == sorted(ids) and purged["skipped"] == []
    assert letters_of(admin_api, key) == []
    assert letters(admin_api)["countsByReason"].get(first["reasonClass"], 0) == before - len(ids)
    assert {i["id"] for i in letters_of(admin_api, key, state="purged")} == set(ids)
    opened = {i["id"] for i in letters(admin_api, state="open")["items"]}
    assert not opened & set(ids)
    # The metrics read the same: open letters per (topic, processor, reason class).
    open_counts: dict[tuple[str, str, str], int] = {}
    for letter in letters(admin_api, state="open")["items"]:
        labels = (letter["deadLetterTopic"], letter["processor"], letter["reasonClass"])
        open_counts[labels] = open_counts.get(labels, 0) + 1
    families = list(DeadLetterCollector(stack.settings).collect())
    metric = {
        (s.labels["topic"], s.labels["processor"], s.labels["reason"]): s.value
        for f in families
        for s in f.samples
        if s.name == "atraxion_dead_letters_open" and s.value
    }
    assert metric == open_counts


def test_a_record_the_read_model_refused_is_redriven_once_fixed(
    stack: RunningStack,
    api: httpx.Client,
    admin_api: httpx.Client,
    odoo: psycopg.Connection,
    readmodel: psycopg.Connection,
) -> None:
    """The materializer dead-letters a change the read model refuses (here a CHECK constraint
    an operator added by mistake). Once the constraint is gone, the re-driven record is
    applied: the feed shows the change."""
    product = template_ids(odoo)[-2]
    before = item(api, product)
    assert before is not None
    constraint = f"dl_test_{uuid.uuid4().hex[:8]}"
    readmodel.execute(
        f"ALTER TABLE product_feed ADD CONSTRAINT {constraint} CHECK (odoo_id <> {product}) "
        "NOT VALID"
    )
    try:
        price = 6000 + time.time() % 1000
        set_price(odoo, product, price)
        (letter,) = wait_letters(admin_api, str(product), {("products_view", 0)})
        assert letter["sourceTopic"] == PRODUCTS_TOPIC
        assert letter["reason"].startswith("rejected by the read model"), letter
        assert constraint in letter["reason"]
        assert item(api, product)["data"]["list_price"] == before["data"]["list_price"]
    finally:
        readmodel.execute(f"ALTER TABLE product_feed DROP CONSTRAINT IF EXISTS {constraint}")

    redriven = admin_api.post(
        f"{PATH}/redrive",
        json={"filter": {"processor": "products_view", "reason": constraint}},
    ).json()
    assert [r["ids"] for r in redriven["redriven"]] == [[letter["id"]]], redriven
    assert redriven["redriven"][0]["topic"] == PRODUCTS_TOPIC
    wait_for_price(api, product, price)
    assert letters_of(admin_api, str(product))[0]["state"] == "redriven"
    assert len(letters_of(admin_api, str(product))) == 1  # not dead-lettered again


def test_a_failed_order_is_redriven_through_the_order_path(
    stack: RunningStack,
    api: httpx.Client,
    admin_api: httpx.Client,
    odoo: psycopg.Connection,
) -> None:
    """The sink's JSON-2 key was wrong (Odoo's 401 is permanent); fixed, the order's letter
    is re-driven from the ops endpoint: next generation, created in Odoo once."""
    (reference,) = references(1)
    with reconfigured(
        stack, {"order_sink": {"odoo_protocol": "json2", "odoo_api_key": "not-the-key"}}
    ):
        assert submit(api, order_body(odoo, reference)).status_code == 202
        assert wait_done(api, [reference], 60)[reference]["status"] == "failed"
        (letter,) = wait_letters(admin_api, reference, {("order_sink", 0)})
        assert letter["deadLetterTopic"] == "atraxion.webshop-orders.deadletter"
        restart(stack, "order_sink", odoo_protocol="json2")  # the fix: the right key
        redriven = admin_api.post(f"{PATH}/redrive", json={"ids": [letter["id"]]}).json()
        (sent,) = redriven["redriven"]
        # The order path: the next generation of the stored order (no offset reported).
        assert (sent["topic"], sent["redriveCount"], sent["offset"]) == (
            "atraxion.webshop-orders",
            1,
            None,
        )
        assert wait_done(api, [reference], 60)[reference]["status"] == "confirmed"
    assert len(odoo_orders(odoo, [reference])[reference]) == 1
    # Forced again, the order path finds it in Odoo: nothing is sent.
    forced = admin_api.post(f"{PATH}/redrive", json={"ids": [letter["id"]], "force": True}).json()
    assert forced["redriven"] == [] and "confirmed" in forced["skipped"][0]["why"], forced
    assert len(odoo_orders(odoo, [reference])[reference]) == 1


def test_only_the_admin_scope_gets_in(
    api: httpx.Client, anonymous_api: httpx.Client, admin_api: httpx.Client
) -> None:
    for client, status in ((anonymous_api, 401), (api, 403)):
        for response in (
            client.get(PATH),
            client.post(f"{PATH}/redrive", json={"filter": {}}),
            client.post(f"{PATH}/purge", json={"filter": {}}),
        ):
            assert response.status_code == status, response.text
            assert response.headers["content-type"] == "application/problem+json"
    nowhere = LetterId("atraxion.deadletter", 0, 10**9, 1).encode()  # well-formed, no record
    for letter_id in (nowhere, "not-an-id"):
        missing = admin_api.get(f"{PATH}/{letter_id}")
        assert missing.status_code == 404, missing.text
        assert missing.headers["content-type"] == "application/problem+json"
