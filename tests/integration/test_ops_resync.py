"""Resyncs against the running stack: a Debezium incremental snapshot started by a signal in
the Odoo database, its progress from Debezium's notifications, its rows through the same
processors as live changes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from schemas.entities import PRICES, PRODUCTS
from schemas.odoo_tables import raw_topic
from tests.integration.feed import (
    barrier,
    eventually,
    item,
    mark_processed,
    own_templates,
    pending_ids,
    set_price,
    template_ids,
    wait_for_price,
)
from tests.integration.offsets import caught_up
from tests.integration.stacks import RunningStack

pytestmark = pytest.mark.integration
RESYNCS = "/api/v1/ops/resyncs"


@pytest.fixture(scope="module")
def mine(
    stack: RunningStack, api: httpx.Client, odoo: psycopg.Connection, readmodel: psycopg.Connection
) -> Iterator[list[int]]:
    with own_templates(api, odoo, readmodel, 5, lambda: quiet(stack)) as own:
        yield own


def quiet(stack: RunningStack) -> None:
    """The processors have read every product_template and product_product change, and the
    materializer has applied every product and price event."""
    streams, materializer = stack.settings.streams_app_id, stack.settings.materializer_group
    for table in ("product_template", "product_product"):
        raw = raw_topic(stack.settings.topic_prefix, table)
        eventually(lambda raw=raw: caught_up(stack, streams, raw), 120, f"processors: {raw}")
    for topic in (PRODUCTS.topic, PRICES.topic):
        eventually(lambda t=topic: caught_up(stack, materializer, t), 120, f"materializer: {topic}")


def feed_rows(readmodel: psycopg.Connection) -> dict[int, tuple[Any, ...]]:
    rows = readmodel.execute(
        "SELECT odoo_id, data, changed_fields, pending, updated_at, pos_commit, pos_lsn, pos_seq "
        "FROM product_feed ORDER BY odoo_id"
    )
    return {row[0]: row for row in rows}


def price_rows(readmodel: psycopg.Connection) -> dict[str, tuple[Any, ...]]:
    """The prices computed from product_template (list_price): a re-read template that did
    not change must not move them either."""
    rows = readmodel.execute(
        "SELECT key, item, pending, updated_at, pos_commit, pos_lsn, pos_seq FROM price_feed"
    )
    return {row[0]: row for row in rows}


def wait_finished(admin_api: httpx.Client, resync_id: str) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        current = admin_api.get(f"{RESYNCS}/{resync_id}").json()
        return current if current["status"] in ("done", "aborted", "failed") else None

    return eventually(finished, 180, f"resync {resync_id}")


def test_resync_of_unchanged_rows_is_done_and_adds_no_feed_entry(
    stack: RunningStack,
    api: httpx.Client,
    admin_api: httpx.Client,
    readmodel: psycopg.Connection,
    mine: list[int],
):
    three = mine[:3]
    mark_processed(api, three)
    quiet(stack)
    before = feed_rows(readmodel)
    prices_before = price_rows(readmodel)

    env = {**os.environ, **stack.settings.as_env()}
    run = subprocess.run(
        [sys.executable, "-m", "deploy.cli", "resync", "--table", "product_template",
         "--ids", ",".join(map(str, three))],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    listed = admin_api.get(RESYNCS).json()["items"]
    resync = listed[0]
    assert resync["status"] == "done", resync
    assert resync["table"] == "product_template" and resync["ids"] == three
    assert resync["rowsDone"] >= 3 and resync["expected"] == 3
    assert f"resync {resync['id']}" in run.stderr

    quiet(stack)
    assert not set(three) & pending_ids(api)
    assert feed_rows(readmodel) == before  # every item, pending or not, as it was
    assert price_rows(readmodel) == prices_before


def test_resync_brings_a_change_debezium_did_not_see(
    stack: RunningStack,
    api: httpx.Client,
    admin_api: httpx.Client,
    odoo: psycopg.Connection,
    mine: list[int],
):
    """A change made while product_template was out of the publication (a DBA's maintenance,
    say) never reaches Debezium; a resync of the row does, as that one change."""
    product, other = mine[3], mine[4]
    mark_processed(api, [product])
    publication = stack.settings.publication_name
    old_price = item(api, product)["data"]["list_price"]
    odoo.execute(f"ALTER PUBLICATION {publication} DROP TABLE product_template")
    try:
        set_price(odoo, product, old_price + 17)
    finally:
        odoo.execute(f"ALTER PUBLICATION {publication} ADD TABLE product_template")
    barrier(api, odoo, other)  # everything before has been through the pipeline
    assert item(api, product)["data"]["list_price"] == old_price
    assert product not in pending_ids(api)

    response = admin_api.post(RESYNCS, json={"table": "product_template", "ids": [product]})
    assert response.status_code == 202, response.text
    done = wait_finished(admin_api, response.json()["id"])
    assert done["status"] == "done" and done["rowsDone"] == 1, done

    current = wait_for_price(api, product, old_price + 17)
    assert current["pending"] is True
    assert current["changedFields"] == ["list_price"]


def test_resync_by_condition(admin_api: httpx.Client, odoo: psycopg.Connection, mine: list[int]):
    first = template_ids(odoo)[0]
    response = admin_api.post(
        RESYNCS, json={"table": "product_template", "where": f"id <= {first} AND active"}
    )
    assert response.status_code == 202, response.text
    assert response.json()["expected"] == 1
    done = wait_finished(admin_api, response.json()["id"])
    assert done["status"] == "done" and done["rowsDone"] == 1, done


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"table": "res_users"}, "body.table"),
        ({"table": "product_template", "ids": ["a"]}, "body.ids.0"),
        ({"table": "product_template", "ids": [0]}, "body.ids.0"),
        ({"table": "product_template", "ids": [1], "where": "id = 1"}, "body.ids"),
        ({"table": "product_template", "where": "id = 1; DROP TABLE res_users"}, "body.where"),
        ({"table": "product_template", "where": "id = 1 -- rest"}, "body.where"),
        ({"table": "product_template", "where": "id = 1 /* x */"}, "body.where"),
        ({"table": "product_template", "where": "no_such_column = 1"}, "body.where"),
        # Writes fail in the read-only count that checks the condition.
        (
            {"table": "product_template", "where": "nextval('product_template_id_seq') > 0"},
            "body.where",
        ),
        ({"table": "product_template", "where": "1"}, "body.where"),
    ],
)
def test_invalid_requests_are_problems_naming_the_field(
    admin_api: httpx.Client, body: dict[str, Any], field: str
):
    response = admin_api.post(RESYNCS, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_signal_debezium_never_read_is_pointed_out(
    stack: RunningStack, admin_api: httpx.Client, readmodel: psycopg.Connection
) -> None:
    """A resync recorded with no signal for Debezium to read (what a stopped connector, or a
    signal table the connector does not watch, looks like): once it has been requested for
    ATRAXION_RESYNC_SIGNAL_WAIT_S the API says why it does not move; a fresh one does not."""
    wait_s = stack.settings.resync_signal_wait_s
    ids = {}
    for name, age in (("stuck", wait_s + 30), ("fresh", 0)):
        (ids[name],) = readmodel.execute(
            'INSERT INTO ops_resync (id, "table", expected, started_at) '
            "VALUES (gen_random_uuid(), 'product_template', 1, "
            "now() - make_interval(secs => %s)) RETURNING id",
            (age,),
        ).fetchone()
    try:
        stuck = admin_api.get(f"{RESYNCS}/{ids['stuck']}").json()
        assert stuck["status"] == "requested"
        assert "Debezium has not read the signal" in stuck["hint"]
        assert f"public.{stack.settings.signal_table}" in stuck["hint"]
        fresh = admin_api.get(f"{RESYNCS}/{ids['fresh']}").json()
        assert (fresh["status"], fresh["hint"]) == ("requested", None)
        listed = {r["id"]: r for r in admin_api.get(RESYNCS).json()["items"]}
        assert "Debezium has not read the signal" in listed[str(ids["stuck"])]["hint"]
        assert listed[str(ids["fresh"])]["hint"] is None
    finally:
        readmodel.execute("DELETE FROM ops_resync WHERE id = ANY(%s)", (list(ids.values()),))
