"""/api/v1/tokens: API token administration (admin scope)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

from api.deps import DbConn, require_scope
from api.models.tokens import TokenCreate, TokenCreated, TokenPublic
from api.openapi import PROTECTED, problem_responses
from api.problems import ApiProblem
from api.security import store
from api.security.tokens import NAME_PATTERN, parse_duration

router = APIRouter(
    prefix="/api/v1/tokens",
    tags=["tokens"],
    dependencies=[require_scope("admin")],
    responses=PROTECTED,
)

TokenName = Annotated[str, Path(pattern=NAME_PATTERN, max_length=64)]


@router.get("", response_model=list[TokenPublic])
async def list_tokens(conn: DbConn) -> list[TokenPublic]:
    """Every token, revoked and expired ones included (never the secrets)."""
    return [_public(r) for r in await store.list_tokens(conn)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenCreated,
    responses=problem_responses(409, _409="A token with this name exists"),
)
async def create_token(conn: DbConn, body: TokenCreate) -> TokenCreated:
    """A new token. Its secret is in this response only."""
    expires_in = parse_duration(body.expiresIn) if body.expiresIn else None
    try:
        created = await store.create_token(conn, body.name, body.scopes, expires_in)
    except store.TokenExists:
        raise ApiProblem(409, f"A token named {body.name!r} exists.") from None
    return TokenCreated(**_public(created.record).model_dump(), token=created.secret)


@router.get("/{name}", response_model=TokenPublic, responses=problem_responses(404))
async def get_token(conn: DbConn, name: TokenName) -> TokenPublic:
    record = await store.get_token(conn, name)
    if record is None:
        raise ApiProblem(404, f"No token named {name!r}.")
    return _public(record)


@router.delete(
    "/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404),
)
async def revoke_token(request: Request, conn: DbConn, name: TokenName) -> Response:
    """Revoke a token (idempotent: a revoked token answers 204 again and keeps its
    ``revokedAt``, which ``GET`` shows). This worker forgets it at once; the other workers
    within ``ATRAXION_API_TOKEN_CACHE_TTL_S`` seconds (5 by default)."""
    revoked = await store.revoke_token(conn, name)
    if revoked is None:
        raise ApiProblem(404, f"No token named {name!r}.")
    request.app.state.guard.forget(revoked.token_hash)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _public(record: store.TokenRecord) -> TokenPublic:
    return TokenPublic(
        name=record.name,
        scopes=record.scopes,  # type: ignore[arg-type]
        prefix=record.prefix,
        createdAt=record.created_at,
        expiresAt=record.expires_at,
        active=record.active,
        revokedAt=record.revoked_at,
        lastUsedAt=record.last_used_at,
    )
