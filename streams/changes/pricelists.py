"""Pricelists: the ``Computation`` of the pricelists entity (atraxion.pricelists), one record
per ``product_pricelist`` row, keyed by its id, with its currency's ISO code."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any, ClassVar

from streams.changes.records import Fields, Record, Row
from streams.kafka.deadletter import PoisonEvent


class PricelistComputation:
    columns: ClassVar[Mapping[str, frozenset[str]]] = {
        "product_pricelist": frozenset({"id", "name", "currency_id", "active"}),
        "res_currency": frozenset({"id", "name"}),
    }

    def __init__(self) -> None:
        self.pricelists: dict[int, Row] = {}
        self.currencies: dict[int, str] = {}

    def relevant(self, table: str, row: Row) -> bool:
        return True

    def apply(self, table: str, row_id: int, row: Row | None) -> Iterable[Hashable]:
        if table == "product_pricelist":
            if row is None:
                self.pricelists.pop(row_id, None)
            elif not isinstance(row.get("currency_id"), int):
                raise PoisonEvent("product_pricelist row without currency_id")
            else:
                self.pricelists[row_id] = row
            return (row_id,)
        if table == "res_currency":
            if row is None:
                self.currencies.pop(row_id, None)
            else:
                self.currencies[row_id] = str(row.get("name") or "")
            return [p for p, r in self.pricelists.items() if r["currency_id"] == row_id]
        raise PoisonEvent(f"pricelists do not read table {table}")

    def records(self, subject: Hashable) -> dict[str, Fields]:
        row = self.pricelists.get(subject)  # type: ignore[call-overload]
        if row is None:
            return {}
        return {
            str(subject): {
                "pricelistId": subject,
                "name": translated(row.get("name")),
                "currencyId": row["currency_id"],
                "currency": self.currencies.get(row["currency_id"]),
                "active": row.get("active") is not False,
            }
        }

    def subjects(self) -> Iterable[Hashable]:
        return list(self.pricelists)

    def subject_of(self, key: str) -> Hashable:
        return int(key)

    def with_previous(self, fields: Fields, previous: Record | None) -> Fields:
        return fields


def translated(value: Any) -> str | None:
    """An Odoo 16+ translatable value ({"en_US": ...}) in English, else its first language."""
    if isinstance(value, dict):
        if "en_US" in value:
            return str(value["en_US"])
        return str(next(iter(value.values()))) if value else None
    return None if value is None else str(value)
