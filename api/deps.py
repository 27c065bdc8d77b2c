"""Dependency aliases used by the routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from psycopg import AsyncConnection
from psycopg.rows import dict_row


async def _connection(request: Request) -> AsyncIterator[AsyncConnection]:
    async with request.app.state.pool.connection() as conn:
        conn.row_factory = dict_row
        yield conn


DbConn = Annotated[AsyncConnection, Depends(_connection)]
