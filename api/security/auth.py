"""Bearer-token authentication, scope checks and rate limiting, as one FastAPI dependency.

Per request: the token's SHA-256 is looked up in a per-worker TTL cache (a database query
only on a miss, at most once per ``api_token_cache_ttl_s`` per token and worker), then one
upsert counts the request against the token's rate limit in PostgreSQL. ``last_used_at`` is
written in the background, at most once per ``api_token_last_used_every_s`` per token and
worker. Revocation thus
takes effect within the cache TTL (at once on the worker that revoked); expiry is checked
against the cached expiry time on every request, so it is exact.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Annotated

import structlog
from cachetools import TTLCache
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from api.problems import PROBLEM_TYPES, ApiProblem
from api.security.ratelimit import COUNT_SQL, Decision, Policy, policy_for
from api.security.store import find_by_hash
from api.security.tokens import SCOPES, ApiToken, hash_secret, looks_like_secret
from core.settings import Settings

log = structlog.get_logger(__name__)
REALM = "atraxion"
RATE_LIMIT_STATE = "rate_limit_headers"

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    bearerFormat="atx_<43 url-safe characters>",
    description="An API token (`atraxion token create`, or `POST /api/v1/tokens`). "
    "Each operation lists the scope it needs.",
)


class Guard:
    """Per-worker state of the security layer: the token cache and the rate-limit policies."""

    def __init__(self, settings: Settings) -> None:
        self.last_used_every = settings.api_token_last_used_every_s
        self.db_timeout = settings.api_db_timeout_s
        self.policies: dict[str, Policy] = {
            scope: Policy.parse(scope, getattr(settings, f"rate_limit_{scope}")) for scope in SCOPES
        }
        # Known tokens and unknown secrets, each by SHA-256, with their own TTL.
        self.known: TTLCache[str, ApiToken] = TTLCache(10_000, settings.api_token_cache_ttl_s)
        self.unknown: TTLCache[str, bool] = TTLCache(10_000, settings.api_token_negative_ttl_s)
        self._last_used: dict[int, float] = {}  # token id -> monotonic time last recorded
        self._tasks: set[asyncio.Task[None]] = set()

    async def token(self, pool: AsyncConnectionPool, secret: str) -> ApiToken | None:
        if not looks_like_secret(secret):
            return None
        key = hash_secret(secret)
        if key in self.known:
            return self.known[key]
        if key in self.unknown:
            return None
        async with pool.connection(timeout=self.db_timeout) as conn:
            token = await find_by_hash(conn, key)
        if token is None:
            self.unknown[key] = True
        else:
            self.known[key] = token
        return token

    def forget(self, token_hash: str) -> None:
        """Drop a cached token (this worker revoked it)."""
        self.known.pop(token_hash, None)

    async def count(self, pool: AsyncConnectionPool, token: ApiToken) -> Decision:
        """Count this request against the token's rate limit (shared by every worker)."""
        policy = policy_for(token.scopes, self.policies)
        params = {"id": token.id, "window_s": policy.window_s}
        async with pool.connection(timeout=self.db_timeout) as conn:
            cur = await conn.cursor(row_factory=dict_row).execute(COUNT_SQL, params)
            row = await cur.fetchone()
        assert row is not None  # the upsert always returns its row
        self._note_use(pool, token.id)
        return Decision(policy, row["hits"], row["reset_s"])

    def _note_use(self, pool: AsyncConnectionPool, token_id: int) -> None:
        """Record last_used_at in the background, at most once per interval per token (and
        worker): never an extra round trip on the request's path."""
        now = time.monotonic()
        last = self._last_used.get(token_id)
        if last is not None and now - last < self.last_used_every:
            return
        self._last_used[token_id] = now
        task = asyncio.create_task(self._touch(pool, token_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _touch(self, pool: AsyncConnectionPool, token_id: int) -> None:
        try:
            async with pool.connection(timeout=self.db_timeout) as conn:
                await conn.execute(
                    "UPDATE api_token SET last_used_at = now() WHERE id = %s", (token_id,)
                )
        except Exception as exc:  # best effort: the next interval tries again
            log.warning("api.last_used_failed", token_id=token_id, error=str(exc))


def _challenge(error: str | None = None, **params: str) -> dict[str, str]:
    parts = [f'Bearer realm="{REALM}"']
    if error:
        parts.append(f'error="{error}"')
    parts += [f'{k}="{v}"' for k, v in params.items()]
    return {"WWW-Authenticate": ", ".join(parts)}


def unauthorized(detail: str, error: str | None = "invalid_token") -> ApiProblem:
    # RFC 6750 3.1: no error code when the request carried no credentials at all.
    return ApiProblem(
        401,
        detail,
        type_=PROBLEM_TYPES + "unauthorized",
        headers=_challenge(error, error_description=detail) if error else _challenge(),
    )


_STATE_DETAIL = {
    "revoked": "The token has been revoked.",
    "expired": "The token has expired.",
}


async def authenticate(
    security_scopes: SecurityScopes,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiToken:
    """The token of the request, which has every scope the operation requires and is within
    its rate limit; else 401, 403 or 429 (or 503 when the database is unreachable)."""
    if credentials is None:
        raise unauthorized("A bearer token is required: `Authorization: Bearer <token>`.", None)
    guard: Guard = request.app.state.guard
    pool: AsyncConnectionPool = request.app.state.pool
    token = await guard.token(pool, credentials.credentials)
    if token is None:
        raise unauthorized("The token is not valid.")
    state = token.state(datetime.now(UTC))
    if state != "active":
        raise unauthorized(_STATE_DETAIL[state])
    missing = token.missing_scopes(security_scopes.scopes)
    if missing:
        raise ApiProblem(
            403,
            f"The token lacks the scope this operation requires: {' '.join(missing)}.",
            type_=PROBLEM_TYPES + "insufficient-scope",
            headers=_challenge("insufficient_scope", scope=" ".join(security_scopes.scopes)),
        )
    decision = await guard.count(pool, token)
    headers = decision.headers()
    setattr(request.state, RATE_LIMIT_STATE, headers)  # added to the response (middleware)
    if not decision.allowed:
        raise ApiProblem(
            429,
            f"Rate limit of {decision.policy.quota} requests per {decision.policy.window_s} s "
            f"exceeded; retry in {decision.retry_after()} s.",
            type_=PROBLEM_TYPES + "rate-limited",
            headers={**headers, "Retry-After": decision.retry_after()},
        )
    return token
