"""Unit tests for api.security.ratelimit (policies, headers)."""

from __future__ import annotations

import pytest

from api.security.ratelimit import Decision, Policy, policy_for

POLICIES = {
    "webshop": Policy("webshop", 1200, 60),
    "odoo": Policy("odoo", 600, 60),
    "admin": Policy("admin", 120, 60),
}


@pytest.mark.parametrize(
    ("text", "quota", "window"), [("1200/60", 1200, 60), (" 5 / 1 ", 5, 1), ("1/86400", 1, 86400)]
)
def test_parse_policy(text: str, quota: int, window: int):
    assert Policy.parse("webshop", text) == Policy("webshop", quota, window)


@pytest.mark.parametrize("text", ["", "1200", "0/60", "10/0", "-1/60", "1.5/60", "a/b", "10/60/2"])
def test_parse_policy_rejects(text: str):
    with pytest.raises(ValueError):
        Policy.parse("webshop", text)


def test_most_generous_policy_wins():
    assert policy_for({"admin"}, POLICIES).name == "admin"
    assert policy_for({"admin", "odoo"}, POLICIES).name == "odoo"
    assert policy_for({"admin", "webshop", "odoo"}, POLICIES).name == "webshop"
    # The rate decides, not the raw quota.
    per_hour = {"a": Policy("a", 3600, 3600), "b": Policy("b", 100, 60)}
    assert policy_for({"a", "b"}, per_hour).name == "b"
    with pytest.raises(LookupError):
        policy_for({"nothing"}, POLICIES)


def test_headers_follow_the_ratelimit_headers_draft():
    decision = Decision(POLICIES["webshop"], hits=13, reset_s=42)
    assert decision.allowed
    assert decision.headers() == {
        "RateLimit-Policy": '"webshop";q=1200;w=60',
        "RateLimit": '"webshop";r=1187;t=42',
    }


def test_over_the_limit():
    at_limit = Decision(POLICIES["admin"], hits=120, reset_s=5)
    assert at_limit.allowed and at_limit.remaining == 0
    over = Decision(POLICIES["admin"], hits=121, reset_s=5)
    assert not over.allowed
    assert over.remaining == 0
    assert over.headers()["RateLimit"] == '"admin";r=0;t=5'
    assert over.retry_after() == "5"
    assert Decision(POLICIES["admin"], hits=500, reset_s=0).retry_after() == "1"
