"""A stall is seen and healed: liveness status files, and the supervisor restarting children
that die, freeze or stall (deploy/local/stack.py ``supervise_once``).

The supervisor is driven here by explicit ``supervise_once()`` passes, so children are only
ever restarted inside these tests; each test ends with a change that has gone through the
whole pipeline, i.e. with the stack healthy again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import pytest

from core.process_status import read_status, status_path
from deploy.local.stack import ROOT, WATCHED, Stack
from schemas.entities import EXTERNAL_IDS
from schemas.odoo_tables import CAPTURED_TABLES, raw_topic
from schemas.topics import (
    DOMAIN_TOPICS,
    PRODUCTS_TOPIC,
    WEBSHOP_ORDER_RESULTS_TOPIC,
    WEBSHOP_ORDERS_TOPIC,
)
from streams.kafka.topics import rekey_topics
from tests.integration.feed import (
    barrier,
    eventually,
    item,
    set_price,
    template_ids,
    wait_for_every_template,
)
from tests.integration.stacks import RunningStack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def local(stack: RunningStack) -> Stack:
    if not isinstance(stack, Stack):
        pytest.skip("the supervisor belongs to the embedded stack's process handling")
    return stack


@pytest.fixture(scope="module", autouse=True)
def snapshot_done(api: httpx.Client, odoo: psycopg.Connection) -> None:
    wait_for_every_template(api, odoo)


def current_status(stack: Stack, process: str) -> dict[str, Any] | None:
    """The liveness status written by the running incarnation of ``process``."""
    status = read_status(status_path(stack.state_dir, process))
    started = stack.children[process].started_at
    return status if status is not None and status["checkedAt"] >= started else None


def supervised(stack: Stack, check: Callable[[], Any]) -> Callable[[], Any]:
    """``check``, preceded by one supervision pass (what ``atraxion up`` does every 0.5 s)."""

    def step() -> Any:
        stack.supervise_once()
        return check()

    return step


def replaced(stack: Stack, process: str, problems: list[str]) -> Callable[[], bool]:
    """A check for ``eventually``: one supervision pass, true once ``process`` runs under a
    new pid; the liveness problems seen on the way are appended to ``problems``."""
    child = stack.children[process]
    old_pid = child.pid

    def step() -> bool:
        problem = stack.liveness_problem(process)
        if problem is not None:
            problems.append(problem)
        stack.supervise_once()
        return child.alive() and child.pid != old_pid

    return step


def price_in_feed(api: httpx.Client, odoo_id: int, price: float) -> Callable[[], bool]:
    def arrived() -> bool:
        try:
            current = item(api, odoo_id)
        except httpx.HTTPError:  # the API itself may be restarting
            return False
        return bool(current and abs(current["data"]["list_price"] - price) < 1e-9)

    return arrived


def test_processors_report_themselves_live(local: Stack, api: httpx.Client, odoo):
    barrier(api, odoo, template_ids(odoo)[50])
    after = time.time()
    expected_streams = {
        f"{topic}[{p}]"
        for topic in [
            *(raw_topic(local.settings.topic_prefix, t) for t in CAPTURED_TABLES),
            *rekey_topics(local.settings),
        ]
        for p in range(local.settings.topic_partitions)
    }
    for process in WATCHED:

        def caught_up(process: str = process) -> dict[str, Any] | None:
            status = current_status(local, process)
            if status is None or status["checkedAt"] < after or not status["lag"]:
                return None
            return status if not any(status["lag"].values()) else None

        status = eventually(caught_up, 30, f"{process} to report lag 0")
        assert status["status"] == "idle"
        assert status["process"] == process and status["stalledFor"] == 0
        if process == "streams":
            # Only the topics the worker's group consumes (agents' inputs).
            assert set(status["lag"]) <= expected_streams
            assert (
                f"{raw_topic(local.settings.topic_prefix, 'product_template')}[0]"
                in (status["lag"])
            )
        elif process == "materializer":
            # The domain topics, Debezium's ir_model_data (the external-id sink's), the
            # webshop-order results (the order-status sink's) and Debezium's notifications.
            external_ids = raw_topic(local.settings.topic_prefix, EXTERNAL_IDS.source.name)
            read = (
                *DOMAIN_TOPICS,
                external_ids,
                WEBSHOP_ORDER_RESULTS_TOPIC,
                local.settings.debezium_notifications_topic,  # resync progress
            )
            assert set(status["lag"]) == {f"{t}[0]" for t in read}
        else:
            assert set(status["lag"]) == {f"{WEBSHOP_ORDERS_TOPIC}[0]"}
        # The healthcheck compose runs.
        check = subprocess.run(
            [sys.executable, "-m", "streams.kafka.liveness", "check", process],
            env={**os.environ, "ATRAXION_STATE_DIR": str(local.state_dir)},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert check.returncode == 0, check.stderr
    ready = api.get("/ready")
    assert ready.status_code == 200, ready.text
    assert set(ready.json()["processors"].values()) <= {"ok", "idle"}
    # /ready is about the feeds being current: the order sink is watched, not reported there.
    assert set(ready.json()["processors"]) == {"streams", "materializer"}


@pytest.mark.parametrize("process", ["streams", "materializer", "connect", "api"])
def test_a_child_that_dies_is_restarted(process: str, local: Stack, api, odoo):
    if process not in local.children:
        pytest.skip(f"{process} is not a child process of this stack")
    child = local.children[process]
    old_pid = child.pid
    assert old_pid is not None and child.alive()
    attempts = local.restart_attempts.get(process, 0)
    os.killpg(old_pid, signal.SIGKILL)  # a crash: behind the supervisor's back
    began = time.monotonic()
    eventually(
        supervised(local, lambda: child.alive() and child.pid != old_pid),
        90,
        f"the supervisor to restart {process}",
    )
    restarted = time.monotonic() - began
    assert local.restart_attempts[process] in (1, attempts + 1)

    product = template_ids(odoo)[51 + ["streams", "materializer", "connect", "api"].index(process)]
    price = round(5100 + time.time() % 1000, 2)
    set_price(odoo, product, price)
    eventually(supervised(local, price_in_feed(api, product, price)), 180, "the change")
    print(
        f"\n{process}: SIGKILL -> restarted {restarted:.1f}s, "
        f"-> next change in the feed {time.monotonic() - began:.1f}s"
    )


def test_a_frozen_streams_worker_is_seen_and_restarted(local: Stack, api, odoo):
    child = local.children["streams"]
    eventually(lambda: current_status(local, "streams"), 120, "the worker's first status")
    old_pid = child.pid
    assert old_pid is not None
    product = template_ids(odoo)[55]
    price = round(5500 + time.time() % 1000, 2)
    problems: list[str] = []
    restarted = replaced(local, "streams", problems)

    os.killpg(old_pid, signal.SIGSTOP)  # frozen: alive, but nothing runs, not even its checks
    try:
        began = time.monotonic()
        set_price(odoo, product, price)  # input pending for the frozen worker
        eventually(restarted, 90, "the supervisor to notice the frozen worker")
        restart_s = time.monotonic() - began
    finally:
        if child.pid == old_pid:  # failed: let the stack stop it normally
            with contextlib.suppress(ProcessLookupError):
                os.killpg(old_pid, signal.SIGCONT)
    assert problems and "old" in problems[0], problems
    eventually(supervised(local, price_in_feed(api, product, price)), 180, "the change")
    print(
        f"\nstreams SIGSTOP: restarted after {restart_s:.1f}s ({problems[0]}), "
        f"change in the feed after {time.monotonic() - began:.1f}s"
    )


def test_a_stalled_materializer_is_seen_and_restarted(local: Stack, api, odoo):
    """The materializer runs but cannot write: its input piles up, its offsets stand still."""
    eventually(lambda: current_status(local, "materializer"), 60, "its first status")
    product = template_ids(odoo)[56]
    price = round(5600 + time.time() % 1000, 2)
    problems: list[str] = []
    restarted = replaced(local, "materializer", problems)

    with psycopg.connect(local.readmodel_dsn) as locker:
        # Its next upsert waits for this lock for as long as the transaction lasts.
        locker.execute("LOCK TABLE product_feed IN ACCESS EXCLUSIVE MODE")
        began = time.monotonic()
        set_price(odoo, product, price)
        status = eventually(
            lambda: (s := current_status(local, "materializer")) and s["status"] == "stalled" and s,
            60,
            "the materializer to report itself stalled",
        )
        seen_s = time.monotonic() - began
        # The API still serves, and its /ready tells the feed is not current.
        ready = api.get("/ready")
        assert ready.status_code == 503, ready.text
        assert ready.headers["content-type"].startswith("application/problem+json")
        assert "materializer: stalled" in ready.json()["detail"]
        assert ready.json()["processors"]["materializer"] == "not live"
        eventually(restarted, 60, "the supervisor to restart the stalled materializer")
        restart_s = time.monotonic() - began
        locker.rollback()
    assert status["lag"][f"{PRODUCTS_TOPIC}[0]"] > 0
    assert any("stalled" in p for p in problems), problems
    eventually(supervised(local, price_in_feed(api, product, price)), 180, "the change")
    eventually(supervised(local, lambda: api.get("/ready").status_code == 200), 60, "/ready")
    print(
        f"\nmaterializer stall: reported after {seen_s:.1f}s, restarted after {restart_s:.1f}s, "
        f"change in the feed after {time.monotonic() - began:.1f}s"
    )
