"""GET /metrics on the running stack: access by scope, the Prometheus text format, and the
series of every process (processors, sinks, API, Debezium, the read model's feeds)."""

from __future__ import annotations

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from core.metrics import SERIES
from schemas.entities import COMPUTED, ENTITIES
from tests.integration.feed import (
    eventually,
    pending_ids,
    set_price,
    template_ids,
    wait_for_price,
)

pytestmark = pytest.mark.integration


def scrape(admin_api: httpx.Client) -> list[Sample]:
    response = admin_api.get("/metrics")
    assert response.status_code == 200, response.text
    return [s for f in text_string_to_metric_families(response.text) for s in f.samples]


def total(samples: list[Sample], name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    return sum(
        s.value
        for s in samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


@pytest.fixture(scope="module", autouse=True)
def snapshot_done(api: httpx.Client, odoo: psycopg.Connection) -> None:
    ids = template_ids(odoo)
    eventually(lambda: pending_ids(api) >= set(ids), 180, "the snapshot in the feed")


def test_metrics_needs_a_token(anonymous_api: httpx.Client):
    response = anonymous_api.get("/metrics")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_metrics_needs_the_admin_scope(api: httpx.Client):
    response = api.get("/metrics")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "admin" in response.json()["detail"]


def test_metrics_is_prometheus_text(admin_api: httpx.Client):
    response = admin_api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    assert families["atraxion_events_in"].type == "counter"
    assert families["atraxion_sink_batch_records"].type == "histogram"
    assert families["atraxion_feed_pending_records"].type == "gauge"


def test_an_odoo_update_moves_the_processors_and_sink_counters(
    admin_api: httpx.Client, api: httpx.Client, odoo: psycopg.Connection
):
    before = scrape(admin_api)
    built = total(before, "atraxion_events_in_total", processor="build_products")
    published = total(before, "atraxion_events_out_total", processor="build_products")
    written = total(before, "atraxion_events_out_total", processor="products_view")
    batches = total(before, "atraxion_sink_batch_records_count", sink="materializer")
    batch_records = total(before, "atraxion_sink_batch_records_sum", sink="materializer")
    batch_seconds = total(before, "atraxion_sink_batch_seconds_count", sink="materializer")
    assert built > 0  # the snapshot went through build_products

    product = template_ids(odoo)[2]
    set_price(odoo, product, 9876.25)
    wait_for_price(api, product, 9876.25)

    def moved() -> list[Sample] | None:
        after = scrape(admin_api)
        now = total(after, "atraxion_events_out_total", processor="products_view")
        return after if now > written else None

    after = eventually(moved, 60, "the materializer's counters after the update")
    assert total(after, "atraxion_events_in_total", processor="build_products") > built
    assert total(after, "atraxion_events_out_total", processor="build_products") > published
    assert total(after, "atraxion_sink_batch_records_count", sink="materializer") > batches
    assert total(after, "atraxion_sink_batch_records_sum", sink="materializer") > batch_records
    assert total(after, "atraxion_sink_batch_seconds_count", sink="materializer") > batch_seconds


def test_api_latency_by_route_template(admin_api: httpx.Client, api: httpx.Client):
    odoo_id = sorted(pending_ids(api))[0]
    assert api.get(f"/api/v1/updated-products/{odoo_id}").status_code == 200
    samples = scrape(admin_api)
    routes = {
        (s.labels["route"], s.labels["status"])
        for s in samples
        if s.name == "atraxion_api_request_duration_seconds_count"
    }
    assert ("/api/v1/updated-products/{odoo_id}", "200") in routes
    assert not any(route.endswith(f"/{odoo_id}") for route, _ in routes)  # never a raw path
    assert ("/metrics", "200") in routes


def test_debezium_progress(admin_api: httpx.Client, odoo: psycopg.Connection):
    samples = scrape(admin_api)
    # Nothing is being snapshotted; a connect process that did the initial snapshot (not one
    # restarted since by another test, whose Debezium resumed from its offsets) says so.
    assert total(samples, "atraxion_debezium_snapshot_running") == 0
    if total(samples, "atraxion_debezium_snapshot_completed") == 1:
        assert total(samples, "atraxion_debezium_snapshot_rows") > 0
    assert total(samples, "atraxion_debezium_streaming_connected") == 1
    assert "atraxion_debezium_last_event_age_seconds" in {s.name for s in samples}

    # A change in Odoo is an event Debezium's streaming saw, within the gauges' interval.
    seen = "atraxion_debezium_events_seen_records"
    before = total(samples, seen, context="streaming")
    set_price(odoo, template_ids(odoo)[3], 4242.5)
    eventually(
        lambda: total(scrape(admin_api), seen, context="streaming") > before,
        60,
        "Debezium's streaming events seen to grow",
    )


def test_feed_pending_per_entity(admin_api: httpx.Client, readmodel: psycopg.Connection):
    samples = scrape(admin_api)
    pending = {
        s.labels["entity"]: s.value for s in samples if s.name == "atraxion_feed_pending_records"
    }
    assert set(pending) == {e.name for e in ENTITIES} | {c.name for c in COMPUTED}
    in_table = readmodel.execute("SELECT count(*) FROM product_feed WHERE pending").fetchone()[0]
    assert pending["products"] == in_table > 0


def test_every_series_defined_in_code_is_served(admin_api: httpx.Client):
    served = {s.name for s in scrape(admin_api)}
    for name in SERIES:
        assert any(n == name or n.startswith(name + "_") for n in served), name
