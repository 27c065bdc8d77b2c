"""The Odoo external API as the order sink uses it: three operations, two protocols.

``OdooApi`` is all the sink needs of Odoo: ``search_read``, ``create`` (one record) and
``call`` (a method on records, such as ``sale.order.action_confirm``). ``connect`` picks the
protocol from ``ATRAXION_ODOO_PROTOCOL``: XML-RPC ``execute_kw`` (xmlrpc.py; Odoo up to 19) or
JSON-2 (json2.py; Odoo 19+). Both raise ``OdooCallError`` (errors.py) for every failure,
classified transient or permanent.
"""

from __future__ import annotations

from typing import Any, Protocol

from core.settings import Settings

Domain = list[tuple[str, str, Any]]


class OdooApi(Protocol):
    async def search_read(
        self,
        model: str,
        domain: Domain,
        fields: list[str],
        *,
        limit: int | None = None,
        order: str | None = None,
    ) -> list[dict[str, Any]]: ...

    async def create(self, model: str, values: dict[str, Any]) -> int: ...

    async def call(self, model: str, method: str, ids: list[int]) -> Any: ...

    async def close(self) -> None: ...


def connect(settings: Settings) -> OdooApi:
    """The client of ``settings.odoo_protocol`` for ``settings.odoo_url``."""
    if settings.odoo_protocol == "json2":
        from streams.odoo.json2 import Json2Api

        return Json2Api(
            settings.odoo_url,
            database=settings.odoo_database,
            api_key=settings.odoo_api_key,
            timeout_s=settings.odoo_timeout_s,
            connections=settings.order_sink_concurrency,
        )
    from streams.odoo.xmlrpc import XmlRpcApi

    return XmlRpcApi(
        settings.odoo_url,
        database=settings.odoo_database,
        login=settings.odoo_user,
        password=settings.odoo_password,
        timeout_s=settings.odoo_timeout_s,
        threads=settings.order_sink_concurrency,
    )


def search_read_params(fields: list[str], limit: int | None, order: str | None) -> dict[str, Any]:
    """search_read's keyword arguments, without the unset ones (XML-RPC cannot send None)."""
    params: dict[str, Any] = {"fields": fields}
    if limit is not None:
        params["limit"] = limit
    if order is not None:
        params["order"] = order
    return params
