"""API tokens and their enforcement, against the running API and its database."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest

from tests.integration.conftest import bearer
from tests.integration.stacks import RunningStack

pytestmark = pytest.mark.integration

FEED = "/api/v1/updated-products"
ORDER_PATHS = ("/api/v1/updated-sale-orders", "/api/v1/purchase-orders")
TOKENS = "/api/v1/tokens"
PARTNERS = "/api/v1/updated-partners"
PROBLEM = "application/problem+json"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "instance"} <= set(body)
    assert body["instance"] == response.request.url.path
    return body


# Path parameters that are not ids: a value of their format (a stock key must look like one
# to reach the route at all).
PATH_EXAMPLES = {"{name}": "nobody", "{key}": "own:1", "{reference}": "WEB-1"}


def operations(api: httpx.Client) -> list[tuple[str, str, list[str]]]:
    """(method, concrete path, required scopes) of every protected operation, from the
    live OpenAPI document."""
    doc = api.get("/openapi.json").json()
    out = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if "security" not in op:
                continue
            (scopes,) = op["security"][0].values()
            concrete = re.sub(r"\{[A-Za-z_]+\}", lambda m: PATH_EXAMPLES.get(m[0], "1"), path)
            out.append((method.upper(), concrete, scopes))
    return out


def create_token(admin_api: httpx.Client, **body: Any) -> dict[str, Any]:
    body.setdefault("name", unique("t"))
    body.setdefault("scopes", ["webshop"])
    response = admin_api.post(TOKENS, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def cli(stack: RunningStack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **stack.settings.as_env()}
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", "token", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


# -- 401 / 403 ----------------------------------------------------------------------------


def test_every_protected_operation_needs_a_token(anonymous_api: httpx.Client):
    ops = operations(anonymous_api)
    assert len(ops) >= 8
    for method, path, _ in ops:
        response = anonymous_api.request(method, path, json={} if method == "POST" else None)
        body = assert_problem(response, 401)
        assert response.headers["www-authenticate"] == 'Bearer realm="atraxion"', path
        assert "RateLimit" not in response.headers
        assert body["type"].endswith("/unauthorized")


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer atx_" + "A" * 43,  # well formed, unknown
        "Bearer not-a-token",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "atx_" + "A" * 43,
    ],
)
def test_unknown_or_malformed_token_is_401(anonymous_api: httpx.Client, authorization: str):
    response = anonymous_api.get(FEED, headers={"Authorization": authorization})
    assert_problem(response, 401)
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="atraxion"')
    if authorization.startswith("Bearer atx_"):
        assert 'error="invalid_token"' in challenge


def test_token_without_the_scope_is_403(stack: RunningStack, anonymous_api: httpx.Client):
    tokens = stack.tokens
    for method, path, scopes in operations(anonymous_api):
        for scope, secret in tokens.items():
            if scope in scopes:
                continue
            response = anonymous_api.request(
                method, path, headers=bearer(secret), json={} if method == "POST" else None
            )
            body = assert_problem(response, 403)
            assert response.headers["www-authenticate"] == (
                f'Bearer realm="atraxion", error="insufficient_scope", scope="{scopes[0]}"'
            )
            assert body["type"].endswith("/insufficient-scope")


def test_scopes_of_the_endpoints(anonymous_api: httpx.Client):
    scopes = {(m, p): s for m, p, s in operations(anonymous_api)}
    assert all(s == ["webshop"] for (_, p), s in scopes.items() if p.startswith(FEED))
    # The order feeds and a purchase order's lines are the webshop's too.
    orders = {k: s for k, s in scopes.items() if k[1].startswith(ORDER_PATHS)}
    assert ("GET", "/api/v1/purchase-orders/1/lines") in orders
    assert ("GET", "/api/v1/updated-sale-orders") in orders
    assert len(orders) == 9 and all(s == ["webshop"] for s in orders.values())
    assert all(s == ["admin"] for (_, p), s in scopes.items() if p.startswith(TOKENS))
    partners = {(m, p): s for (m, p), s in scopes.items() if p.startswith(PARTNERS)}
    assert ("GET", f"{PARTNERS}/1/hierarchy") in partners
    assert all(s == ["webshop"] for s in partners.values())


def test_stack_tokens_in_stack_json(stack: RunningStack, anonymous_api: httpx.Client):
    path = stack.settings.stack_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    tokens = json.loads(path.read_text())["tokens"]
    assert set(tokens) == {"webshop", "odoo", "admin"}
    assert tokens == stack.tokens
    assert anonymous_api.get(FEED, headers=bearer(tokens["webshop"])).status_code == 200
    assert anonymous_api.get(TOKENS, headers=bearer(tokens["admin"])).status_code == 200
    assert anonymous_api.get(FEED, headers=bearer(tokens["odoo"])).status_code == 403


def test_health_and_ready_are_open_and_say_nothing(anonymous_api: httpx.Client):
    for path, status in (("/health", "ok"), ("/ready", "ready")):
        for headers in ({}, {"Authorization": "Bearer nonsense"}):
            response = anonymous_api.get(path, headers=headers)
            assert response.status_code == 200
            body = response.json()
            assert body["status"] == status
            # Readiness names the processors and their liveness, nothing of the data.
            assert set(body) <= {"status", "processors"}
            assert "RateLimit" not in response.headers
            assert "RateLimit-Policy" not in response.headers


# -- tokens: API ---------------------------------------------------------------------------


def test_token_lifecycle_through_the_api(
    admin_api: httpx.Client, anonymous_api: httpx.Client, readmodel: psycopg.Connection
):
    name = unique("shop")
    created = create_token(admin_api, name=name, scopes=["webshop", "webshop"], expiresIn="30d")
    secret = created["token"]
    assert secret.startswith("atx_") and len(secret) == 47
    assert created["scopes"] == ["webshop"]
    assert created["prefix"] == secret[:10]
    assert created["active"] is True and created["lastUsedAt"] is None
    assert 29.9 * 86400 < _seconds_until(created["expiresAt"]) <= 30 * 86400

    # Stored hashed: the secret is nowhere in the table.
    row = readmodel.execute(
        "SELECT token_hash, row_to_json(api_token)::text FROM api_token WHERE name = %s",
        (name,),
    ).fetchone()
    assert row[0] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in row[1] and secret[10:] not in row[1]

    # Shown once: listings and reads never carry it.
    listed = {t["name"]: t for t in admin_api.get(TOKENS).json()}
    assert "token" not in listed[name]
    assert secret not in admin_api.get(TOKENS).text
    assert "token" not in admin_api.get(f"{TOKENS}/{name}").json()

    assert anonymous_api.get(FEED, headers=bearer(secret), params={"limit": 1}).status_code == 200
    assert admin_api.get(f"{TOKENS}/{name}").json()["lastUsedAt"] is not None

    # Revoked through this (only) API worker: refused at once.
    assert admin_api.delete(f"{TOKENS}/{name}").status_code == 204
    response = anonymous_api.get(FEED, headers=bearer(secret))
    assert assert_problem(response, 401)["detail"] == "The token has been revoked."
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    revoked = admin_api.get(f"{TOKENS}/{name}").json()
    assert revoked["active"] is False and revoked["revokedAt"] is not None
    assert admin_api.delete(f"{TOKENS}/{name}").status_code == 204  # idempotent


def test_token_errors(admin_api: httpx.Client):
    name = unique("dup")
    create_token(admin_api, name=name)
    assert_problem(admin_api.post(TOKENS, json={"name": name, "scopes": ["odoo"]}), 409)
    assert_problem(admin_api.delete(f"{TOKENS}/{unique('missing')}"), 404)
    assert_problem(admin_api.get(f"{TOKENS}/{unique('missing')}"), 404)
    body = assert_problem(
        admin_api.post(TOKENS, json={"name": "no spaces", "scopes": ["root"], "expiresIn": "0d"}),
        422,
    )
    fields = {e["field"] for e in body["errors"]}
    assert {"body.name", "body.scopes.0", "body.expiresIn"} <= fields


def test_expired_token_is_401(admin_api: httpx.Client, anonymous_api: httpx.Client):
    secret = create_token(admin_api, expiresIn="2s")["token"]
    assert anonymous_api.get(FEED, headers=bearer(secret), params={"limit": 1}).status_code == 200
    time.sleep(2.2)
    response = anonymous_api.get(FEED, headers=bearer(secret))
    assert assert_problem(response, 401)["detail"] == "The token has expired."


# -- tokens: CLI ---------------------------------------------------------------------------


def test_cli_create_list_revoke(stack: RunningStack, anonymous_api: httpx.Client):
    name = unique("cli")
    created = cli(stack, "create", "--name", name, "--scope", "webshop", "--expires", "1h")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("atx_")
    assert anonymous_api.get(FEED, headers=bearer(secret), params={"limit": 1}).status_code == 200

    listed = cli(stack, "list")
    assert listed.returncode == 0, listed.stderr
    line = next(line for line in listed.stdout.splitlines() if line.startswith(name))
    assert secret[:10] in line and "webshop" in line and "active" in line
    assert secret not in listed.stdout

    # The CLI writes to the database directly: the API's token cache (TTL 5 s) notices
    # within its TTL.
    revoked = cli(stack, "revoke", name)
    assert revoked.returncode == 0, revoked.stderr
    again = cli(stack, "revoke", name)
    assert again.returncode == 1 and f"token {name!r} was already revoked at " in again.stderr
    # Every cache entry for it was made before the revocation: one TTL later all are gone.
    time.sleep(stack.settings.api_token_cache_ttl_s + 0.1)
    assert_problem(anonymous_api.get(FEED, headers=bearer(secret)), 401)
    assert "revoked" in cli(stack, "list").stdout


def test_cli_refuses_bad_input(stack: RunningStack):
    assert cli(stack, "create", "--name", "x y", "--scope", "webshop").returncode == 2
    assert cli(stack, "create", "--name", unique("x"), "--scope", "root").returncode == 2
    bad = cli(stack, "create", "--name", unique("x"), "--scope", "webshop", "--expires", "5y")
    assert bad.returncode == 2 and "duration" in bad.stderr
    missing = unique("missing")
    unknown = cli(stack, "revoke", missing)
    assert unknown.returncode == 1 and unknown.stderr.strip() == f"no token named {missing!r}"
    name = unique("twice")
    assert cli(stack, "create", "--name", name, "--scope", "odoo").returncode == 0
    assert cli(stack, "create", "--name", name, "--scope", "odoo").returncode == 1


def _seconds_until(iso: str) -> float:
    return (datetime.fromisoformat(iso) - datetime.now(UTC)).total_seconds()
