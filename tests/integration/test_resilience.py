"""At-least-once end to end: crashes, replays, poison events, missing before images."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import psycopg
import pytest
from confluent_kafka import Consumer, KafkaError, Producer

from schemas.entities import PRODUCTS
from schemas.odoo_tables import raw_topic
from schemas.topics import PRODUCTS_TOPIC
from streams.kafka.deadletter import DEADLETTER_TOPIC
from streams.sinks.feeds import feed_sink
from streams.sinks.runner import SinkRunner
from tests.integration.feed import (
    barrier,
    eventually,
    item,
    mark_processed,
    pending_ids,
    set_price,
    template_ids,
    wait_for_every_template,
    wait_for_price,
)
from tests.integration.offsets import caught_up
from tests.integration.stacks import RunningStack
from tests.integration.verification import verified_clean

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", autouse=True)
def snapshot_done(api: httpx.Client, odoo: psycopg.Connection) -> None:
    wait_for_every_template(api, odoo)


KILLABLE = ["streams", "materializer", "connect", "api"]


@pytest.mark.parametrize("process", KILLABLE)
def test_killed_process_loses_nothing(
    process: str, stack: RunningStack, api: httpx.Client, odoo: psycopg.Connection
):
    products = template_ids(odoo)[20:32]
    base = 3000 + 100 * KILLABLE.index(process)
    for n, product in enumerate(products[:6]):
        set_price(odoo, product, base + n)
    stack.kill(process)  # SIGKILL: no flush, no offset commit, no goodbye
    for n, product in enumerate(products[6:], start=6):
        set_price(odoo, product, base + n)
    stack.restart(process)
    for n, product in enumerate(products):
        wait_for_price(api, product, base + n, timeout=120)


def test_streams_restarts_with_events_in_flight_leave_no_hole(
    stack: RunningStack, api: httpx.Client, odoo: psycopg.Connection
):
    """Kill the processor while it works through updates, again and again.

    An event dropped on restart (faust resumed streams before seeking them, see
    streams/kafka/faust_recovery.py) shows twice: its change never reaches the feed, and the
    processor's committed offset stops short of the log end for good.
    """
    # A backlog on restart makes the window wide: events queue up while faust seeks.
    products = template_ids(odoo)[30:58]
    for round_ in range(3):
        base = 4000 + 100 * round_
        for n, product in enumerate(products[:4]):
            set_price(odoo, product, base + n)
        stack.kill("streams")
        for n, product in enumerate(products[4:], start=4):
            set_price(odoo, product, base + n)
        stack.restart("streams")
        for n, product in enumerate(products):
            wait_for_price(api, product, base + n, timeout=60)
    raw = raw_topic(stack.settings.topic_prefix, "product_template")
    eventually(
        lambda: caught_up(stack, stack.settings.streams_app_id, raw),
        30,
        "the processor to commit up to the log end",
    )


def test_read_model_converges_to_odoo(api: httpx.Client, odoo: psycopg.Connection):
    rows = odoo.execute("SELECT id, list_price FROM product_template").fetchall()
    expected = {r[0]: float(r[1]) for r in rows}

    def converged() -> bool:
        for odoo_id, price in expected.items():
            current = item(api, odoo_id)
            assert current is not None, f"{odoo_id} missing"
            assert abs(current["data"]["list_price"] - price) < 1e-9, (odoo_id, current["data"])
        return True

    eventually(converged, 120, "the read model to equal Odoo")


def test_replaying_the_products_topic_changes_nothing(stack: RunningStack, api, odoo):
    barrier(api, odoo, template_ids(odoo)[0])
    with psycopg.connect(stack.readmodel_dsn) as conn:
        before = conn.execute("SELECT * FROM product_feed ORDER BY odoo_id").fetchall()

    # The real sink, under a new consumer group: it reads the topic from the beginning.
    runner = SinkRunner(
        [feed_sink(PRODUCTS)], stack.settings, f"replay-{uuid.uuid4().hex}", stack.readmodel_dsn
    )
    replayed = _drain(runner)

    with psycopg.connect(stack.readmodel_dsn) as conn:
        after = conn.execute("SELECT * FROM product_feed ORDER BY odoo_id").fetchall()
    assert replayed >= len(before)
    assert after == before


def test_poison_events_go_to_the_dead_letter_topic(stack: RunningStack, api, odoo):
    key = f'{{"id": {10**8 + int(time.time()) % 10**6}}}'.encode()
    producer = Producer({"bootstrap.servers": stack.kafka_bootstrap})
    producer.produce(raw_topic("odoo", "product_template"), key=key, value=b"\x00not json")
    producer.produce(PRODUCTS_TOPIC, key=b"poison", value=b"not avro")
    assert producer.flush(10) == 0

    # Every processor reading a topic dead-letters what it cannot read under its own name:
    # the prices computation reads product_template too.
    wanted = {(key, "build_products"), (key, "compute_prices"), (b"poison", "products_view")}
    letters = _read_until(stack.kafka_bootstrap, DEADLETTER_TOPIC, wanted)
    by_processor = {dict(m.headers())["dlq.processor"].decode(): m for m in letters}
    raw = by_processor["build_products"]
    headers = dict(raw.headers())
    assert raw.value() == b"\x00not json"
    assert b"not JSON" in headers["dlq.reason"]
    assert headers["dlq.source.topic"] == b"odoo.public.product_template"
    # ...and the pipeline goes on.
    barrier(api, odoo, template_ids(odoo)[1])


def test_an_event_the_processor_fails_on_is_dead_lettered(stack: RunningStack, api, odoo):
    """Not rejected on purpose (no PoisonEvent) but failing all the same: here a numeric
    default_code, which the ProductChange contract (externalId: string) refuses."""
    odoo_id = 2 * 10**8 + int(time.time()) % 10**6
    key, envelope = _insert_template_event(stack, odoo_id, default_code=4711, list_price=1.0)

    (letter,) = _read_until(stack.kafka_bootstrap, DEADLETTER_TOPIC, {(key, "build_products")})
    headers = dict(letter.headers())
    assert headers["dlq.reason"].startswith(b"unexpected ValidationError"), headers
    assert b"externalId" in headers["dlq.reason"]
    assert json.loads(letter.value()) == envelope
    # Nothing half-done: no feed item for it, and the pipeline goes on.
    barrier(api, odoo, template_ids(odoo)[2])
    assert item(api, odoo_id) is None


def test_a_product_too_big_to_publish_is_dead_lettered(stack: RunningStack, api, odoo):
    """Its state (document + last event) would exceed the producer's request size: sending
    it would crash the worker on every retry."""
    odoo_id = 3 * 10**8 + int(time.time()) % 10**6
    big = json.dumps({"en_US": "x" * 600_000})
    key, _ = _insert_template_event(stack, odoo_id, default_code="HUGE", description_sale=big)

    (letter,) = _read_until(stack.kafka_bootstrap, DEADLETTER_TOPIC, {(key, "build_products")})
    reason = dict(letter.headers())["dlq.reason"].decode()
    assert reason.startswith("product state of ") and "-byte limit" in reason, reason
    barrier(api, odoo, template_ids(odoo)[3])
    assert item(api, odoo_id) is None


def test_unchanged_toast_column_is_not_a_change(api: httpx.Client, odoo: psycopg.Connection):
    product = template_ids(odoo)[40]
    # Large enough to be TOASTed: Debezium sends a placeholder for it when it is unchanged.
    big = {"en_US": " ".join(uuid.uuid4().hex for _ in range(400))}
    odoo.execute(
        "UPDATE product_template SET description_sale = %s WHERE id = %s",
        (json.dumps(big), product),
    )
    eventually(
        lambda: (i := item(api, product))["data"]["description_sale"] == big and i, 60, "big text"
    )
    mark_processed(api, [product])
    set_price(odoo, product, 8888.0)
    current = wait_for_price(api, product, 8888.0)
    assert current["changedFields"] == ["list_price"]
    assert current["data"]["description_sale"] == big


def test_replica_identity_full_gives_the_same_feed(api: httpx.Client, odoo: psycopg.Connection):
    product = template_ids(odoo)[41]
    odoo.execute("ALTER TABLE product_template REPLICA IDENTITY FULL")
    try:
        mark_processed(api, [product])
        odoo.execute("UPDATE product_template SET write_date = now() WHERE id = %s", (product,))
        set_price(odoo, product, 9999.5)
        current = wait_for_price(api, product, 9999.5)
        assert current["changedFields"] == ["list_price"]
    finally:
        odoo.execute("ALTER TABLE product_template REPLICA IDENTITY DEFAULT")
    assert product in pending_ids(api)


def _drain(runner: SinkRunner, timeout: float = 60) -> int:
    """Run the sink until it has reached the end of every partition; records seen."""
    runner.consumer.subscribe([PRODUCTS_TOPIC])
    seen, idle_since = 0, time.monotonic()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            batch = [m for m in runner.next_batch() if not _eof(m)]
            if batch:
                runner.process(batch)
                seen += len(batch)
                idle_since = time.monotonic()
            elif seen and time.monotonic() - idle_since > 3:
                return seen
    finally:
        runner.consumer.close()
    raise AssertionError(f"replay did not finish in {timeout}s ({seen} records)")


def _read_until(
    bootstrap: str, topic: str, wanted: set[tuple[bytes, str]], timeout: float = 60
) -> list:
    """Read ``topic`` from the start until a letter of each (key, processor) of ``wanted`` has
    been seen; those letters."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    found: dict[tuple[bytes, str], object] = {}
    deadline = time.monotonic() + timeout
    try:
        while set(found) != wanted and time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is None or message.error() is not None:
                continue
            processor = dict(message.headers() or [])["dlq.processor"].decode()
            if (message.key(), processor) in wanted:
                found[(message.key(), processor)] = message
    finally:
        consumer.close()
    assert set(found) == wanted, f"dead letters seen for {set(found)}, wanted {wanted}"
    return list(found.values())


def _insert_template_event(
    stack: RunningStack, odoo_id: int, **columns: object
) -> tuple[bytes, dict]:
    """Produce a Debezium-shaped insert of product_template ``odoo_id`` to its raw topic, as
    if Odoo had written it: (key, envelope)."""
    key = json.dumps({"id": odoo_id}, separators=(",", ":")).encode()
    envelope = {
        "before": None,
        "after": {"id": odoo_id, **columns},
        "source": {"table": "product_template", "lsn": 1, "sequence": '[null,"1"]'},
        "op": "c",
        "ts_ms": int(time.time() * 1000),
    }
    topic = raw_topic(stack.settings.topic_prefix, "product_template")
    producer = Producer({"bootstrap.servers": stack.kafka_bootstrap})
    producer.produce(topic, key=key, value=json.dumps(envelope))
    assert producer.flush(10) == 0
    return key, envelope


def _eof(message) -> bool:
    error = message.error()
    return error is not None and error.code() == KafkaError._PARTITION_EOF


def test_after_the_scenarios_every_view_verifies_clean(stack: RunningStack) -> None:
    """After the crashes, replays and poison events above: every read-model view equals what Odoo's
    tables give (`atraxion verify`, README "Verify")."""
    verified_clean(stack)
