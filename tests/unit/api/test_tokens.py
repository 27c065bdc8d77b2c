"""Unit tests for api.security.tokens (token secrets, names, expiry, scopes)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from api.models.tokens import TokenCreate
from api.security.tokens import (
    SCOPES,
    ApiToken,
    display_prefix,
    generate_secret,
    hash_secret,
    looks_like_secret,
    normalize_scopes,
    parse_duration,
    valid_name,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_secret_shape_and_hash():
    secret = generate_secret()
    assert secret.startswith("atx_") and len(secret) == 47
    assert looks_like_secret(secret)
    assert hash_secret(secret) == hashlib.sha256(secret.encode()).hexdigest()
    assert display_prefix(secret) == secret[:10]
    assert generate_secret() != secret


@pytest.mark.parametrize(
    "value",
    ["", "atx_", "atx_short", "Bearer atx_" + "a" * 43, "atx_" + "a" * 44, "xtx_" + "a" * 43,
     "atx_" + "a" * 42 + "!", "atx_" + "a" * 42 + "\n"],
)  # fmt: skip
def test_garbage_is_not_a_secret(value: str):
    assert not looks_like_secret(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("12h", timedelta(hours=12)),
        ("30d", timedelta(days=30)),
        ("2w", timedelta(weeks=2)),
        (" 7d ", timedelta(days=7)),
        ("999d", timedelta(days=999)),
        ("99w", timedelta(weeks=99)),
        ("9999h", timedelta(hours=9999)),
        ("99999999s", timedelta(seconds=99_999_999)),
    ],
)
def test_parse_duration(text: str, expected: timedelta):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "30", "d", "0d", "01d", "-1d", "1y", "1.5h", "1000d", "100w", "10000h"],
)
def test_parse_duration_rejects(text: str):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_normalize_scopes_dedupes_orders_and_splits_commas():
    assert normalize_scopes(["admin", "webshop", "admin"]) == ["webshop", "admin"]
    assert normalize_scopes(["odoo,webshop"]) == ["webshop", "odoo"]
    assert normalize_scopes(SCOPES) == list(SCOPES)


@pytest.mark.parametrize("scopes", [[], [""], ["root"], ["webshop", "Admin"]])
def test_normalize_scopes_rejects(scopes: list[str]):
    with pytest.raises(ValueError):
        normalize_scopes(scopes)


@pytest.mark.parametrize("name", ["a", "webshop-prod", "ci.bot_2", "X" * 64])
def test_valid_names(name: str):
    assert valid_name(name)


@pytest.mark.parametrize("name", ["", "-x", ".x", "a b", "a/b", "x" * 65, "é", "a\n"])
def test_invalid_names(name: str):
    assert not valid_name(name)


def test_token_state():
    live = ApiToken(1, "t", frozenset({"webshop"}), None, True)
    assert live.state(NOW) == "active"
    assert ApiToken(1, "t", frozenset(), NOW + timedelta(seconds=1), True).state(NOW) == "active"
    assert ApiToken(1, "t", frozenset(), NOW, True).state(NOW) == "expired"
    assert ApiToken(1, "t", frozenset(), NOW - timedelta(days=1), False).state(NOW) == "revoked"
    assert ApiToken(1, "t", frozenset(), None, False).state(NOW) == "revoked"


def test_missing_scopes():
    token = ApiToken(1, "t", frozenset({"webshop", "odoo"}), None, True)
    assert token.missing_scopes(["webshop"]) == []
    assert token.missing_scopes(["admin"]) == ["admin"]
    assert token.missing_scopes(["webshop", "admin"]) == ["admin"]
    assert token.missing_scopes([]) == []


def test_token_create_model():
    body = TokenCreate(name="shop", scopes=["admin", "webshop", "admin"], expiresIn="30d")
    assert body.scopes == ["webshop", "admin"]
    for bad in (
        {"name": "shop", "scopes": []},
        {"name": "shop", "scopes": ["root"]},
        {"name": "bad name", "scopes": ["webshop"]},
        {"name": "shop", "scopes": ["webshop"], "expiresIn": "0d"},
        {"name": "shop", "scopes": ["webshop"], "expiresIn": "1000d"},
    ):
        with pytest.raises(ValueError):
            TokenCreate(**bad)
