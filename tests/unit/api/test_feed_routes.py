"""Where each entity's feed operations live (``Feed.routes``), its filters (``Feed.filters``)
and request validation that fails before the database: the token check is replaced by a
fixed webshop token, the database by a tripwire (as in test_record_routes.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.deps import _connection
from api.main import create_app
from api.problems import PROBLEM_JSON
from api.routes.feeds import feed_router
from api.security.auth import authenticate
from api.security.tokens import ApiToken
from schemas.entities import PRODUCTS, PURCHASE_ORDERS, SALE_ORDERS, Entity

WEBSHOP = ApiToken(1, "unit-test", frozenset({"webshop"}), None, True)


class _NoDatabase:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the route used the database ({name}) on an invalid request")


async def _no_database() -> AsyncIterator[_NoDatabase]:
    yield _NoDatabase()


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = create_app()
    app.dependency_overrides[authenticate] = lambda: WEBSHOP
    app.dependency_overrides[_connection] = _no_database
    yield TestClient(app)


def _operations(entity: Entity) -> set[tuple[str, str]]:
    app = FastAPI()
    app.include_router(feed_router(entity))
    paths = app.openapi()["paths"]
    return {(method.upper(), path) for path, ops in paths.items() for method in ops}


def test_the_product_feed_keeps_its_urls() -> None:
    base = "/api/v1/updated-products"
    assert _operations(PRODUCTS) == {
        ("GET", base),
        ("GET", f"{base}/{{odoo_id}}"),
        ("DELETE", f"{base}/{{odoo_id}}"),
        ("POST", f"{base}/batch-delete"),
    }


def test_the_purchase_order_feed_has_the_predecessors_layout() -> None:
    base = "/api/v1/purchase-orders"
    assert _operations(PURCHASE_ORDERS) == {
        ("GET", f"{base}/updated"),
        ("GET", f"{base}/{{odoo_id}}"),
        ("DELETE", f"{base}/updated/{{odoo_id}}"),
        ("POST", f"{base}/updated/batch-delete"),
    }


def test_the_sale_order_feed_takes_the_product_layout_and_a_direction_filter() -> None:
    base = "/api/v1/updated-sale-orders"
    assert _operations(SALE_ORDERS) == {
        ("GET", base),
        ("GET", f"{base}/{{odoo_id}}"),
        ("DELETE", f"{base}/{{odoo_id}}"),
        ("POST", f"{base}/batch-delete"),
    }
    app = FastAPI()
    app.include_router(feed_router(SALE_ORDERS))
    doc = app.openapi()
    params = {p["name"]: p for p in doc["paths"][base]["get"]["parameters"]}
    assert params["direction"]["schema"]["anyOf"][0]["enum"] == ["inbound", "outbound"]
    item = doc["components"]["schemas"]["SaleOrderFeedItem"]["properties"]
    assert "direction" in item and "description" in item["direction"]
    # Only the feed that declares it has the filter.
    products = FastAPI()
    products.include_router(feed_router(PRODUCTS))
    doc = products.openapi()
    listed = doc["paths"]["/api/v1/updated-products"]["get"]["parameters"]
    assert {p["name"] for p in listed} == {"limit", "since", "cursor"}
    assert "direction" not in doc["components"]["schemas"]["ProductFeedItem"]["properties"]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/v1/updated-sale-orders?direction=sideways"),
        ("GET", "/api/v1/updated-sale-orders?direction="),
        ("GET", "/api/v1/updated-sale-orders?state=sale"),  # unknown parameter
        ("GET", "/api/v1/updated-products?direction=inbound"),  # not a filter of products
        ("GET", "/api/v1/purchase-orders/updated?limit=0"),
        ("GET", "/api/v1/purchase-orders/0"),
        ("GET", "/api/v1/purchase-orders/0/lines"),
        ("GET", "/api/v1/purchase-orders/5/lines?cursor=x"),
        ("GET", "/api/v1/purchase-orders/5/lines?limit=1001"),
        ("DELETE", "/api/v1/purchase-orders/updated/5?version=1.2"),
    ],
)
def test_invalid_parameters_are_422_problems(client: TestClient, method: str, url: str) -> None:
    response = client.request(method, url)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON


@pytest.mark.parametrize(
    ("method", "url", "status", "allow"),
    [
        ("GET", "/api/v1/purchase-orders/abc", 404, None),
        ("GET", "/api/v1/purchase-orders/updated/5", 405, "DELETE"),
        ("DELETE", "/api/v1/purchase-orders/5", 405, "GET"),
        ("GET", "/api/v1/purchase-orders/updated/batch-delete", 405, "POST"),
        ("GET", "/api/v1/purchase-orders/updated/lines", 404, None),
        ("GET", "/api/v1/updated-sale-orders/S00001", 404, None),
    ],
)
def test_paths_of_no_operation(
    client: TestClient, method: str, url: str, status: int, allow: str | None
) -> None:
    response = client.request(method, url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    if allow is not None:
        assert response.headers["allow"] == allow
