"""How the integration tests read the computed feeds (prices, stock) through the API; what
they should hold comes from deploy/verify.py (the pure computations over Odoo's rows)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import psycopg

from deploy.verify import expected
from schemas.entities import PRICES as PRICE_ENTITY
from schemas.entities import STOCK as STOCK_ENTITY

PRICES = "/api/v1/pricelists"
STOCK = "/api/v1/stocks"


def expected_prices(odoo: psycopg.Connection) -> dict[str, dict[str, Any]]:
    return expected(odoo, PRICE_ENTITY)


def expected_stock(odoo: psycopg.Connection) -> dict[str, dict[str, Any]]:
    return expected(odoo, STOCK_ENTITY)


def moved(before: dict[str, dict], after: dict[str, dict]) -> set[str]:
    """Keys whose records differ, appeared or disappeared: what the processor publishes."""
    return {k for k in set(before) | set(after) if before.get(k) != after.get(k)}


def pages(api: httpx.Client, path: str, **params: Any) -> Iterator[dict[str, Any]]:
    cursor = None
    while True:
        query = {"limit": 1000, **params} | ({"cursor": cursor} if cursor else {})
        response = api.get(path, params=query)
        response.raise_for_status()
        page = response.json()
        yield from page["data"]
        cursor = page["nextCursor"]
        if cursor is None:
            return


def served_prices(api: httpx.Client) -> dict[str, dict[str, Any]]:
    """Every current price entry, pricelist by pricelist."""
    response = api.get(PRICES)
    response.raise_for_status()
    served: dict[str, dict[str, Any]] = {}
    for pricelist in response.json()["data"]:
        for entry in pages(api, f"{PRICES}/{pricelist['id']}/items"):
            served[entry["key"]] = entry
    return served


def served_stock(api: httpx.Client, variant_ids: list[int]) -> dict[str, dict[str, Any]]:
    served: dict[str, dict[str, Any]] = {}
    for variant_id in variant_ids:
        for record in pages(api, f"{STOCK}/by-product/{variant_id}"):
            served[record["key"]] = record
    return served


def pending_prices(api: httpx.Client) -> dict[str, dict[str, Any]]:
    return {e["key"]: e for e in pages(api, f"{PRICES}/updated")}


def pending_stock(api: httpx.Client) -> dict[str, dict[str, Any]]:
    return {r["key"]: r for r in pages(api, f"{STOCK}/changed")}


def mark_all_processed(api: httpx.Client) -> None:
    for path, pending in (
        (f"{PRICES}/updated", pending_prices),
        (f"{STOCK}/changed", pending_stock),
    ):
        keys = sorted(pending(api))
        for start in range(0, len(keys), 10_000):
            response = api.post(f"{path}/batch-delete", json={"keys": keys[start : start + 10_000]})
            response.raise_for_status()
