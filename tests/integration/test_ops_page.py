"""The ops page (/ops) in a real browser: Debian's Chromium (`make test` installs it),
driven by Playwright for Python, against the running stack's API.

A refused token shows why; the admin token logs in and stays for the tab's session across a
reload; the processes panel lists the stack's processes as the API reports them; each other
panel shows its endpoint's data (a poison record and a verify run made beforehand, so the
dead letters and verify panels have rows); logout forgets the token.
``OPS_PAGE_SCREENSHOT=docs/ops-page.png`` also saves the page's screenshot there (README
"Ops page").
"""

from __future__ import annotations

import os
import re
import struct
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from confluent_kafka import Producer
from playwright.sync_api import Browser, Page, expect

from schemas.odoo_tables import raw_topic
from tests.chromium import chromium
from tests.integration.feed import eventually
from tests.integration.stacks import RunningStack

pytestmark = pytest.mark.integration

TOKEN_KEY = "atraxion.ops.token"
WAIT_MS = 60_000  # how long to wait for the page to show something (never asserted on)
# Panel -> (its endpoint, the rows it draws from that endpoint's data).
PANELS = {
    "panel-lag": ("/api/v1/ops/lag", "tr[data-group]"),
    "panel-freshness": ("/api/v1/ops/freshness", "tr[data-entity]"),
    "panel-dead-letters": ("/api/v1/ops/dead-letters?limit=10", "tr[data-dead-letter]"),
    "panel-resyncs": ("/api/v1/ops/resyncs", None),
    "panel-replays": ("/api/v1/ops/replays", None),
    "panel-verify": ("/api/v1/ops/verify", "tr[data-entity]"),
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser: Browser, stack: RunningStack) -> Iterator[Page]:
    context = browser.new_context(base_url=stack.api_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    expect.set_options(timeout=WAIT_MS)  # assertions wait for the page this long
    page.set_default_timeout(WAIT_MS)
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    # Chromium reports a Content-Security-Policy violation on the console.
    page.on(
        "console",
        lambda message: (
            script_errors.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()
    assert script_errors == []


def open_page(page: Page) -> None:
    response = page.goto("/ops")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]


def log_in(page: Page, token: str) -> None:
    page.fill("#token", token)
    page.click("#login-submit")


def stored_token(page: Page) -> str | None:
    return page.evaluate(f"sessionStorage.getItem({TOKEN_KEY!r})")


def test_wrong_tokens_are_refused(page: Page, stack: RunningStack) -> None:
    open_page(page)
    expect(page.locator("#login")).to_be_visible()

    log_in(page, "atx_" + "x" * 43)  # well-formed, unknown
    error = page.locator("#login-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Refused (401)")
    expect(error).to_contain_text("not valid")

    log_in(page, stack.tokens["webshop"])  # valid, without the admin scope
    expect(error).to_contain_text("Refused (403)")
    expect(error).to_contain_text("admin scope")

    expect(page.locator("#dashboard")).to_be_hidden()
    assert stored_token(page) is None


@pytest.fixture(scope="module")
def a_dead_letter(stack: RunningStack, admin_api: httpx.Client) -> str:
    """A poison record on a raw topic, once its dead letter is listed: its key."""
    key = f'{{"id": {5 * 10**8 + uuid.uuid4().int % 10**6}}}'
    producer = Producer({"bootstrap.servers": stack.kafka_bootstrap})
    source = raw_topic(stack.settings.topic_prefix, "product_template")
    producer.produce(source, key=key.encode(), value=b"\x00not json")
    assert producer.flush(10) == 0

    def listed() -> bool:
        response = admin_api.get("/api/v1/ops/dead-letters", params={"limit": 1000}, timeout=60)
        return any(i["key"] == key for i in response.json()["items"])

    eventually(listed, 90, "the poison record's dead letter")
    return key


@pytest.fixture(scope="module")
def a_verify_run(admin_api: httpx.Client) -> None:
    """A verify of the products view through the API, once its result is in."""
    started = admin_api.post("/api/v1/ops/verify", json={"entities": ["products"]})
    assert started.status_code == 202, started.text

    def finished() -> bool:
        result = admin_api.get("/api/v1/ops/verify").json()
        return not result["running"] and any(e["entity"] == "products" for e in result["entities"])

    eventually(finished, 120, "the verify run's result")


def test_admin_session(
    page: Page,
    stack: RunningStack,
    admin_api: httpx.Client,
    a_dead_letter: str,
    a_verify_run: None,
) -> None:
    group = stack.settings.materializer_group
    open_page(page)
    log_in(page, stack.tokens["admin"])
    expect(page.locator("#dashboard")).to_be_visible()
    expect(page.locator("#login")).to_be_hidden()
    assert stored_token(page) == stack.tokens["admin"]
    check_processes(page, stack, admin_api)
    for panel, (path, rows) in PANELS.items():
        check_panel(page, admin_api, panel, path, rows, group)

    # The session survives a reload: no login form, the panels are drawn again.
    page.reload()
    expect(page.locator("#dashboard")).to_be_visible()
    expect(page.locator("#login")).to_be_hidden()
    check_processes(page, stack, admin_api)
    # Two refreshes after the reload, so that the lag chart has a line (when there is lag).
    # (An attribute check: the page's CSP forbids the eval that wait_for_function needs.)
    expect(page.locator("body")).to_have_attribute("data-refreshes", re.compile(r"^([2-9]|\d\d+)$"))
    for panel, (path, rows) in PANELS.items():
        check_panel(page, admin_api, panel, path, rows, group)
    screenshot(page)

    page.click("#logout")
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#login-note")).to_have_text("Logged out.")
    expect(page.locator("#dashboard")).to_be_hidden()
    assert stored_token(page) is None
    assert page.locator("#panel-processes tr[data-process]").count() == 0
    page.reload()
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#dashboard")).to_be_hidden()


def check_processes(page: Page, stack: RunningStack, admin_api: httpx.Client) -> None:
    """The panel lists the processes the endpoint reports: the embedded stack's supervisor
    and every child of it, the watched processors alive."""
    response = admin_api.get("/api/v1/ops/processes")
    assert response.status_code == 200
    reported = {p["name"] for p in response.json()["processes"]}
    children = set(getattr(stack, "children", {}))  # the embedded stack's own processes
    assert children <= reported
    assert {"streams", "materializer"} <= reported
    rows = page.locator("#panel-processes tr[data-process]")
    expect(rows.first).to_be_visible()
    expect(page.locator("#panel-processes")).to_have_attribute("data-state", "ok")
    shown = set(rows.evaluate_all("rows => rows.map(r => r.dataset.process)"))
    assert reported <= shown
    for name in ("streams", "materializer", "api"):
        if name in reported:
            state = page.locator(f'#panel-processes tr[data-process="{name}"] td').nth(1)
            expect(state).to_have_text("alive")


def check_panel(
    page: Page,
    admin_api: httpx.Client,
    panel: str,
    path: str,
    rows: str | None,
    materializer_group: str,
) -> None:
    """The panel shows its endpoint's data."""
    section = page.locator(f"#{panel}")
    status = admin_api.get(path, timeout=60).status_code
    assert status == 200, f"{path} answered {status}"
    expect(section).to_have_attribute("data-state", "ok")
    if panel == "panel-lag":
        # The materializer reads the domain topics: its group has lag figures.
        group = section.locator(f'tr[data-group="{materializer_group}"]')
        expect(group).to_be_visible()
    if rows is not None:
        expect(section.locator(rows).first).to_be_visible()


def screenshot(page: Page) -> None:
    png = page.screenshot(full_page=True)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width == 1280 and height >= 900
    target = os.environ.get("OPS_PAGE_SCREENSHOT")
    if target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_bytes(png)
