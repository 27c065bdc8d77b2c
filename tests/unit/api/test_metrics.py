"""api/metrics.py: request timing by route template, the feed-pending query, /metrics's guard."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from api.main import create_app
from api.metrics import (
    COLLECTORS,
    UNMATCHED,
    FeedPendingCollector,
    RequestMetrics,
    metrics_registry,
    route_label,
)
from core.settings import Settings
from schemas.entities import COMPUTED, ENTITIES


def _count(route: str, status: str, method: str = "GET") -> float:
    value = REGISTRY.get_sample_value(
        "atraxion_api_request_duration_seconds_count",
        {"method": method, "route": route, "status": status},
    )
    return value or 0.0


def _timed_app() -> FastAPI:
    app = FastAPI()

    @app.get("/things/{thing_id}")
    async def thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    app.add_middleware(RequestMetrics)
    return app


def test_requests_are_timed_by_route_template_and_status() -> None:
    client = TestClient(_timed_app(), raise_server_exceptions=False)
    before = _count("/things/{thing_id}", "200")
    before_422 = _count("/things/{thing_id}", "422")
    before_404 = _count(UNMATCHED, "404")
    before_500 = _count("/boom", "500")
    assert client.get("/things/1").status_code == 200
    assert client.get("/things/2").status_code == 200
    assert client.get("/things/x").status_code == 422
    assert client.get("/nothing/here").status_code == 404
    assert client.get("/boom").status_code == 500
    assert _count("/things/{thing_id}", "200") == before + 2
    assert _count("/things/{thing_id}", "422") == before_422 + 1
    assert _count(UNMATCHED, "404") == before_404 + 1
    assert _count("/boom", "500") == before_500 + 1
    assert _count("/things/1", "200") == 0  # never the raw path


def test_route_label_without_a_route() -> None:
    assert route_label({"type": "http", "path": "/x"}) == UNMATCHED


def test_metrics_needs_a_token() -> None:
    client = TestClient(create_app())  # no lifespan: no database is needed to refuse
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_metrics_is_an_ops_operation_in_the_openapi_document() -> None:
    document = create_app().openapi()
    operation = document["paths"]["/metrics"]["get"]
    assert operation["tags"] == ["ops"]
    assert {"401", "403"} <= set(operation["responses"])


def test_feed_pending_query_counts_every_feed_table() -> None:
    collector = FeedPendingCollector(Settings())
    text = collector.query().as_string(None)
    for feed in [*ENTITIES, *COMPUTED]:
        assert f'FROM "{feed.feed.table}" WHERE pending' in text
        assert f"'{feed.name}'" in text
    assert [f.name for f in collector.describe()] == ["atraxion_feed_pending_records"]


def test_unreachable_read_model_leaves_the_series_out() -> None:
    settings = Settings(
        ATRAXION_READMODEL_DSN="postgresql://nobody@127.0.0.1:1/none", api_db_timeout_s=1
    )
    assert list(FeedPendingCollector(settings).collect()) == []


def test_registry_without_a_multiprocess_folder_serves_this_process(monkeypatch) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    settings = Settings(
        ATRAXION_READMODEL_DSN="postgresql://nobody@127.0.0.1:1/none", api_db_timeout_s=1
    )
    monkeypatch.setattr("api.metrics.COLLECTORS", [FeedPendingCollector])
    text = generate_latest(metrics_registry(settings)).decode()
    names = {f.name for f in text_string_to_metric_families(text)}
    assert "atraxion_api_request_duration_seconds" in names
    assert FeedPendingCollector in COLLECTORS
