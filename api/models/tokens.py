"""API token resources (FastAPI full-stack template style: Base / Create / Public)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from api.security.tokens import (
    DURATION_PATTERN,
    NAME_PATTERN,
    Scope,
    normalize_scopes,
)


class TokenBase(BaseModel):
    name: str = Field(
        pattern=NAME_PATTERN,
        max_length=64,
        description="Unique name: letters, digits, `.`, `_`, `-`",
        examples=["webshop-prod"],
    )
    scopes: list[Scope] = Field(
        min_length=1, max_length=3, description="What the token may call", examples=[["webshop"]]
    )

    @field_validator("scopes")
    @classmethod
    def _canonical_scopes(cls, scopes: list[str]) -> list[str]:
        return list(normalize_scopes(scopes))


class TokenCreate(TokenBase):
    expiresIn: str | None = Field(
        default=None,
        pattern=DURATION_PATTERN,
        description="Lifetime: a number and s, m, h, d or w (up to 8 digits of seconds, 6 of "
        "minutes, 4 of hours, 3 of days, 2 of weeks); null for a token that does not expire",
        examples=["30d"],
    )


class TokenPublic(TokenBase):
    prefix: str = Field(description="First characters of the secret, to tell tokens apart")
    createdAt: datetime
    expiresAt: datetime | None
    active: bool = Field(description="False once revoked")
    revokedAt: datetime | None
    lastUsedAt: datetime | None = Field(
        description="Last authenticated request (updated at most once a minute)"
    )


class TokenCreated(TokenPublic):
    token: str = Field(description="The secret. Shown only in this response: store it now.")
