"""The dead-letter ops routes and their service (api/dead_letters.py) without services: the
token check replaced by a fixed token, the topics by letters in memory, the state table by a
dict with the same rules as readmodel/dead_letters.py, the broker by a producer in memory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import dead_letters as service
from api.deps import _connection
from api.main import create_app
from api.routes.ops import dead_letters as routes
from api.security.auth import authenticate
from api.security.tokens import ApiToken
from core.settings import Settings
from readmodel.dead_letters import LetterState
from streams.kafka.dead_letter_records import DeadLetter, LetterId, letter_of
from tests.unit.api.problems import fields, problem

TOKEN = ApiToken(1, "ops-unit", frozenset({"admin"}), None, True)
RAW = "odoo.public.product_template"
PATH = "/api/v1/ops/dead-letters"


def make_letter(offset: int, processor: str, reason: str, source_offset: int) -> DeadLetter:
    headers = [
        ("dlq.reason", reason.encode()),
        ("dlq.processor", processor.encode()),
        ("dlq.source.topic", RAW.encode()),
        ("dlq.source.partition", b"0"),
        ("dlq.source.offset", str(source_offset).encode()),
        ("dlq.failed_at_ms", str(1_764_000_000_000 + offset).encode()),
    ]
    return letter_of(
        "atraxion.deadletter", 0, offset, 1_000 + offset, b'{"id":1}', b"\x00x", headers
    )


class MemoryLog:
    def __init__(self, letters: list[DeadLetter]) -> None:
        self.by_id = {one.id: one for one in letters}

    def letters(self) -> list[DeadLetter]:
        return list(self.by_id.values())

    def values(self, wanted: list[LetterId]) -> dict[LetterId, bytes | None]:
        return {i: b"\x00x" for i in wanted if i in self.by_id}

    def fetch(self, letter_id: LetterId) -> tuple[DeadLetter, bytes | None] | None:
        one = self.by_id.get(letter_id)
        return None if one is None else (one, b"\x00x")


class MemoryStates:
    """readmodel/dead_letters.py over a dict."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    async def states(self, conn: Any) -> dict[str, LetterState]:
        return {
            i: LetterState(i, r["state"], r.get("topic"), r.get("partition"), r.get("offset"),
                           r.get("count"), r.get("at"), None, r["actor"])
            for i, r in self.rows.items()
        }  # fmt: skip

    async def claim(self, conn: Any, ids: list[str], actor: str, *, force: bool) -> set[str]:
        won = set()
        for i in ids:
            row = self.rows.get(i)
            if row is None or (force and row["state"] != "purged"):
                self.rows[i] = {**(row or {}), "state": "redriving", "actor": actor}
                won.add(i)
        return won

    async def redriven(self, conn: Any, ids: list[str], topic: str, partition: Any,
                       offset: Any, count: int) -> None:  # fmt: skip
        for i in ids:
            self.rows[i].update(state="redriven", topic=topic, partition=partition,
                                offset=offset, count=count, at=datetime.now(UTC))  # fmt: skip

    async def release(self, conn: Any, ids: list[str]) -> None:
        for i in ids:
            if self.rows[i].get("offset") is None:
                del self.rows[i]
            else:
                self.rows[i]["state"] = "redriven"

    async def purge(self, conn: Any, ids: list[str], actor: str) -> set[str]:
        done = set()
        for i in ids:
            if self.rows.get(i, {}).get("state") != "redriving":
                self.rows[i] = {**self.rows.get(i, {}), "state": "purged", "actor": actor}
                done.add(i)
        return done


class Sent:
    def __init__(self, offset: int) -> None:
        self._offset = offset

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset


class MemoryProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None, dict[str, bytes], Any]] = []

    def send(self, topic: str, value: Any, key: Any = None, headers: Any = None,
             partition: Any = None) -> asyncio.Future[Sent]:  # fmt: skip
        self.sent.append((topic, value, key, dict(headers or []), partition))
        future: asyncio.Future[Sent] = asyncio.get_running_loop().create_future()
        future.set_result(Sent(100 + len(self.sent)))
        return future


@asynccontextmanager
async def _transaction() -> AsyncIterator[None]:
    yield


async def _connection_override() -> AsyncIterator[None]:
    yield None


LETTERS = [
    make_letter(0, "build_products", "value is not JSON: a", 7),
    make_letter(1, "compute_prices", "value is not JSON: a", 7),  # the same failed record
    make_letter(2, "products_view", "rejected by the read model: check", 9),
]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, MemoryStates, Any]]:
    states, producer = MemoryStates(), MemoryProducer()
    for name in ("states", "claim", "redriven", "release", "purge"):
        monkeypatch.setattr(service.store, name, getattr(states, name))
    ops = service.DeadLetterOps(Settings(), MemoryLog(LETTERS))  # type: ignore[arg-type]
    monkeypatch.setattr(routes, "_ops", ops)
    app = create_app()
    app.dependency_overrides[authenticate] = lambda: TOKEN
    app.dependency_overrides[_connection] = _connection_override
    app.state.order_producer = producer
    yield TestClient(app), states, producer


def test_list_newest_first_with_counts_and_a_cursor(world: Any) -> None:
    client, _, _ = world
    response = client.get(PATH, params={"limit": 2})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [i["offset"] for i in body["items"]] == [2, 1]
    assert body["countsByReason"] == {"value is not JSON": 2, "rejected by the read model": 1}
    assert body["total"] == 3
    item = body["items"][0]
    assert (item["processor"], item["sourceTopic"], item["sourceOffset"], item["state"]) == (
        "products_view",
        RAW,
        9,
        "open",
    )
    rest = client.get(PATH, params={"limit": 2, "cursor": body["next"]}).json()
    assert [i["offset"] for i in rest["items"]] == [0] and rest["next"] is None


def test_filters_and_their_counts(world: Any) -> None:
    client, _, _ = world
    by_reason = client.get(PATH, params={"reason": "not json"}).json()
    assert [i["offset"] for i in by_reason["items"]] == [1, 0]
    # Counts leave the reason filter aside, so the other reasons still show.
    assert by_reason["countsByReason"]["rejected by the read model"] == 1
    assert by_reason["total"] == 2
    by_processor = client.get(PATH, params={"processor": "compute_prices"}).json()
    assert [i["offset"] for i in by_processor["items"]] == [1]
    late = client.get(PATH, params={"since": "2025-11-24T16:00:00.002Z"}).json()
    assert [i["offset"] for i in late["items"]] == [2]


def test_bad_filters_are_422_naming_the_field(world: Any) -> None:
    client, _, _ = world
    assert fields(client.get(PATH, params={"since": "yesterday"})) == ["query.since"]
    assert fields(client.get(PATH, params={"since": "2026-01-01T00:00:00"})) == ["query.since"]
    assert fields(client.get(PATH, params={"until": "0.5"})) == ["query.until"]  # no epoch
    window = {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}
    assert client.get(PATH, params=window).json()["items"] == []  # an empty window
    assert fields(client.get(PATH, params={"state": "gone"})) == ["query.state"]
    assert fields(client.get(PATH, params={"cursor": "nope"})) == ["query.cursor"]
    assert fields(client.get(PATH, params={"processor": ""})) == ["query.processor"]
    assert fields(client.get(PATH, params={"limit": 0})) == ["query.limit"]
    assert fields(client.get(PATH, params={"reasn": "x"})) == ["query.reasn"]
    redrive = f"{PATH}/redrive"
    assert fields(client.post(redrive, json={"ids": ["not an id!"]})) == ["body.ids.0"]
    assert fields(client.post(redrive, json={"ids": []})) == ["body.ids"]
    assert fields(client.post(redrive, json={"filter": {"since": "x"}})) == ["body.filter.since"]
    assert fields(client.post(redrive, json={"filter": {"until": 5}})) == ["body.filter.until"]
    assert fields(client.post(redrive, json={"filter": {"colour": "x"}})) == ["body.filter.colour"]
    assert fields(client.post(redrive, json={})) == ["body"]
    assert fields(client.post(redrive, json={"filter": None})) == ["body.filter"]
    assert fields(client.post(redrive, json={"filter": {}, "force": 0})) == ["body.force"]
    both = {"ids": [LETTERS[0].id.encode()], "filter": {}}
    assert fields(client.post(f"{PATH}/purge", json=both)) == ["body"]


def test_the_action_paths_are_not_letter_ids(world: Any) -> None:
    client, _, _ = world
    for action in ("redrive", "purge"):
        response = client.get(f"{PATH}/{action}")
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"


def test_an_unknown_id_is_404(world: Any) -> None:
    client, _, _ = world
    gone = LetterId("atraxion.deadletter", 0, 99, 1).encode()
    assert problem(client.get(f"{PATH}/{gone}"), 404)["ids"] == [gone]
    problem(client.get(f"{PATH}/not-an-id"), 404)
    assert problem(client.post(f"{PATH}/purge", json={"ids": ["abc"]}), 404)["ids"] == ["abc"]
    assert problem(client.post(f"{PATH}/redrive", json={"ids": [gone]}), 404)["ids"] == [gone]
    problem(client.post(f"{PATH}/purge", json={"ids": [gone]}), 404)


def test_detail_has_the_value_and_every_header(world: Any) -> None:
    client, _, _ = world
    body = client.get(f"{PATH}/{LETTERS[0].id.encode()}").json()
    assert (body["valueEncoding"], body["value"], body["key"]) == ("base64", "AHg=", '{"id":1}')
    assert {"name": "dlq.source.offset", "value": "7"} in body["headers"]


def test_a_failed_record_is_redriven_once_for_all_its_letters(world: Any) -> None:
    client, _, producer = world
    first = client.post(f"{PATH}/redrive", json={"ids": [LETTERS[0].id.encode()]}).json()
    ((topic, value, key, headers, partition),) = producer.sent
    assert (topic, value, key, partition) == (RAW, b"\x00x", b'{"id":1}', 0)
    assert headers == {"dlq.redrive.of": LETTERS[0].id.encode().encode(), "dlq.redrive.count": b"1"}
    assert first["redriven"] == [
        {
            "ids": [LETTERS[0].id.encode(), LETTERS[1].id.encode()],
            "topic": RAW,
            "partition": 0,
            "offset": 101,
            "redriveCount": 1,
        }
    ]
    # Not again by accident: the sibling too is re-driven already.
    again = client.post(f"{PATH}/redrive", json={"ids": [LETTERS[1].id.encode()]}).json()
    assert again["redriven"] == [] and len(producer.sent) == 1
    assert {s["id"] for s in again["skipped"]} == {LETTERS[0].id.encode(), LETTERS[1].id.encode()}
    # A filter re-drives open letters only: the third.
    rest = client.post(f"{PATH}/redrive", json={"filter": {}}).json()
    assert [r["ids"] for r in rest["redriven"]] == [[LETTERS[2].id.encode()]]
    listed = client.get(PATH).json()["items"]
    assert {i["state"] for i in listed} == {"redriven"}
    assert listed[-1]["redrivenTo"]["offset"] == 101
    forced = client.post(
        f"{PATH}/redrive", json={"ids": [LETTERS[0].id.encode()], "force": True}
    ).json()
    assert forced["redriven"][0]["offset"] == 103


def test_purge_hides_from_the_list_and_the_counts(world: Any) -> None:
    client, _, _ = world
    done = client.post(f"{PATH}/purge", json={"filter": {"processor": "products_view"}}).json()
    assert done == {"purged": [LETTERS[2].id.encode()], "skipped": []}
    body = client.get(PATH).json()
    assert [i["offset"] for i in body["items"]] == [1, 0]
    assert body["countsByReason"] == {"value is not JSON": 2}
    assert [i["offset"] for i in client.get(PATH, params={"state": "purged"}).json()["items"]] == [
        2
    ]
    # A purged letter is never re-driven, even with force.
    forced = client.post(
        f"{PATH}/redrive", json={"ids": [LETTERS[2].id.encode()], "force": True}
    ).json()
    assert forced["redriven"] == [] and forced["skipped"][0]["why"].startswith("purged")


def test_metrics_count_every_letter_and_the_open_ones() -> None:
    families = service.metric_families(LETTERS, {LETTERS[2].id.encode(): "purged"})
    total, open_ = families
    samples = {(s.name, s.labels["processor"]): s.value for f in families for s in f.samples}
    assert total.name == "atraxion_dead_letters" and total.type == "counter"
    assert samples[("atraxion_dead_letters_total", "products_view")] == 1
    assert samples[("atraxion_dead_letters_open", "products_view")] == 0
    assert samples[("atraxion_dead_letters_open", "build_products")] == 1
    assert open_.samples[0].labels == {
        "topic": "atraxion.deadletter",
        "processor": "build_products",
        "reason": "value is not JSON",
    }
