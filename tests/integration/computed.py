"""What the computed feeds (prices, stock) should hold, computed straight from the Odoo
database with the pure computations, and how to read them through the API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from itertools import product
from typing import Any

import httpx
import psycopg
from psycopg import sql

from streams.changes.prices import PriceComputation
from streams.changes.records import Computation
from streams.changes.stock import StockComputation

PRICES = "/api/v1/pricelists"
STOCK = "/api/v1/stocks"
# The fields a price entry / stock record is compared on (the rest is bookkeeping).
PRICE_FIELDS = ("price", "regularPrice", "isPromo", "dateStart", "dateEnd", "minQuantity")
STOCK_FIELDS = ("quantity", "reservedQuantity", "price", "minQuantity", "leadTimeDays")
_EPOCH = datetime(1970, 1, 1)


def _as_debezium(value: Any) -> Any:
    """A column value as Debezium's JSON converter delivers it with this stack's connector
    settings (decimal.handling.mode=double, time.precision.mode=connect)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return int((value - _EPOCH).total_seconds() * 1000)
    if isinstance(value, date):
        return (value - _EPOCH.date()).days
    return value


def load(odoo: psycopg.Connection, computation: Computation) -> Computation:
    for table, columns in computation.columns.items():
        query = sql.SQL("SELECT {} FROM {}").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in sorted(columns)), sql.Identifier(table)
        )
        with odoo.cursor(row_factory=psycopg.rows.dict_row) as cur:
            for row in cur.execute(query):
                converted = {c: _as_debezium(v) for c, v in row.items()}
                list(computation.apply(table, converted["id"], converted))
    return computation


def expected_prices(odoo: psycopg.Connection) -> dict[str, dict[str, Any]]:
    c = load(odoo, PriceComputation())
    assert isinstance(c, PriceComputation)
    out: dict[str, dict[str, Any]] = {}
    for subject in product(list(c.pricelists), list(c.variants)):
        out.update(c.records(subject))
    return out


def expected_stock(odoo: psycopg.Connection) -> dict[str, dict[str, Any]]:
    c = load(odoo, StockComputation())
    out: dict[str, dict[str, Any]] = {}
    for variant_id in list(c.variants):  # type: ignore[attr-defined]
        out.update(c.records(variant_id))
    return out


def moved(before: dict[str, dict], after: dict[str, dict], fields: tuple[str, ...]) -> set[str]:
    """Keys whose compared fields differ, appeared or disappeared."""
    keys = set(before) | set(after)
    return {
        k
        for k in keys
        if k not in before
        or k not in after
        or any(before[k].get(f) != after[k].get(f) for f in fields)
    }


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


def differences(
    expected: dict[str, dict], served: dict[str, dict], fields: tuple[str, ...]
) -> list[str]:
    """Human-readable differences; empty when the feed holds exactly what is expected."""
    out = [f"missing {k}" for k in sorted(set(expected) - set(served))]
    out += [f"unexpected {k}" for k in sorted(set(served) - set(expected))]
    for key in sorted(set(expected) & set(served)):
        for field in fields:
            if expected[key].get(field) != served[key].get(field):
                out.append(f"{key}.{field}: {served[key].get(field)!r} != {expected[key][field]!r}")
    return out


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
