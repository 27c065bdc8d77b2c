"""Odoo's JSON-2 API (Odoo 19+): ``POST /json/2/<model>/<method>`` with a JSON object of the
method's named arguments (``ids`` for a method on records), ``Authorization: bearer <API
key>`` and ``X-Odoo-Database``; 200 with the method's return value as JSON, else a 4xx/5xx
with ``{"name", "message", "arguments", "context", "debug"}``. Each call is its own
transaction in Odoo. Through httpx, asynchronously, with one connection pool.
"""

from __future__ import annotations

from typing import Any

import httpx

from streams.odoo.client import Domain, search_read_params
from streams.odoo.errors import from_exception, from_http

USER_AGENT = "atraxion-order-sink"


class Json2Api:
    def __init__(
        self,
        url: str,
        *,
        database: str,
        api_key: str,
        timeout_s: float,
        connections: int,
        transport: httpx.AsyncBaseTransport | None = None,  # tests: httpx.MockTransport
    ) -> None:
        headers = {"Authorization": f"bearer {api_key}", "User-Agent": USER_AGENT}
        if database:
            headers["X-Odoo-Database"] = database
        self._http = httpx.AsyncClient(
            base_url=url.rstrip("/") + "/json/2/",
            headers=headers,
            timeout=timeout_s,
            limits=httpx.Limits(max_connections=max(1, connections)),
            follow_redirects=False,  # Odoo before 19 redirects to its login page
            transport=transport,
        )

    async def _post(self, model: str, method: str, body: dict[str, Any]) -> Any:
        try:
            response = await self._http.post(f"{model}/{method}", json=body)
        except Exception as exc:
            raise from_exception(exc) from exc
        if response.status_code != 200:
            try:
                error = response.json()
            except ValueError:
                error = None
            raise from_http(response.status_code, error if isinstance(error, dict) else None)
        try:
            return response.json()
        except ValueError as exc:
            raise from_exception(exc) from exc

    async def search_read(
        self,
        model: str,
        domain: Domain,
        fields: list[str],
        *,
        limit: int | None = None,
        order: str | None = None,
    ) -> list[dict[str, Any]]:
        body = {"domain": domain, **search_read_params(fields, limit, order)}
        return list(await self._post(model, "search_read", body))

    async def create(self, model: str, values: dict[str, Any]) -> int:
        created = await self._post(model, "create", {"vals_list": [values]})
        return int(created[0] if isinstance(created, list) else created)

    async def call(self, model: str, method: str, ids: list[int]) -> Any:
        return await self._post(model, method, {"ids": ids})

    async def close(self) -> None:
        await self._http.aclose()
