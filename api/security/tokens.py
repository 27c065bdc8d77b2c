"""API tokens: pure domain logic (no I/O).

A token's secret is ``atx_`` + 43 url-safe characters (32 random bytes). Only its SHA-256
(hex) is stored: the secret has 256 bits of entropy, so a fast hash is enough and lets every
request be checked without a slow KDF. ``prefix`` (``atx_`` + 6 characters) is kept in the
clear so that people can tell their tokens apart in listings.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Scope = Literal["webshop", "odoo", "admin"]
SCOPES: tuple[Scope, ...] = ("webshop", "odoo", "admin")

SECRET_PREFIX = "atx_"
_SECRET_BYTES = 32
_SECRET_LENGTH = len(SECRET_PREFIX) + 43  # token_urlsafe(32) is 43 characters
_SECRET_RE = re.compile(r"^atx_[A-Za-z0-9_-]{43}$")
_PREFIX_LENGTH = len(SECRET_PREFIX) + 6

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
# A lifetime: up to 8 digits of seconds, 6 of minutes, 4 of hours, 3 of days or 2 of weeks
# (so at most 99,999,999 s, about 3.2 years). The bound is in the pattern itself, so the
# OpenAPI document states exactly what is accepted.
DURATION_PATTERN = (
    r"^(?:[1-9][0-9]{0,7}s|[1-9][0-9]{0,5}m|[1-9][0-9]{0,3}h|[1-9][0-9]{0,2}d|[1-9][0-9]?w)$"
)
_DURATION_RE = re.compile(DURATION_PATTERN)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def generate_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def display_prefix(secret: str) -> str:
    return secret[:_PREFIX_LENGTH]


def looks_like_secret(value: str) -> bool:
    """Shape check before any lookup: garbage never reaches the cache or the database."""
    return len(value) == _SECRET_LENGTH and _SECRET_RE.match(value) is not None


def valid_name(name: str) -> bool:
    return re.fullmatch(NAME_PATTERN[1:-1], name) is not None


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``12h``, ``30d``, ``2w`` -> timedelta (see DURATION_PATTERN)."""
    text = text.strip()
    if _DURATION_RE.match(text) is None:
        raise ValueError(
            f"not a duration: {text!r} (a positive number and s, m, h, d or w, e.g. 30d, 12h; "
            "at most 8 digits of s, 6 of m, 4 of h, 3 of d, 2 of w)"
        )
    return timedelta(seconds=int(text[:-1]) * _UNITS[text[-1]])


def normalize_scopes(scopes: Iterable[str]) -> list[Scope]:
    """Known scopes, each once, in the canonical order; raises on an unknown one."""
    wanted = set()
    for scope in scopes:
        for part in scope.split(","):
            part = part.strip()
            if not part:
                continue
            if part not in SCOPES:
                raise ValueError(f"unknown scope {part!r} (known: {', '.join(SCOPES)})")
            wanted.add(part)
    if not wanted:
        raise ValueError("a token needs at least one scope")
    return [s for s in SCOPES if s in wanted]


TokenState = Literal["active", "revoked", "expired"]


@dataclass(frozen=True, slots=True)
class ApiToken:
    """What a request is authenticated as (cached; never holds the secret)."""

    id: int
    name: str
    scopes: frozenset[str]
    expires_at: datetime | None
    active: bool

    def state(self, now: datetime) -> TokenState:
        if not self.active:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    def missing_scopes(self, required: Iterable[str]) -> list[str]:
        return [s for s in required if s not in self.scopes]
