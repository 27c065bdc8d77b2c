"""An Odoo in memory for the order sink's unit tests: the three operations of ``OdooApi`` over
dicts, with the domain operators the sink uses, and failures on demand (before a call runs,
or after it ran: the answer lost, as when a connection drops after Odoo committed)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from streams.odoo.errors import OdooCallError


def transient(what: str = "connection reset") -> OdooCallError:
    return OdooCallError(transient=True, name="ConnectionResetError", message=what)


def permanent(what: str = "refused") -> OdooCallError:
    return OdooCallError(transient=False, name="odoo.exceptions.ValidationError", message=what)


class MemoryOdoo:
    def __init__(self) -> None:
        self.records: dict[str, dict[int, dict[str, Any]]] = {
            "res.partner": {},
            "sale.order": {},
        }
        self.calls: list[tuple[str, str]] = []
        # (model, method) -> failures to raise, in turn; "lost" ones run the call first.
        self.failures: dict[tuple[str, str], list[tuple[OdooCallError, bool]]] = {}
        # Awaited before each call with (model, method, domain or values or ids).
        self.on_call: Callable[[str, str, Any], Awaitable[None]] | None = None
        self._next_id = 100

    def fail(self, model: str, method: str, error: OdooCallError, *, lost: bool = False) -> None:
        self.failures.setdefault((model, method), []).append((error, lost))

    def add(self, model: str, **values: Any) -> int:
        self._next_id += 1
        self.records.setdefault(model, {})[self._next_id] = {"id": self._next_id, **values}
        return self._next_id

    async def _enter(
        self, model: str, method: str, payload: Any
    ) -> tuple[OdooCallError, bool] | None:
        self.calls.append((model, method))
        if self.on_call is not None:
            await self.on_call(model, method, payload)
        queued = self.failures.get((model, method))
        failure = queued.pop(0) if queued else None
        if failure is not None and not failure[1]:
            raise failure[0]
        return failure

    @staticmethod
    def _matches(record: dict[str, Any], domain: list[Any]) -> bool:
        for field, op, value in domain:
            have = record.get(field, False)
            if op == "=" and have != value:
                return False
            if op == "=ilike" and str(have).lower() != str(value).lower():
                return False
        return True

    async def search_read(
        self,
        model: str,
        domain: list[Any],
        fields: list[str],
        *,
        limit: int | None = None,
        order: str | None = None,
    ) -> list[dict[str, Any]]:
        lost = await self._enter(model, "search_read", domain)
        found = [
            {f: r.get(f, False) for f in fields}
            for _, r in sorted(self.records.get(model, {}).items())
            if self._matches(r, domain)
        ][:limit]
        if lost:
            raise lost[0]
        return found

    async def create(self, model: str, values: dict[str, Any]) -> int:
        lost = await self._enter(model, "create", values)
        extra = {}
        if model == "sale.order":
            extra = {"name": f"S{self._next_id + 1:05d}", "state": "draft"}
        new_id = self.add(model, **values, **extra)
        if lost:
            raise lost[0]
        return new_id

    async def call(self, model: str, method: str, ids: list[int]) -> Any:
        lost = await self._enter(model, method, ids)
        assert method == "action_confirm"
        for order_id in ids:
            order = self.records[model][order_id]
            if order["state"] not in ("draft", "sent"):
                raise permanent("not in a state requiring confirmation")
            order["state"] = "sale"
        if lost:
            raise lost[0]
        return True

    async def close(self) -> None:
        return None

    def orders(self, reference: str) -> list[dict[str, Any]]:
        return [
            r for r in self.records["sale.order"].values() if r["client_order_ref"] == reference
        ]
