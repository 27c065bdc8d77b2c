"""Consumer lag and freshness on the running stack: GET /api/v1/ops/lag and /freshness, the
`atraxion lag` command and the scrape-time collectors, against the real broker (Tansu in the
embedded stack, where ListOffsets is short of the log end) and the real read model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime
from typing import Any

import httpx
import psycopg
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from prometheus_client import CollectorRegistry, generate_latest

from readmodel.feeds import upsert_sql
from readmodel.freshness import record_params, record_sql
from readmodel.freshness_metrics import FreshnessCollector
from schemas.entities import PRODUCTS
from schemas.topics import PRODUCTS_TOPIC
from streams.kafka.lag_metrics import ConsumerLagCollector
from streams.kafka.lag_probe import LagProbe
from tests.integration.feed import (
    barrier,
    eventually,
    set_price,
    template_ids,
    wait_for_every_template,
    wait_for_price,
)
from tests.integration.offsets import log_ends
from tests.integration.stacks import RunningStack

pytestmark = pytest.mark.integration

LAG = "/api/v1/ops/lag"
FRESHNESS = "/api/v1/ops/freshness"
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module", autouse=True)
def snapshot_done(api: httpx.Client, odoo: psycopg.Connection) -> None:
    wait_for_every_template(api, odoo)


def lag(admin_api: httpx.Client, **params: Any) -> dict[str, Any]:
    response = admin_api.get(LAG, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def by_group(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["group"]: g for g in body["groups"]}


def ms(iso: str) -> int:
    return round(datetime.fromisoformat(iso).timestamp() * 1000)


def test_admin_scope_required(api: httpx.Client, anonymous_api: httpx.Client) -> None:
    for path in (LAG, FRESHNESS):
        response = api.get(path)  # the webshop's token
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["status"] == 403
        assert anonymous_api.get(path).status_code == 401


def test_processors_groups_have_lag_that_reaches_zero(
    stack: RunningStack, admin_api: httpx.Client, api: httpx.Client, odoo: psycopg.Connection
) -> None:
    settings = stack.settings
    processors = (settings.streams_app_id, settings.materializer_group)
    barrier(api, odoo, template_ids(odoo)[0])  # a change all the way through
    body = lag(admin_api)
    groups = by_group(body)
    assert set(processors) | {settings.order_sink_group} <= set(groups)
    for name in processors:
        group = groups[name]
        assert group["partitions"], f"{name} committed nothing"
        assert group["lagRecords"] >= 0 and group["lagSeconds"] >= 0
        for p in group["partitions"]:
            assert p["group"] == name
            assert p["lagRecords"] == p["logEndOffset"] - p["committedOffset"] >= 0
            assert p["lagSeconds"] is not None and p["lagSeconds"] >= 0
    topics = {p["topic"] for p in groups[settings.materializer_group]["partitions"]}
    assert PRODUCTS_TOPIC in topics

    def caught_up() -> dict[str, Any] | None:
        now = lag(admin_api)
        groups = by_group(now)
        done = all(
            groups[n]["lagRecords"] == 0 and groups[n]["lagSeconds"] == 0 for n in processors
        )
        return now if done else None

    final = eventually(caught_up, 60, "both processors at lag 0")
    # Caught up means at the TRUE log end: the one a fetch reports (on Tansu, ListOffsets is
    # short of it), read here independently of the endpoint.
    partitions = by_group(final)[settings.materializer_group]["partitions"]
    products = [p for p in partitions if p["topic"] == PRODUCTS_TOPIC]
    ends = log_ends(stack, [PRODUCTS_TOPIC])
    assert {(PRODUCTS_TOPIC, p["partition"]): p["logEndOffset"] for p in products} == ends


def own_group_at(stack: RunningStack, behind: int) -> tuple[str, int, int, int]:
    """A consumer group of our own on the products topic, committed ``behind`` records
    before the end of partition 0: (group, committed offset, log end, timestamp ms of the
    record at the committed offset)."""
    end = log_ends(stack, [PRODUCTS_TOPIC])[(PRODUCTS_TOPIC, 0)]
    assert end >= behind
    committed = end - behind
    group = f"team-lag-test-{uuid.uuid4().hex[:8]}"
    reader = Consumer(
        {
            "bootstrap.servers": stack.kafka_bootstrap,
            "group.id": group,
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 500,
        }
    )
    try:
        reader.assign([TopicPartition(PRODUCTS_TOPIC, 0, committed)])
        record = eventually(lambda: reader.poll(1.0), 30, "the record at the committed offset")
        assert record.error() is None and record.offset() == committed
        timestamp = record.timestamp()[1]
        reader.commit(offsets=[TopicPartition(PRODUCTS_TOPIC, 0, committed)], asynchronous=False)
    finally:
        reader.close()
    return group, committed, end, timestamp


def assert_exact(body: dict[str, Any], group: str, committed: int, end: int, ts: int) -> None:
    figures = by_group(body)[group]
    (partition,) = figures["partitions"]
    assert partition == {
        "group": group,
        "topic": PRODUCTS_TOPIC,
        "partition": 0,
        "committedOffset": committed,
        "logEndOffset": end,
        "lagRecords": end - committed,
        "lagSeconds": partition["lagSeconds"],
    }
    # The age of the record at the committed offset when measured (ms precision).
    assert partition["lagSeconds"] > 0
    assert partition["lagSeconds"] == pytest.approx((ms(body["measuredAt"]) - ts) / 1000, abs=0.002)
    assert figures["lagRecords"] == end - committed
    assert figures["lagSeconds"] == partition["lagSeconds"]


def test_another_teams_group_with_exact_lag_in_api_and_cli(
    stack: RunningStack, admin_api: httpx.Client
) -> None:
    group, committed, end, ts = own_group_at(stack, behind=5)

    # Found without being named: the broker lists it (it has committed offsets). The API
    # may first serve a measurement up to ATRAXION_LAG_CACHE_S old.
    def listing() -> dict[str, Any] | None:
        body = lag(admin_api)
        return body if group in by_group(body) else None

    everything = eventually(listing, 30, f"{group} listed")
    assert_exact(everything, group, committed, end, ts)
    only = lag(admin_api, group=group)
    assert [g["group"] for g in only["groups"]] == [group]
    assert_exact(only, group, committed, end, ts)

    # The CLI measures the same: same offsets, the age at its own measuring time.
    env = {
        **os.environ,
        "ATRAXION_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
        "ATRAXION_BROKER_FLAVOR": stack.settings.broker_flavor,
        "ATRAXION_LOG_JSON": "true",
    }
    done = subprocess.run(
        [sys.executable, "-m", "deploy.cli", "lag", "--json", "--group", group],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    cli = json.loads(done.stdout.strip().splitlines()[-1])
    assert_exact(cli, group, committed, end, ts)
    assert ms(cli["measuredAt"]) >= ms(only["measuredAt"])
    assert by_group(cli)[group]["lagSeconds"] >= by_group(only)[group]["lagSeconds"]


def test_freshness_grows_with_an_odoo_update(
    stack: RunningStack,
    admin_api: httpx.Client,
    api: httpx.Client,
    odoo: psycopg.Connection,
) -> None:
    product = template_ids(odoo)[1]
    barrier(api, odoo, product)  # nothing else of this product is on its way

    def products() -> dict[str, Any]:
        response = admin_api.get(FRESHNESS)
        assert response.status_code == 200, response.text
        entities = {e["entity"]: e for e in response.json()["entities"]}
        assert {"products", "partners", "prices", "stock"} <= set(entities)
        return entities["products"]

    before = products()
    assert before["count"] >= 1  # the snapshot and the barrier were counted
    price = float(odoo.execute(
        "SELECT list_price FROM product_template WHERE id = %s", (product,)
    ).fetchone()[0]) + 7  # fmt: skip
    changed_at = time.time()
    set_price(odoo, product, price)
    wait_for_price(api, product, price)
    seen_at = time.time()
    after = products()
    # One row written, once (the same transaction as the feed row: visible together).
    assert after["count"] == before["count"] + 1
    histogram = after["histogram"]
    assert histogram[-1] == {"le": "+Inf", "count": after["count"]}
    counts = [b["count"] for b in histogram]
    assert counts == sorted(counts)
    # The last batch is this change: Odoo's commit after the UPDATE was sent, written before
    # the feed showed it; lastSeconds is exactly the difference.
    source = datetime.fromisoformat(after["lastSourceAt"]).timestamp()
    applied = datetime.fromisoformat(after["lastAppliedAt"]).timestamp()
    assert changed_at - 0.002 <= source <= applied <= seen_at
    assert after["lastSeconds"] == pytest.approx(applied - source, abs=0.002)
    assert after["lastSeconds"] > 0
    assert after["sumSeconds"] >= before["sumSeconds"] + after["lastSeconds"] - 0.002


def test_a_replayed_row_is_not_counted(stack: RunningStack, readmodel: psycopg.Connection) -> None:
    """The materializer's recording, run by hand on the read model: an event at the stored
    position (a redelivery) changes no row, so it adds nothing."""
    table = PRODUCTS.feed.table
    row = readmodel.execute(
        f"SELECT odoo_id, pos_commit, pos_lsn, pos_seq, source_ts FROM {table} LIMIT 1"
    ).fetchone()
    odoo_id, commit, lsn, seq, source_ts = row
    count = readmodel.execute(
        "SELECT count FROM entity_freshness WHERE entity = 'products'"
    ).fetchone()[0]
    replay = {
        "odoo_id": odoo_id, "external_id": None, "data": "{}", "changed_fields": [],
        "is_new": False, "deleted": False,
        "source_ts_ms": int(source_ts.timestamp() * 1000),
        "pos_commit": commit, "pos_lsn": lsn, "pos_seq": seq,
    }  # fmt: skip
    with readmodel.transaction():
        readmodel.execute(upsert_sql(table), replay)
        readmodel.execute(record_sql(table, "odoo_id"), record_params("products", [odoo_id]))
    again = readmodel.execute(
        "SELECT count FROM entity_freshness WHERE entity = 'products'"
    ).fetchone()[0]
    assert again == count


def test_collectors_on_the_running_stack(stack: RunningStack) -> None:
    registry = CollectorRegistry()
    registry.register(ConsumerLagCollector(settings=stack.settings))
    registry.register(FreshnessCollector(stack.readmodel_dsn))
    text = generate_latest(registry).decode()
    group = stack.settings.materializer_group
    labels = f'group="{group}",partition="0",topic="{PRODUCTS_TOPIC}"'
    assert f"atraxion_consumer_lag_records{{{labels}}}" in text
    assert f"atraxion_consumer_lag_seconds{{{labels}}}" in text
    assert "atraxion_consumer_lag_up 1.0" in text
    assert 'atraxion_freshness_seconds_bucket{entity="products",le="+Inf"}' in text
    assert 'atraxion_freshness_last_seconds{entity="products"}' in text
    # Lag figures never negative, on Tansu too.
    for line in text.splitlines():
        if line.startswith("atraxion_consumer_lag_records{"):
            assert float(line.rsplit(" ", 1)[1]) >= 0, line


def test_the_list_offsets_path_agrees_with_the_fetch_path(stack: RunningStack) -> None:
    """The log ends Apache Kafka gets (ListOffsets, ``broker_flavor="kafka"``) and the ones
    Tansu gets (a fetch's high watermark), measured on the real broker here. Tansu answers
    ListOffsets with its last batch's base offset + 1, the true end only when every batch
    holds one record: so a topic of our own (the faust worker's prefix makes it a project
    topic that nothing consumes) is written one record per batch, and both paths must give
    the same exact figures. On Apache Kafka both are right for any batches."""
    settings = stack.settings
    topic = f"{settings.streams_app_id}-lag-paths-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": stack.kafka_bootstrap})
    for future in admin.create_topics([NewTopic(topic, 1, 1)], operation_timeout=30).values():
        future.result(30)
    # Record timestamps a minute in the past, one second apart: lagSeconds is their age.
    first_ms = int(time.time() * 1000) - 60_000
    producer = Producer({"bootstrap.servers": stack.kafka_bootstrap, "linger.ms": 0})
    for i in range(10):
        producer.produce(topic, key=b"k", value=str(i).encode(), timestamp=first_ms + 1000 * i)
        assert producer.flush(10) == 0  # one record per batch
    behind, caught_up = f"team-behind-{uuid.uuid4().hex[:8]}", f"team-done-{uuid.uuid4().hex[:8]}"
    for group, offset in ((behind, 4), (caught_up, 10)):
        committer = Consumer({"bootstrap.servers": stack.kafka_bootstrap, "group.id": group})
        try:
            committer.commit(offsets=[TopicPartition(topic, 0, offset)], asynchronous=False)
        finally:
            committer.close()

    reports = {}
    for flavor in ("kafka", "tansu"):
        probe = LagProbe(settings.model_copy(update={"broker_flavor": flavor}))
        try:
            reports[flavor] = probe.measure([behind, caught_up], timeout=30)
        finally:
            probe.close()

    for flavor, report in reports.items():
        groups = {g.group: g for g in report.groups}
        assert set(groups) == {behind, caught_up}, flavor
        (late,) = groups[behind].partitions
        assert (late.topic, late.committed_offset, late.log_end_offset, late.lag_records) == (
            topic,
            4,
            10,
            6,
        ), flavor
        # The age of the record at offset 4 when measured.
        expected_s = (report.measured_at_ms - (first_ms + 4000)) / 1000
        assert late.lag_seconds == pytest.approx(expected_s, abs=0.002), flavor
        (done,) = groups[caught_up].partitions
        assert (done.log_end_offset, done.lag_records, done.lag_seconds) == (10, 0, 0.0), flavor
