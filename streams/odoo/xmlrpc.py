"""Odoo's XML-RPC API (``/xmlrpc/2``, Odoo up to 19), through the standard library's
``xmlrpc.client``.

``/xmlrpc/2/common`` ``authenticate(db, login, password, {})`` gives the user id once; every
call is then ``/xmlrpc/2/object`` ``execute_kw(db, uid, password, model, method, args,
kwargs)``. The password may be one of the user's API keys. ``xmlrpc.client`` blocks, so calls
run in a thread pool as large as the sink's concurrency, each thread with its own proxies
(a ``ServerProxy`` keeps one HTTP connection and is not safe to share between threads), each
call sent exactly once.
"""

from __future__ import annotations

import asyncio
import http.client
import threading
import time
import xmlrpc.client
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from streams.odoo.client import Domain, search_read_params
from streams.odoo.errors import OdooCallError, from_exception

T = TypeVar("T")
# A connection idle longer than this is not reused: a server that closed it meanwhile would
# fail the next call, and calls are not sent twice (see _Transport).
IDLE_REUSE_S = 2.0


class _Transport(xmlrpc.client.Transport):
    """HTTP with a timeout per call, and each call sent once.

    ``xmlrpc.client.Transport.request`` silently sends a request a second time when the
    connection drops without an answer (meant for a kept-alive connection gone cold). For a
    ``create`` that Odoo committed before the connection dropped, that is a second order
    (measured against the stand-in's dropped-after-commit faults). Here the failure goes up
    as transient instead, and the step's retry searches before it creates again.
    """

    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self._timeout_s = timeout_s

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        connection = super().make_connection(host)
        connection.timeout = self._timeout_s
        return connection

    def request(self, host: Any, handler: str, request_body: bytes, verbose: bool = False) -> Any:
        return self.single_request(host, handler, request_body, verbose)


class _SafeTransport(xmlrpc.client.SafeTransport):
    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self._timeout_s = timeout_s

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        connection = super().make_connection(host)
        connection.timeout = self._timeout_s
        return connection

    def request(self, host: Any, handler: str, request_body: bytes, verbose: bool = False) -> Any:
        return self.single_request(host, handler, request_body, verbose)


class XmlRpcApi:
    def __init__(
        self,
        url: str,
        *,
        database: str,
        login: str,
        password: str,
        timeout_s: float,
        threads: int,
    ) -> None:
        self.url = url.rstrip("/")
        self.database = database
        self.login = login
        self.password = password
        self.timeout_s = timeout_s
        self._executor = ThreadPoolExecutor(max(1, threads), thread_name_prefix="odoo-xmlrpc")
        self._local = threading.local()
        self._uid: int | None = None
        self._uid_lock = asyncio.Lock()

    def _proxy(self, service: str) -> xmlrpc.client.ServerProxy:
        state = self._local.__dict__
        now = time.monotonic()
        if now - state.get("used_at", now) > IDLE_REUSE_S:
            state.pop("proxies", None)  # the server may have closed it meanwhile
        state["used_at"] = now
        proxies: dict[str, xmlrpc.client.ServerProxy] = state.setdefault("proxies", {})
        if service not in proxies:
            transport_type = _SafeTransport if self.url.startswith("https:") else _Transport
            proxies[service] = xmlrpc.client.ServerProxy(
                f"{self.url}/xmlrpc/2/{service}", transport=transport_type(self.timeout_s)
            )
        return proxies[service]

    async def _run(self, call: Callable[[], T]) -> T:
        def guarded() -> T:
            try:
                return call()
            except Exception as exc:
                # The connection may be half used: the next call of this thread starts anew.
                self._local.__dict__.pop("proxies", None)
                raise from_exception(exc) from exc

        return await asyncio.get_running_loop().run_in_executor(self._executor, guarded)

    async def _user_id(self) -> int:
        async with self._uid_lock:
            if self._uid is None:
                uid = await self._run(
                    lambda: self._proxy("common").authenticate(
                        self.database, self.login, self.password, {}
                    )
                )
                if not isinstance(uid, int) or isinstance(uid, bool):
                    raise OdooCallError(
                        transient=False,
                        name="odoo.exceptions.AccessDenied",
                        message=f"login {self.login!r} refused by database {self.database!r}",
                    )
                self._uid = uid
            return self._uid

    async def _execute(
        self, model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None
    ) -> Any:
        uid = await self._user_id()
        return await self._run(
            lambda: self._proxy("object").execute_kw(
                self.database, uid, self.password, model, method, args, kwargs or {}
            )
        )

    async def search_read(
        self,
        model: str,
        domain: Domain,
        fields: list[str],
        *,
        limit: int | None = None,
        order: str | None = None,
    ) -> list[dict[str, Any]]:
        found = await self._execute(
            model, "search_read", [domain], search_read_params(fields, limit, order)
        )
        return list(found)

    async def create(self, model: str, values: dict[str, Any]) -> int:
        # Positional: Odoo 16/17 read create's values from args[0] only.
        created = await self._execute(model, "create", [values])
        return int(created[0] if isinstance(created, list) else created)

    async def call(self, model: str, method: str, ids: list[int]) -> Any:
        return await self._execute(model, method, [ids])

    async def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
