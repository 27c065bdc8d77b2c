"""`atraxion verify`: finds nothing on a caught-up stack, and finds (and names) what differs
when the read model and Odoo disagree: rows tampered with in the read model, and an Odoo
change the stopped materializer has not applied yet. Its result reaches the API and the
metrics collector."""

from __future__ import annotations

import json

import httpx
import psycopg
import pytest
from psycopg.types.json import Jsonb

from api.verify_collector import VerifyCollector
from readmodel.verify_runs import LOCK_ID, VIEW_NAMES
from tests.integration.feed import eventually, template_ids
from tests.integration.stacks import RunningStack
from tests.integration.verification import run_verify, verified_clean

pytestmark = pytest.mark.integration

FAKE_ID = 10**12  # no Odoo row has it
PATH = "/api/v1/ops/verify"


def collected(stack: RunningStack) -> dict[tuple[str, str], float]:
    return {
        (family.name, sample.labels["entity"]): sample.value
        for family in VerifyCollector(stack.readmodel_dsn).collect()
        for sample in family.samples
    }


def test_a_caught_up_stack_verifies_clean_and_the_result_is_served(
    stack: RunningStack, admin_api: httpx.Client, api: httpx.Client
) -> None:
    result = verified_clean(stack)
    assert [e["entity"] for e in result["entities"]] == list(VIEW_NAMES)

    served = admin_api.get("/api/v1/ops/verify")
    assert served.status_code == 200, served.text
    body = served.json()
    assert body["ranAt"] is not None
    assert {e["entity"]: e["differences"] for e in body["entities"]} == dict.fromkeys(VIEW_NAMES, 0)
    assert api.get("/api/v1/ops/verify").status_code == 403  # a webshop token: not admin

    metrics = collected(stack)
    for view in VIEW_NAMES:
        assert metrics[("atraxion_verify_differences", view)] == 0
        assert metrics[("atraxion_verify_last_run_timestamp_seconds", view)] > 0


def test_rows_tampered_with_in_the_read_model_are_found_and_named(
    stack: RunningStack,
    readmodel: psycopg.Connection,
    odoo: psycopg.Connection,
    admin_api: httpx.Client,
) -> None:
    verified_clean(stack)
    changed, lost = template_ids(odoo)[5:7]
    (data,) = readmodel.execute(
        "SELECT data FROM product_feed WHERE odoo_id = %s", (changed,)
    ).fetchone()
    price_key, price_item = readmodel.execute(
        "SELECT key, item FROM price_feed WHERE NOT deleted ORDER BY key LIMIT 1"
    ).fetchone()
    try:
        # A wrong price in a document, a lost document (served as deleted), a product Odoo
        # never had, a wrong computed price.
        readmodel.execute(
            "UPDATE product_feed SET data = jsonb_set(data, '{list_price}', '-1')"
            " WHERE odoo_id = %s",
            (changed,),
        )
        readmodel.execute("UPDATE product_feed SET deleted = true WHERE odoo_id = %s", (lost,))
        readmodel.execute(
            "INSERT INTO product_feed (odoo_id, data, pos_commit, pos_lsn, pos_seq)"
            " VALUES (%s, '{\"id\": 1}', 0, 0, 0)",
            (FAKE_ID,),
        )
        readmodel.execute(
            "UPDATE price_feed SET item = jsonb_set(item, '{price}', '-2') WHERE key = %s",
            (price_key,),
        )
        done = run_verify(stack, "--entity", "products", "--entity", "prices")
        assert done.returncode == 1, done.stdout + done.stderr
        out = done.stdout
        assert "products: " in out and "3 differences" in out.split("products: ")[1].splitlines()[0]
        assert f"different {changed}" in out
        assert f"data.list_price: expected {data['list_price']!r}, served -1" in out
        assert f"missing {lost}" in out
        assert f"extra {FAKE_ID}" in out
        assert f"different {price_key}" in out
        assert f"price: expected {price_item['price']!r}, served -2" in out

        # Kept for the API and the metrics: the views compared now, with their samples.
        body = admin_api.get("/api/v1/ops/verify").json()
        products = next(e for e in body["entities"] if e["entity"] == "products")
        assert (products["missing"], products["extra"], products["different"]) == (1, 1, 1)
        assert {(d["key"], d["kind"]) for d in products["sample"]} == {
            (str(changed), "different"),
            (str(lost), "missing"),
            (str(FAKE_ID), "extra"),
        }
        metrics = collected(stack)
        assert metrics[("atraxion_verify_differences", "products")] == 3
        assert metrics[("atraxion_verify_differences", "prices")] == 1
        assert metrics[("atraxion_verify_differences", "stock")] == 0  # not compared now
    finally:
        readmodel.execute(
            "UPDATE product_feed SET data = %s WHERE odoo_id = %s", (Jsonb(data), changed)
        )
        readmodel.execute("UPDATE product_feed SET deleted = false WHERE odoo_id = %s", (lost,))
        readmodel.execute("DELETE FROM product_feed WHERE odoo_id = %s", (FAKE_ID,))
        readmodel.execute(
            "UPDATE price_feed SET item = %s WHERE key = %s", (Jsonb(price_item), price_key)
        )
    verified_clean(stack, timeout=60)


def test_an_odoo_change_not_yet_in_the_read_model_is_a_difference_until_applied(
    stack: RunningStack, odoo: psycopg.Connection
) -> None:
    verified_clean(stack)
    product = template_ids(odoo)[8]
    stack.kill("materializer")  # the change reaches the topics, not the read model
    try:
        odoo.execute(
            "UPDATE product_template SET list_price = list_price + 7, write_date = now()"
            " WHERE id = %s",
            (product,),
        )
        (price,) = odoo.execute(
            "SELECT list_price FROM product_template WHERE id = %s", (product,)
        ).fetchone()
        done = run_verify(stack, "--entity", "products", "--json")
        assert done.returncode == 1, done.stdout + done.stderr
        (products,) = json.loads(done.stdout)["entities"]
        assert products["differences"] == 1
        (difference,) = products["sample"]
        assert difference["key"] == str(product) and difference["kind"] == "different"
        assert {
            "path": "data.list_price",
            "expected": float(price),
            "served": float(price) - 7,
        } in (difference["fields"])
    finally:
        stack.restart("materializer")
    eventually(
        lambda: run_verify(stack, "--entity", "products").returncode == 0,
        120,
        "the restarted materializer to apply the change",
    )


def test_a_verify_started_through_the_api_replaces_the_views_result(
    stack: RunningStack, admin_api: httpx.Client
) -> None:
    verified_clean(stack)
    before = {e["entity"]: e for e in admin_api.get(PATH).json()["entities"]}

    # While a run holds the lock (here the test itself), none other starts.
    with psycopg.connect(stack.readmodel_dsn, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (LOCK_ID,))
        assert admin_api.get(PATH).json()["running"] is True
        refused = admin_api.post(PATH, json={"entities": ["pricelists"]})
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert run_verify(stack, "--entity", "pricelists").returncode == 2

    invalid = admin_api.post(PATH, json={"entities": ["nope"]})
    assert invalid.status_code == 422, invalid.text
    assert "entities" in invalid.text

    started = admin_api.post(PATH, json={"entities": ["pricelists", "external_ids"]})
    assert started.status_code == 202, started.text
    assert started.json()["entities"] == ["pricelists", "external_ids"]

    def replaced() -> dict[str, dict]:
        body = admin_api.get(PATH).json()
        after = {e["entity"]: e for e in body["entities"]}
        assert not body["running"]
        assert after["pricelists"]["runId"] > before["pricelists"]["runId"], after["pricelists"]
        return after

    after = eventually(replaced, 120, "the started verify to store its result")
    assert after["external_ids"]["runId"] == after["pricelists"]["runId"]
    assert after["pricelists"]["differences"] == after["external_ids"]["differences"] == 0
    assert after["products"] == before["products"]  # not compared by that run


def test_it_cannot_run_without_its_databases(stack: RunningStack) -> None:
    nowhere = "postgresql://atraxion:s3cret@127.0.0.1:1/readmodel"
    done = run_verify(stack, env={"ATRAXION_READMODEL_DSN": nowhere})
    assert done.returncode == 2, done.stdout + done.stderr
    assert "atraxion verify: cannot run" in done.stderr
    assert "s3cret" not in done.stderr + done.stdout
