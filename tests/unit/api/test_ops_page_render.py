"""The ops page's drawing of each endpoint's answer, in Chromium, from answers shaped as
the ops endpoints' contract says (COMMON contract; README "Ops page"): the page and its
files come from api/routes/ops_page.py, the answers are fixed documents served by the
browser's request interception (no server, no network). The page on the real stack is
tests/integration/test_ops_page.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from api.routes.ops_page import FILES, STATIC, page_html
from tests.chromium import chromium

ORIGIN = "http://ops.test"
TOKEN = "atx_" + "a" * 43
AT = "2026-11-27T17:00:00+00:00"

ANSWERS: dict[str, Any] = {
    "/api/v1/ops/processes": {
        "measuredAt": AT,
        "stateDir": "/srv/state",
        "processes": [
            {
                "name": "streams",
                "pid": 42,
                "state": "alive",
                "since": AT,
                "restarts": 2,
                "statusAgeS": 1.2,
                "status": {"status": "ok", "checkedAt": 1, "lag": {"a[0]": 3, "b[0]": 4}},
            },
            {
                "name": "materializer",
                "pid": 43,
                "state": "stale",
                "since": AT,
                "restarts": 0,
                "statusAgeS": 90,
                "status": {"status": "stalled", "stalledFor": 75, "lag": {}},
            },
            {
                "name": "order_sink",
                "pid": 44,
                "state": "stopped",
                "since": None,
                "restarts": 1,
                "statusAgeS": None,
                "status": None,
            },
        ],
    },
    "/api/v1/ops/lag": {
        "measuredAt": AT,
        "groups": [
            {
                "group": "atraxion-materializer",
                "lagRecords": 1500,
                "lagSeconds": 2.5,
                "partitions": [
                    {
                        "group": "atraxion-materializer",
                        "topic": "atraxion.products",
                        "partition": 0,
                        "committedOffset": 100,
                        "logEndOffset": 1600,
                        "lagRecords": 1500,
                        "lagSeconds": 2.5,
                    }
                ],
            },
            {"group": "other-team", "lagRecords": 0, "lagSeconds": 0, "partitions": []},
        ],
    },
    "/api/v1/ops/freshness": {
        "entities": [
            {
                "entity": "products",
                "lastSeconds": 0.8,
                "lastSourceAt": AT,
                "lastAppliedAt": AT,
                "count": 10,
                # Cumulative, as Prometheus writes buckets: 2, 5, 3 per bucket.
                "histogram": [
                    {"le": 0.5, "count": 2},
                    {"le": 1, "count": 7},
                    {"le": "+Inf", "count": 10},
                ],
            }
        ]
    },
    "/api/v1/ops/dead-letters?limit=10": {
        "items": [
            {
                "id": "dl-1",
                "deadLetterTopic": "atraxion.deadletter",
                "partition": 0,
                "offset": 7,
                "processor": "products",
                "reason": "schema",
                "sourceTopic": "odoo.public.product_template",
                "sourcePartition": 0,
                "sourceOffset": 99,
                "key": "<b>not markup</b>",
                "at": AT,
            }
        ],
        "next": None,
        "countsByReason": {"schema": 3, "poison": 1},
    },
    "/api/v1/ops/dead-letters/dl-1": {"id": "dl-1", "value": {"x": 1}, "headers": {"h": "v"}},
    "/api/v1/ops/resyncs": {
        "items": [
            {
                "id": 1,
                "table": "product_template",
                "ids": [1, 2, 3],
                "where": None,
                "status": "running",
                "rowsDone": 2,
                "startedAt": AT,
                "finishedAt": None,
                "error": None,
            },
            {
                "id": 3,
                "table": "product_product",
                "ids": None,
                "where": None,
                "status": "requested",
                "rowsDone": 0,
                "startedAt": AT,
                "finishedAt": None,
                "error": None,
                "hint": "Debezium has not read the signal in 75 s: is the connector running?",
            },
            {
                "id": 2,
                "table": "res_partner",
                "ids": None,
                "where": "id < 10",
                "status": "done",
                "rowsDone": 9,
                "startedAt": AT,
                "finishedAt": AT,
                "error": None,
            },
        ]
    },
    "/api/v1/ops/replays": {
        "items": [
            {
                "id": 5,
                "view": "products",
                "status": "running",
                "done": 250,
                "total": 1000,
                "ratePerS": 125.0,
                "etaS": 6,
                "startedAt": AT,
                "finishedAt": None,
            }
        ]
    },
    "/api/v1/ops/verify": {
        "ranAt": AT,
        "entities": [
            {"entity": "products", "expected": 60, "served": 60, "differences": 0, "sample": []},
            {
                "entity": "partners",
                "expected": 10,
                "served": 9,
                "differences": 1,
                "sample": [{"id": 4, "missing": True}],
            },
        ],
    },
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


Responder = Callable[[str, dict[str, str]], tuple[int, Any]]


def contract(path: str, headers: dict[str, str]) -> tuple[int, Any]:
    if headers.get("authorization") != f"Bearer {TOKEN}":
        return 401, {"status": 401, "detail": "The token is not valid."}
    if path in ANSWERS:
        return 200, ANSWERS[path]
    return 404, {"status": 404, "detail": "Not Found"}


def open_page(browser: Browser, respond: Responder) -> tuple[Page, list[str]]:
    context = browser.new_context(base_url=ORIGIN, viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    problems: list[str] = []

    def serve(route: Route) -> None:
        url = route.request.url.removeprefix(ORIGIN)
        requests.append(url)
        if url == "/ops":
            route.fulfill(body=page_html(1), content_type="text/html; charset=utf-8")
        elif url.startswith("/ops/static/"):
            name = url.rsplit("/", 1)[1]
            route.fulfill(body=(STATIC / name).read_bytes(), content_type=FILES[name])
        elif url.startswith("/api/"):
            status, body = respond(url, route.request.headers)
            route.fulfill(status=status, body=json.dumps(body), content_type="application/json")
        else:
            problems.append(f"unexpected request {route.request.url}")
            route.abort()

    context.route("**/*", serve)
    page = context.new_page()
    expect.set_options(timeout=20_000)  # assertions wait for the page this long
    page.set_default_timeout(20_000)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto("/ops")
    page.fill("#token", TOKEN)
    page.click("#login-submit")
    return page, problems


def lag_row(page: Page) -> Any:
    return page.locator('#panel-lag tr[data-group="atraxion-materializer"] summary')


def cells(page: Page, selector: str) -> list[str]:
    return page.locator(f"{selector} td").all_inner_texts()


def test_every_panel_draws_its_contract(browser: Browser) -> None:
    page, problems = open_page(browser, contract)
    expect(page.locator("#dashboard")).to_be_visible()
    for panel in ("processes", "lag", "freshness", "dead-letters", "resyncs", "replays", "verify"):
        expect(page.locator(f"#panel-{panel}")).to_have_attribute("data-state", "ok")

    states = page.locator("#panel-processes tr[data-process] td:nth-child(2)")
    assert states.all_inner_texts() == ["alive", "stale", "stopped"]
    streams = cells(page, '#panel-processes tr[data-process="streams"]')
    assert (streams[2], streams[4], streams[5]) == ("42", "2", "1.2 s")
    assert streams[6] == "ok, lag 7"
    assert "stalled for 1 min 15 s" in cells(page, 'tr[data-process="materializer"]')[6]

    lag = cells(page, 'tr[data-group="atraxion-materializer"]')
    assert lag[:3] == ["atraxion-materializer", "1,500", "2.5 s"]
    assert page.locator("#panel-lag svg.chart polyline").count() == 4  # 2 groups, 2 charts
    expect(page.locator('#panel-lag tr[data-group="other-team"]')).to_contain_text("0 partitions")
    expect(lag_row(page)).to_contain_text("1 partition")

    # Cumulative buckets drawn per bucket: 2, 5, 3 (heights relative to the largest).
    bars = page.locator("#panel-freshness svg.histogram rect")
    assert bars.count() == 3
    titles = bars.locator("title").all_text_contents()
    assert titles == ["<= 0.5 s: 2", "<= 1 s: 5", "> last: 3"]

    dead = page.locator("#panel-dead-letters")
    expect(dead).to_contain_text("4 in all")
    # A key that looks like markup stays text.
    assert page.locator("#panel-dead-letters b").count() == 0
    expect(dead.locator('tr[data-dead-letter="dl-1"]')).to_contain_text("<b>not markup</b>")
    dead.locator('tr[data-dead-letter="dl-1"] a').click()
    detail = page.locator("#dead-letter-detail")
    expect(detail).to_be_visible()
    assert (
        json.loads(detail.locator("pre").inner_text()) == ANSWERS["/api/v1/ops/dead-letters/dl-1"]
    )

    expect(page.locator("#panel-resyncs")).to_contain_text("2 in progress")
    unread = page.locator('#panel-resyncs tr[data-resync="3"]')
    expect(unread).to_contain_text("signal unread")
    expect(unread).to_contain_text("has not read the signal in 75 s")
    replay = page.locator('#panel-replays tr[data-replay="5"]')
    expect(replay).to_contain_text("250 / 1,000 (25 %)")
    expect(replay).to_contain_text("125/s")
    assert replay.locator("progress").get_attribute("value") == "250"

    expect(page.locator("#panel-verify")).to_contain_text("1 row differs")
    assert problems == []


def test_missing_endpoints_and_errors_are_shown_per_panel(browser: Browser) -> None:
    def respond(path: str, headers: dict[str, str]) -> tuple[int, Any]:
        if path.startswith("/api/v1/ops/lag"):
            return 404, {"status": 404, "detail": "Not Found"}
        if path.startswith("/api/v1/ops/verify"):
            return 500, {"status": 500, "detail": "Internal error"}
        return contract(path, headers)

    page, problems = open_page(browser, respond)
    expect(page.locator("#dashboard")).to_be_visible()
    lag = page.locator("#panel-lag")
    expect(lag).to_have_attribute("data-state", "unavailable")
    expect(lag.locator(".panel-status")).to_have_text("Not available (404)")
    verify = page.locator("#panel-verify")
    expect(verify).to_have_attribute("data-state", "error")
    expect(verify.locator(".panel-status")).to_have_text("Error 500: Internal error")
    # The others are drawn all the same.
    expect(page.locator("#panel-replays")).to_have_attribute("data-state", "ok")
    assert problems == []


def test_verify_never_run_is_not_shown_as_no_differences(browser: Browser) -> None:
    def respond(path: str, headers: dict[str, str]) -> tuple[int, Any]:
        if path.startswith("/api/v1/ops/verify"):
            return 200, {"ranAt": None, "entities": []}
        return contract(path, headers)

    page, problems = open_page(browser, respond)
    verify = page.locator("#panel-verify")
    expect(verify).to_have_attribute("data-state", "ok")
    expect(verify).to_contain_text("not run yet")
    expect(verify).not_to_contain_text("no differences")
    assert problems == []


def test_a_token_refused_later_ends_the_session(browser: Browser) -> None:
    calls = {"n": 0}

    def respond(path: str, headers: dict[str, str]) -> tuple[int, Any]:
        calls["n"] += 1
        if calls["n"] > 1:  # accepted at login, revoked right after
            return 401, {"status": 401, "detail": "The token has been revoked."}
        return contract(path, headers)

    # Logged in (the first answer), then out again by the first refresh's 401s.
    page, problems = open_page(browser, respond)
    expect(page.locator("#login-note")).to_be_visible()
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#dashboard")).to_be_hidden()
    expect(page.locator("#login-note")).to_contain_text("refused (401)")
    expect(page.locator("#login-note")).to_contain_text("revoked")
    assert page.evaluate("sessionStorage.length") == 0
    assert problems == []


def test_a_rate_limited_panel_says_so(browser: Browser) -> None:
    def respond(path: str, headers: dict[str, str]) -> tuple[int, Any]:
        if path.startswith("/api/v1/ops/replays"):
            return 429, {"status": 429, "detail": "Rate limit exceeded; retry in 30 s."}
        return contract(path, headers)

    page, problems = open_page(browser, respond)
    expect(page.locator("#dashboard")).to_be_visible()
    replays = page.locator("#panel-replays")
    expect(replays).to_have_attribute("data-state", "error")
    expect(replays.locator(".panel-status")).to_have_text(
        re.compile(r"^Error 429: Rate limit exceeded")
    )
    assert problems == []
