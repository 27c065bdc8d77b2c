"""Request validation of the price and stock routes, which fails before the database is
touched: the token check is replaced by a fixed webshop token, and the database connection
by a tripwire that fails the test if a route uses it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.deps import _connection
from api.main import create_app
from api.models.prices import PRICE_KEY
from api.models.records import MAX_KEYS
from api.models.stock import STOCK_KEY
from api.problems import PROBLEM_JSON
from api.security.auth import authenticate
from api.security.tokens import ApiToken
from schemas.avro_codec import codec
from schemas.entities import PRICES, STOCK

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
    # No `with`: the lifespan (migrations, the pool) does not run.
    yield TestClient(app)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/stocks/changed/17", 404),  # not a stock key: no such resource
        ("/api/v1/stocks/changed/own:17:0", 404),
        ("/api/v1/stocks/changed/batch-delete", 405),  # that path is POST only
    ],
)
def test_a_path_that_is_no_stock_key_is_no_stock_record(
    client: TestClient, url: str, status: int
) -> None:
    response = client.delete(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    if status == 405:
        assert response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/v1/pricelists/updated?limit=0"),
        ("GET", "/api/v1/pricelists/updated?limit=1001"),
        ("GET", "/api/v1/pricelists/updated?pricelist_id=0"),
        ("GET", "/api/v1/pricelists/updated?pricelist_id=x"),
        ("GET", "/api/v1/pricelists/updated?since=yesterday"),
        ("GET", "/api/v1/pricelists/updated?since=2026-01-01T00:00:00"),  # no offset
        ("GET", "/api/v1/pricelists/updated?cursor=123"),
        ("GET", "/api/v1/pricelists/updated?cursor=123-own:17"),  # a stock key
        ("GET", "/api/v1/pricelists/updated?pricelistid=3"),  # unknown parameter
        ("GET", "/api/v1/pricelists/0/items"),
        ("GET", "/api/v1/pricelists/x/items"),
        ("GET", "/api/v1/pricelists/3/items?cursor=3:17"),
        ("GET", "/api/v1/pricelists/3/items?since=2026-01-01T00:00:00Z"),  # not a pending page
        ("GET", "/api/v1/stocks/changed?supplier_id=-1"),
        ("GET", "/api/v1/stocks/changed?product_id=9007199254740992"),  # over 2**53 - 1
        ("GET", "/api/v1/stocks/changed?cursor=1-3:17:0.0"),  # a price key
        ("GET", "/api/v1/stocks/by-supplier/0"),
        ("GET", "/api/v1/stocks/by-supplier/true"),
        ("GET", "/api/v1/stocks/by-product/17?cursor=own"),
        ("GET", "/api/v1/stocks/lookup"),  # product_id is required
        ("GET", "/api/v1/stocks/lookup?product_id=17&supplier_id=0"),
        ("DELETE", "/api/v1/stocks/changed/own:17?version=1.2"),
    ],
)
def test_invalid_parameters_are_422_problems(client: TestClient, method: str, url: str) -> None:
    response = client.request(method, url)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == 422 and body["errors"] and body["instance"] == url.split("?")[0]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/pricelists/updated/batch-delete", {"keys": ["3:17"]}),
        ("/api/v1/pricelists/updated/batch-delete", {"keys": ["3:17:x"]}),
        ("/api/v1/pricelists/updated/batch-delete", {"keys": [3]}),
        ("/api/v1/pricelists/updated/batch-delete", {"items": [{"key": "3:17:0", "version": "x"}]}),
        ("/api/v1/pricelists/updated/batch-delete", {"items": [{"version": "1.2.3"}]}),
        ("/api/v1/pricelists/updated/batch-delete", {"keys": ["1:1:0"] * (MAX_KEYS + 1)}),
        ("/api/v1/stocks/changed/batch-delete", {"keys": ["17"]}),
        ("/api/v1/stocks/changed/batch-delete", {"keys": ["own:17:0.0"]}),
        ("/api/v1/stocks/changed/batch-delete", {"keys": "own:17"}),
        ("/api/v1/stocks/changed/batch-delete", {"keys": ["own:17\n"]}),
        # At most MAX_KEYS keys and items together.
        (
            "/api/v1/stocks/changed/batch-delete",
            {
                "keys": ["own:1"] * (MAX_KEYS // 2 + 1),
                "items": [{"key": "own:1"}] * (MAX_KEYS // 2),
            },
        ),
    ],
)
def test_invalid_batch_bodies_are_422_problems(client: TestClient, path: str, body: Any) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON


def test_without_a_token_it_is_401_before_validation() -> None:
    app = create_app()
    app.dependency_overrides[_connection] = _no_database
    response = TestClient(app).get("/api/v1/stocks/changed?limit=0")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_JSON


@pytest.mark.parametrize("key", ["3:17:0", "3:17:4", "3:17:2.5", "3:17:0.0", "3:17:1e-05"])
def test_price_keys(key: str) -> None:
    # Validated by pydantic, where "$" is the end of the text: fullmatch here.
    assert re.fullmatch(PRICE_KEY.pattern, key)
    assert re.fullmatch(PRICE_KEY.pending_cursor_pattern, f"1767225600000000-{key}")


@pytest.mark.parametrize(
    "key", ["", "3:17", "3:17:", "3:17:-1", "3:17:1.", "a:17:0", "3:17:0 ", "3:17:0\n", "1:" * 40]
)
def test_not_price_keys(key: str) -> None:
    assert not re.fullmatch(PRICE_KEY.pattern, key)


@pytest.mark.parametrize("key", ["own:17", "5:17", "9007199254740991:9007199254740991"])
def test_stock_keys(key: str) -> None:
    assert re.fullmatch(STOCK_KEY.pattern, key) and len(key) <= STOCK_KEY.max_length
    assert re.fullmatch(STOCK_KEY.pending_cursor_pattern, f"1767225600000000-{key}")


@pytest.mark.parametrize("key", ["", "17", "own:", "OWN:17", "own:17:0", ":17", "own:-1", "5:17\n"])
def test_not_stock_keys(key: str) -> None:
    assert not re.fullmatch(STOCK_KEY.pattern, key)


@pytest.mark.parametrize("cursor", ["", "-own:17", "x-own:17", "1-own:17-2", "1" * 18 + "-own:1"])
def test_not_pending_cursors(cursor: str) -> None:
    assert not re.fullmatch(STOCK_KEY.pending_cursor_pattern, cursor)


def test_item_models_document_every_record_field(client: TestClient) -> None:
    schemas = client.app.openapi()["components"]["schemas"]  # type: ignore[attr-defined]
    feed_fields = {"key", "isNew", "deleted", "pending", "updatedAt", "version"}
    for entity, model in ((PRICES, "PriceEntry"), (STOCK, "StockRecord")):
        own = {f["name"] for f in codec(entity.schema).schema["fields"]}
        own -= {"position", "sourceTsMs"}
        documented = schemas[model]["properties"]
        assert set(documented) == own | feed_fields
        assert set(schemas[model]["required"]) == set(documented)
        for field in (*entity.feed.keep_while_pending, *entity.feed.sticky_while_pending):
            assert "While pending" in documented[field]["description"]
    assert set(schemas["Pricelist"]["properties"]) == {
        "id", "name", "currency", "currencyId", "active", "deleted", "entryCount",
    }  # fmt: skip
