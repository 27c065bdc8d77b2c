"""Rate limits, body limits and problem details, against running API processes and the real
database: the stack's API, and API processes of our own (several workers sharing one read
model, a read model to take away or break)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.integration.conftest import bearer
from tests.integration.extra_api import ReadModel, api_processes, own_read_model
from tests.integration.stacks import TEST_RATE_LIMIT, RunningStack
from tests.integration.test_api_auth import FEED, TOKENS, assert_problem

pytestmark = pytest.mark.integration

RATELIMIT = re.compile(r'^"(\w+)";r=(\d+);t=(\d+)$')
QUOTA = 6


def remaining(response: httpx.Response) -> tuple[str, int, int]:
    match = RATELIMIT.match(response.headers["RateLimit"])
    assert match, response.headers["RateLimit"]
    return match[1], int(match[2]), int(match[3])


# -- the stack's API -----------------------------------------------------------------------


def test_responses_carry_ratelimit_headers(api: httpx.Client, admin_api: httpx.Client):
    quota, window = TEST_RATE_LIMIT.split("/")
    first = api.get(FEED, params={"limit": 1})
    second = api.get(FEED, params={"limit": 1})
    assert first.headers["RateLimit-Policy"] == f'"webshop";q={quota};w={window}'
    name, r1, t1 = remaining(first)
    _, r2, _ = remaining(second)
    assert name == "webshop" and r2 == r1 - 1 and 0 < t1 <= int(window)
    # Errors of an authenticated request count and say so too.
    missing = api.get(f"{FEED}/999999999")
    assert_problem(missing, 404)
    assert remaining(missing)[1] == r2 - 1
    assert admin_api.get(TOKENS).headers["RateLimit-Policy"].startswith('"admin";')


def test_body_size_limit(stack: RunningStack, api: httpx.Client, anonymous_api: httpx.Client):
    limit = stack.settings.api_max_body_bytes
    big = b'{"ids": [' + b"1," * (limit // 2) + b"1]}"
    # Declared by Content-Length: refused before anything else, token or not.
    for client in (api, anonymous_api):
        response = client.post(
            f"{FEED}/batch-delete", content=big, headers={"content-type": "application/json"}
        )
        assert str(limit) in assert_problem(response, 413)["detail"]

    # Streamed (chunked, no Content-Length): refused once the bytes pass the limit.
    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    response = api.post(
        f"{FEED}/batch-delete", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)
    # Just under the limit is fine (and a real batch).
    ok = api.post(f"{FEED}/batch-delete", json={"ids": [999_999_999]})
    assert ok.status_code == 200 and ok.json()["notFound"] == [999_999_999]


def test_errors_are_problems(api: httpx.Client, anonymous_api: httpx.Client):
    assert_problem(anonymous_api.get("/api/v1/no-such-thing"), 404)
    assert_problem(anonymous_api.get("/no-such-thing"), 404)
    not_allowed = api.put(FEED)
    assert_problem(not_allowed, 405)
    assert not_allowed.headers["allow"] == "GET"

    invalid = assert_problem(
        api.get(FEED, params={"limit": 0, "since": "yesterday", "cursor": "!"}), 422
    )
    assert invalid["type"].endswith("/validation")
    fields = {e["field"]: e for e in invalid["errors"]}
    assert set(fields) == {"query.limit", "query.since", "query.cursor"}
    assert all(e["message"] and e["type"] for e in fields.values())

    bad_cursor = assert_problem(api.get(FEED, params={"cursor": "bm90LWEtY3Vyc29y"}), 422)
    assert [e["field"] for e in bad_cursor["errors"]] == ["query.cursor"]

    # A misspelt parameter is an error, not silently ignored (after auth: 401 comes first).
    typo = assert_problem(api.get(FEED, params={"limt": 5, "limit": 5}), 422)
    assert [e["field"] for e in typo["errors"]] == ["query.limt"]
    assert_problem(anonymous_api.get(FEED, params={"limt": 5}), 401)

    for body in (b"{not json", b'{"ids": ["x", 99999999999999999999]}'):
        response = api.post(
            f"{FEED}/batch-delete", content=body, headers={"content-type": "application/json"}
        )
        assert assert_problem(response, 422)["errors"]

    out_of_range = assert_problem(api.get(f"{FEED}/99999999999999999999"), 422)
    assert out_of_range["errors"][0]["field"] == "path.odoo_id"


# -- several API workers on one read model ---------------------------------------------------


@pytest.fixture(scope="module")
def shared_db(stack: RunningStack) -> Iterator[ReadModel]:
    tokens = {"shop": ["webshop"], "shop2": ["webshop"], "both": ["webshop", "odoo"]}
    tokens.update({"admin": ["admin"], "victim": ["webshop"]})
    with own_read_model(stack, tokens) as db:
        yield db


@pytest.fixture(scope="module")
def workers(
    stack: RunningStack, shared_db: ReadModel, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[str]]:
    """Two API processes sharing ``shared_db``: webshop QUOTA per hour, odoo 3x that, a
    token cache of 1 s."""
    with api_processes(
        stack,
        tmp_path_factory.mktemp("workers"),
        count=2,
        readmodel_dsn_override=shared_db.dsn,
        rate_limit_webshop=f"{QUOTA}/3600",
        rate_limit_odoo=f"{3 * QUOTA}/3600",
        rate_limit_admin="1000/60",
        api_token_cache_ttl_s=1.0,
    ) as urls:
        yield urls


def test_rate_limit_is_shared_by_workers(workers: list[str], shared_db: ReadModel):
    shop = bearer(shared_db.tokens["shop"])
    seen = []
    for n in range(QUOTA):
        response = httpx.get(f"{workers[n % 2]}{FEED}", headers=shop, params={"limit": 1})
        assert response.status_code == 200, response.text
        assert response.headers["RateLimit-Policy"] == f'"webshop";q={QUOTA};w=3600'
        seen.append(remaining(response)[1])
    assert seen == list(range(QUOTA - 1, -1, -1))

    for url in workers:
        refused = httpx.get(f"{url}{FEED}", headers=shop)
        body = assert_problem(refused, 429)
        assert body["type"].endswith("/rate-limited")
        retry_after = int(refused.headers["Retry-After"])
        assert 3500 < retry_after <= 3600
        assert remaining(refused)[1] == 0
        assert refused.headers["RateLimit-Policy"] == f'"webshop";q={QUOTA};w=3600'

    # Per token: another webshop token has its own budget.
    other = httpx.get(f"{workers[0]}{FEED}", headers=bearer(shared_db.tokens["shop2"]))
    assert other.status_code == 200 and remaining(other)[1] == QUOTA - 1

    with shared_db.connect() as conn:
        hits = conn.execute(
            "SELECT r.hits FROM api_rate_limit r JOIN api_token t ON t.id = r.token_id "
            "WHERE t.name = 'shop'"
        ).fetchone()[0]
    assert hits == QUOTA + 2


def test_token_with_several_scopes_gets_the_most_generous_limit(
    workers: list[str], shared_db: ReadModel
):
    response = httpx.get(f"{workers[1]}{FEED}", headers=bearer(shared_db.tokens["both"]))
    assert response.headers["RateLimit-Policy"] == f'"odoo";q={3 * QUOTA};w=3600'
    assert remaining(response)[1] == 3 * QUOTA - 1


def test_revocation_reaches_every_worker_within_the_cache_ttl(
    workers: list[str], shared_db: ReadModel
):
    victim = bearer(shared_db.tokens["victim"])
    admin = bearer(shared_db.tokens["admin"])
    assert httpx.get(f"{workers[1]}{FEED}", headers=victim).status_code == 200  # cached on B
    assert httpx.delete(f"{workers[0]}{TOKENS}/victim", headers=admin).status_code == 204
    assert httpx.get(f"{workers[0]}{FEED}", headers=victim).status_code == 401  # A: at once
    # B cached the token before the revocation, so its entry is gone one TTL (1 s) later.
    time.sleep(1.0 + 0.1)
    assert_problem(httpx.get(f"{workers[1]}{FEED}", headers=victim), 401)


# -- a read model that goes away or breaks --------------------------------------------------


@pytest.fixture
def fragile(stack: RunningStack, tmp_path: Path) -> Iterator[tuple[ReadModel, str]]:
    with (
        own_read_model(stack, {"shop": ["webshop"]}) as db,
        api_processes(stack, tmp_path, readmodel_dsn_override=db.dsn, api_db_timeout_s=1.0) as urls,
    ):
        yield db, urls[0]


def test_unreachable_database_fails_closed_with_503(fragile: tuple[ReadModel, str]):
    db, url = fragile
    shop = bearer(db.tokens["shop"])
    assert httpx.get(f"{url}{FEED}", headers=shop).status_code == 200  # token now cached
    with psycopg.connect(db.admin_dsn, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{db.name}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (db.name,),
        )
    for _ in range(3):  # broken connections first, then no connection at all
        response = httpx.get(f"{url}{FEED}", headers=shop, timeout=10)
        body = assert_problem(response, 503)
        assert response.headers["Retry-After"] == "5"
        assert "psycopg" not in response.text and "Traceback" not in response.text
        assert body["type"].endswith("/unavailable")
    # No token: still a plain 401 (nothing to look up).
    assert httpx.get(f"{url}{FEED}").status_code == 401
    ready = httpx.get(f"{url}/ready", timeout=10)
    assert_problem(ready, 503)
    assert ready.json()["detail"] == "Not ready: the read model is unreachable."

    with psycopg.connect(db.admin_dsn, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{db.name}" ALLOW_CONNECTIONS true')
    deadline = time.monotonic() + 30
    while httpx.get(f"{url}{FEED}", headers=shop, timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the API did not recover"
        time.sleep(0.5)


def test_unexpected_error_is_a_500_problem_without_details(fragile: tuple[ReadModel, str]):
    db, url = fragile
    with db.connect() as conn:
        conn.execute("ALTER TABLE product_feed RENAME COLUMN changed_fields TO sabotaged")
    response = httpx.get(f"{url}{FEED}", headers=bearer(db.tokens["shop"]))
    body = assert_problem(response, 500)
    assert body == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "An unexpected error occurred.",
        "instance": FEED,
    }
    assert "sabotaged" not in response.text and "changed_fields" not in response.text
