"""Replaying a view from its topic against the running stack: through the CLI (in its own
process) and through the API (run by the materializer), while the API serves the feed."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from confluent_kafka import Producer

from schemas.entities import PRODUCTS
from tests.integration.feed import (
    FEED,
    barrier,
    eventually,
    item,
    mark_processed,
    own_templates,
    pending_ids,
)
from tests.integration.offsets import caught_up
from tests.integration.stacks import RunningStack

pytestmark = pytest.mark.integration
REPLAYS = "/api/v1/ops/replays"
COLUMNS = (
    "odoo_id, external_id, data, changed_fields, is_new, deleted, pending, updated_at, "
    "source_ts, pos_commit, pos_lsn, pos_seq"
)


@pytest.fixture(scope="module")
def mine(
    stack: RunningStack, api: httpx.Client, odoo: psycopg.Connection, readmodel: psycopg.Connection
) -> Iterator[list[int]]:
    with own_templates(api, odoo, readmodel, 8, lambda: quiet(stack)) as own:
        yield own


def quiet(stack: RunningStack) -> None:
    """The materializer has applied every record of the products topic."""
    group = stack.settings.materializer_group
    eventually(lambda: caught_up(stack, group, PRODUCTS.topic), 120, "the materializer")


def view(readmodel: psycopg.Connection) -> dict[int, tuple[Any, ...]]:
    rows = readmodel.execute(f"SELECT {COLUMNS} FROM product_feed ORDER BY odoo_id")
    return {row[0]: row for row in rows}


def cli_replay(stack: RunningStack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **stack.settings.as_env()}
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", "replay", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def api_replay(admin_api: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = admin_api.post(REPLAYS, json=body)
    assert response.status_code == 202, response.text
    started = response.json()
    assert started["status"] == "queued"

    def finished() -> dict[str, Any] | None:
        current = admin_api.get(f"{REPLAYS}/{started['id']}").json()
        return current if current["status"] in ("done", "failed") else None

    return eventually(finished, 180, f"replay {started['id']}")


def test_replay_while_the_api_serves_changes_nothing_twice(
    stack: RunningStack, api: httpx.Client, readmodel: psycopg.Connection, mine: list[int]
):
    # Some items processed, some pending: a replay must keep both as they are.
    processed = mine[:3]
    mark_processed(api, processed)
    quiet(stack)
    before = view(readmodel)
    statuses: list[int] = []
    outcome: dict[str, subprocess.CompletedProcess[str]] = {}
    replay = threading.Thread(
        target=lambda: outcome.update(run=cli_replay(stack, "--view", "products"))
    )
    replay.start()
    while replay.is_alive():
        statuses.append(api.get(FEED, params={"limit": 50}).status_code)
        statuses.append(api.get(f"{FEED}/{processed[0]}").status_code)
    replay.join()
    assert outcome["run"].returncode == 0, outcome["run"].stderr
    assert "replay products" in outcome["run"].stderr
    assert statuses and set(statuses) == {200}
    assert view(readmodel) == before
    assert not set(processed) & pending_ids(api)

    second = cli_replay(stack, "--view", "products")
    assert second.returncode == 0, second.stderr
    assert "rows changed 0, pruned 0" in second.stderr
    assert view(readmodel) == before


def test_replay_through_the_api_restores_deleted_rows(
    stack: RunningStack,
    api: httpx.Client,
    admin_api: httpx.Client,
    readmodel: psycopg.Connection,
    mine: list[int],
):
    quiet(stack)
    before = view(readmodel)
    lost = mine[3:6]
    readmodel.execute("DELETE FROM product_feed WHERE odoo_id = ANY(%s)", (lost,))
    assert all(item(api, odoo_id) is None for odoo_id in lost)

    done = api_replay(admin_api, {"view": "products"})
    assert done["status"] == "done", done
    assert done["total"] >= len(before) and done["done"] == done["total"]
    assert done["pruned"] == 0 and done["skipped"] == 0
    after = view(readmodel)
    assert set(after) == set(before)
    for odoo_id in lost:
        was, now = before[odoo_id], after[odoo_id]
        # data, external id, deleted flag and position are the last event's, as before
        assert (now[1], now[2], now[5], now[9:]) == (was[1], was[2], was[5], was[9:])
        assert now[6] is True  # back as pending: the webshop cannot have seen it
        assert item(api, odoo_id) is not None
    untouched = set(before) - set(lost)
    assert {k: after[k] for k in untouched} == {k: before[k] for k in untouched}
    listed = admin_api.get(REPLAYS).json()["items"]
    assert listed[0]["id"] == done["id"]


def test_replay_marks_pending_when_asked(
    api: httpx.Client, admin_api: httpx.Client, mine: list[int]
):
    some = mine[6:8]
    mark_processed(api, some)
    assert not set(some) & pending_ids(api)
    done = api_replay(admin_api, {"view": "products", "markPending": True})
    assert done["status"] == "done", done
    assert set(some) <= pending_ids(api)


def test_replay_rejects_unknown_views(admin_api: httpx.Client):
    response = admin_api.post(REPLAYS, json={"view": "nope"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == ["body.view"]
    response = admin_api.post(REPLAYS, json={"view": "external_ids", "markPending": True})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.markPending"]


def test_replay_removes_rows_whose_key_is_gone_from_the_topic(
    stack: RunningStack,
    api: httpx.Client,
    odoo: psycopg.Connection,
    readmodel: psycopg.Connection,
    mine: list[int],
):
    """A row no record in the topic names (left behind), and a key whose last record is a
    tombstone (deleted from the compacted topic), are removed; nothing else changes."""
    quiet(stack)
    # (The materializer dead-letters the tombstone: its sink has no delete for one.)
    victim = mine[-1]
    readmodel.execute(
        "INSERT INTO product_feed (odoo_id, data, pos_commit, pos_lsn, pos_seq) "
        "VALUES (999999999, '{}', 1, 1, 1)"
    )
    producer = Producer({"bootstrap.servers": stack.kafka_bootstrap})
    producer.produce(PRODUCTS.topic, key=str(victim).encode(), value=None)
    assert producer.flush(30) == 0
    quiet(stack)
    before = view(readmodel)

    run = cli_replay(stack, "--view", "products")
    assert run.returncode == 0, run.stderr
    assert "pruned 2" in run.stderr
    after = view(readmodel)
    assert set(before) - set(after) == {999999999, victim}
    assert after == {k: v for k, v in before.items() if k not in (999999999, victim)}
    assert item(api, victim) is None

    # The product's next change in Odoo brings it back (for the modules after this one too).
    barrier(api, odoo, victim)
    assert victim in pending_ids(api)
