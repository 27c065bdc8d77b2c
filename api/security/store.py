"""API tokens in the read-model database (table ``api_token``): used by the API, the CLI
(``atraxion token ...``) and the embedded stack, which mints one token per scope.

The async functions expect a connection in autocommit mode (the API's pool and the CLI's).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from api.security.tokens import (
    ApiToken,
    display_prefix,
    generate_secret,
    hash_secret,
    normalize_scopes,
)

COLUMNS = "id, name, prefix, scopes, created_at, expires_at, active, revoked_at, last_used_at"


class TokenExists(Exception):
    pass


@dataclass(frozen=True)
class TokenRecord:
    """A row of api_token, without the hash."""

    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    active: bool
    revoked_at: datetime | None
    last_used_at: datetime | None

    def state(self, now: datetime) -> str:
        return self.as_api_token().state(now)

    def as_api_token(self) -> ApiToken:
        return ApiToken(self.id, self.name, frozenset(self.scopes), self.expires_at, self.active)


@dataclass(frozen=True)
class CreatedToken:
    record: TokenRecord
    secret: str  # shown once


def _record(row: Mapping[str, Any]) -> TokenRecord:
    return TokenRecord(**{k: row[k] for k in TokenRecord.__dataclass_fields__})


async def find_by_hash(conn: AsyncConnection, token_hash: str) -> ApiToken | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        "SELECT id, name, scopes, expires_at, active FROM api_token WHERE token_hash = %s",
        (token_hash,),
    )
    row = await cur.fetchone()
    if row is None:
        return None
    return ApiToken(
        row["id"], row["name"], frozenset(row["scopes"]), row["expires_at"], row["active"]
    )


async def create_token(
    conn: AsyncConnection,
    name: str,
    scopes: Iterable[str],
    expires_in: timedelta | None = None,
) -> CreatedToken:
    secret = generate_secret()
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        f"""INSERT INTO api_token (name, prefix, token_hash, scopes, expires_at)
            VALUES (%s, %s, %s, %s, now() + %s)
            ON CONFLICT (name) DO NOTHING
            RETURNING {COLUMNS}""",
        (name, display_prefix(secret), hash_secret(secret), normalize_scopes(scopes), expires_in),
    )
    row = await cur.fetchone()
    if row is None:
        raise TokenExists(name)
    return CreatedToken(_record(row), secret)


async def list_tokens(conn: AsyncConnection) -> list[TokenRecord]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(f"SELECT {COLUMNS} FROM api_token ORDER BY name")
    rows = await cur.fetchall()
    return [_record(r) for r in rows]


async def get_token(conn: AsyncConnection, name: str) -> TokenRecord | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(f"SELECT {COLUMNS} FROM api_token WHERE name = %s", (name,))
    row = await cur.fetchone()
    return _record(row) if row else None


@dataclass(frozen=True)
class Revoked:
    record: TokenRecord  # as it is now revoked
    token_hash: str  # for the API's token cache to forget
    already: bool  # revoked before this call: nothing changed (record.revoked_at says when)


async def revoke_token(conn: AsyncConnection, name: str) -> Revoked | None:
    """Deactivate ``name``, or None when there is no such token. A token revoked already
    stays as it was (``already``), its revocation time included."""
    cur = conn.cursor(row_factory=dict_row)
    async with conn.transaction():
        await cur.execute(
            f"SELECT {COLUMNS}, token_hash FROM api_token WHERE name = %s FOR UPDATE", (name,)
        )
        row = await cur.fetchone()
        if row is None:
            return None
        if not row["active"]:
            return Revoked(_record(row), row["token_hash"], already=True)
        await cur.execute(
            f"""UPDATE api_token SET active = false, revoked_at = coalesce(revoked_at, now())
                 WHERE id = %s
             RETURNING {COLUMNS}, token_hash""",
            (row["id"],),
        )
        row = await cur.fetchone()
        assert row is not None  # locked above
        await cur.execute("DELETE FROM api_rate_limit WHERE token_id = %s", (row["id"],))
    return Revoked(_record(row), row["token_hash"], already=False)


def mint_tokens(dsn: str, names: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Create or rotate tokens ``{name: scopes}`` without expiry; returns ``{name: secret}``.

    Used by the embedded stack at every start: the old secrets of these names stop working.
    """
    secrets: dict[str, str] = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name, scopes in names.items():
            secret = generate_secret()
            conn.execute(
                """INSERT INTO api_token (name, prefix, token_hash, scopes)
                   VALUES (%s, %s, %s, %s)
                   ON CONFLICT (name) DO UPDATE SET
                       prefix = EXCLUDED.prefix, token_hash = EXCLUDED.token_hash,
                       scopes = EXCLUDED.scopes, created_at = now(), expires_at = NULL,
                       active = true, revoked_at = NULL, last_used_at = NULL""",
                (name, display_prefix(secret), hash_secret(secret), normalize_scopes(scopes)),
            )
            secrets[name] = secret
    return secrets
