"""Dead-letter operations shared by the API (api/routes/ops/dead_letters.py), the CLI
(deploy/commands/dead_letters.py) and the metrics (``DeadLetterCollector``): list, show,
re-drive and purge the letters of every dead-letter topic (README "Dead letters").

The letters are read from their topics (streams/kafka/dead_letter_topics.py); what operators
did with them is in the read model (readmodel/dead_letters.py). A letter's state: ``open``
(no row), ``redriving`` (claimed, the produce under way or interrupted), ``redriven``,
``purged``.

Re-drive, per failed record (every letter of one source record together: several processors
read one topic and each dead-letters under its own name):

1. claim its letters (a row each, ``redriving``); letters claimed before are skipped unless
   ``force`` (a letter re-driven once is not re-driven again by accident);
2. an order letter (``atraxion.webshop-orders.deadletter``) whose reference the read model
   knows goes through the order path (api/order_queue.py: next generation, the stored record
   produced again, the sink finds an order it created before); any other letter's key, value
   and partition are produced again to its source topic with ``dlq.redrive.of`` and
   ``dlq.redrive.count`` headers, and the broker's acknowledgement awaited;
3. record where it went (``redriven``), or remove the claim if the produce failed.
"""

from __future__ import annotations

import asyncio
import getpass
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
import structlog
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from psycopg import AsyncConnection

from api.order_queue import redrive_orders
from core.settings import Settings
from readmodel import dead_letters as store
from readmodel import webshop_orders
from readmodel.dead_letters import LetterState
from schemas.topics import WEBSHOP_ORDERS_DEADLETTER_TOPIC
from streams.kafka.dead_letter_records import (
    DeadLetter,
    LetterFilter,
    LetterId,
    RedriveGroup,
    State,
    counts_by_reason,
    newest_first,
    page,
    redrive_groups,
    redrive_headers,
    siblings,
)
from streams.kafka.dead_letter_topics import DeadLetterLog

log = structlog.get_logger(__name__)


class UnknownLetters(LookupError):
    def __init__(self, ids: Sequence[str]) -> None:
        super().__init__(f"no such dead letter: {', '.join(ids)}")
        self.ids = list(ids)


@dataclass(frozen=True)
class Entry:
    letter: DeadLetter
    state: State
    stored: LetterState | None


@dataclass(frozen=True)
class Listing:
    items: list[Entry]
    next: str | None
    counts_by_reason: dict[str, int]
    total: int


@dataclass(frozen=True)
class Detail:
    entry: Entry
    value: bytes | None


@dataclass
class RedriveReport:
    redriven: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class PurgeReport:
    purged: list[str] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)


def state_of(letter: DeadLetter, states: dict[str, LetterState]) -> State:
    stored = states.get(letter.id.encode())
    return "open" if stored is None else stored.state  # type: ignore[return-value]


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid (a container)
        return "cli"


_LOGS: dict[tuple[str, str], DeadLetterLog] = {}


def shared_log(settings: Settings) -> DeadLetterLog:
    """One log per broker and process: the routes and the collector share what was read."""
    key = (settings.kafka_bootstrap, settings.broker_flavor)
    if key not in _LOGS:
        _LOGS[key] = DeadLetterLog(settings, timeout=settings.dead_letters_read_timeout_s)
    return _LOGS[key]


class DeadLetterOps:
    def __init__(self, settings: Settings, letters_log: DeadLetterLog | None = None) -> None:
        self.settings = settings
        self.log = letters_log or shared_log(settings)

    async def letters(self) -> list[DeadLetter]:
        return await asyncio.to_thread(self.log.letters)

    async def listing(
        self, conn: AsyncConnection[Any], wanted: LetterFilter, cursor: str | None, limit: int
    ) -> Listing:
        """Newest first. ``counts_by_reason``: every letter the filter matches, its reason
        part aside (so the counts show the other reasons too); ``total``: the matching ones.
        Raises BadCursor."""
        letters = await self.letters()
        states = await store.states(conn)
        faceted = [(one, state_of(one, states)) for one in letters]
        faceted = [(one, s) for one, s in faceted if wanted.matches(one, s, with_reason=False)]
        counts = counts_by_reason(one for one, _ in faceted)
        matching = {one.id: s for one, s in faceted if wanted.matches(one, s)}
        ordered = newest_first(one for one, _ in faceted if one.id in matching)
        chosen, next_cursor = page(ordered, cursor, limit)
        items = [Entry(one, matching[one.id], states.get(one.id.encode())) for one in chosen]
        return Listing(items, next_cursor, counts, len(ordered))

    async def detail(self, conn: AsyncConnection[Any], letter_id: str) -> Detail:
        """Raises BadLetterId, UnknownLetters."""
        parsed = LetterId.decode(letter_id)
        found = await asyncio.to_thread(self.log.fetch, parsed)
        if found is None:
            raise UnknownLetters([letter_id])
        letter, value = found
        states = await store.states(conn)
        return Detail(Entry(letter, state_of(letter, states), states.get(letter_id)), value)

    async def select(
        self,
        conn: AsyncConnection[Any],
        ids: Sequence[str] | None,
        wanted: LetterFilter | None,
    ) -> tuple[list[Entry], list[DeadLetter]]:
        """(the letters named by ``ids`` or matching ``wanted``, every letter read). Raises
        UnknownLetters naming every id that names no letter."""
        letters = await self.letters()
        states = await store.states(conn)
        if ids is not None:
            by_id = {one.id.encode(): one for one in letters}
            unknown = [i for i in ids if i not in by_id]  # a malformed id names no letter
            if unknown:
                raise UnknownLetters(unknown)
            chosen = sorted({by_id[i] for i in ids}, key=lambda one: one.id)
        else:
            assert wanted is not None
            chosen = [one for one in letters if wanted.matches(one, state_of(one, states))]
        entries = [Entry(one, state_of(one, states), states.get(one.id.encode())) for one in chosen]
        return entries, letters

    async def redrive(
        self,
        conn: AsyncConnection[Any],
        producer: Any,
        ids: Sequence[str] | None,
        wanted: LetterFilter | None,
        *,
        actor: str,
        force: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> RedriveReport:
        """Re-drive the letters ``ids`` names, or that ``wanted`` matches (module docstring).
        ``progress(done, total)`` as failed records are sent (or fail)."""
        entries, every = await self.select(conn, ids, wanted)
        report = RedriveReport()
        found, lost = redrive_groups(e.letter for e in entries)
        for letter in lost:
            report.skipped.append(_skip(letter, "no dlq.source.* headers: source unknown"))
        groups = [siblings(group, every) for group in found]
        every_id = [letter.id.encode() for group in groups for letter in group.letters]
        claimed = await store.claim(conn, every_id, actor, force=force) if every_id else set()
        states = await store.states(conn) if len(claimed) < len(every_id) else {}
        work: list[tuple[RedriveGroup, list[str]]] = []
        for group in groups:
            for letter in group.letters:
                if letter.id.encode() not in claimed:
                    state = state_of(letter, states)
                    hint = "" if force or state == "purged" else " (force re-drives it again)"
                    report.skipped.append(_skip(letter, f"{state} already{hint}"))
            mine = [one.id.encode() for one in group.letters if one.id.encode() in claimed]
            if mine:
                work.append((group, mine))
        tally = _Tally(len(work), progress)
        plain: list[tuple[RedriveGroup, list[str]]] = []
        for group, mine in work:
            if await self._is_order(conn, group):
                await self._redrive_order(conn, producer, group, mine, report)
                tally.add()
            else:
                plain.append((group, mine))
        if plain:
            await self._redrive_plain(conn, producer, plain, report, tally)
        log.info(
            "dead_letters.redriven",
            actor=actor,
            redriven=len(report.redriven),
            skipped=len(report.skipped),
            failed=len(report.failed),
        )
        return report

    async def _is_order(self, conn: AsyncConnection[Any], group: RedriveGroup) -> bool:
        """A letter of an order the API accepted (its reference is in the read model)."""
        first = group.first
        if first.id.topic != WEBSHOP_ORDERS_DEADLETTER_TOPIC or first.key is None:
            return False
        reference = first.key.decode("utf-8", "replace")
        return await webshop_orders.state(conn, reference) is not None

    async def _redrive_order(
        self,
        conn: AsyncConnection[Any],
        producer: Any,
        group: RedriveGroup,
        mine: list[str],
        report: RedriveReport,
    ) -> None:
        """Through the order path, which keeps the orders' idempotency (api/order_queue.py)."""
        reference = (group.first.key or b"").decode("utf-8", "replace")
        try:
            redriven = await redrive_orders(
                producer, conn, reference, self.settings.dead_letters_redrive_timeout_s
            )
        except Exception as exc:
            await self._failed(conn, mine, exc, report)
            return
        if not redriven:
            order = await webshop_orders.state(conn, reference)
            status = order.status if order is not None else "gone"
            await store.release(conn, mine)
            report.skipped += [
                {"id": i, "why": f"order {reference} is {status} in Odoo already"} for i in mine
            ]
            return
        await self._redriven(
            conn, report, mine, group.source[0], None, None, redriven[0].generation
        )

    async def _redrive_plain(
        self,
        conn: AsyncConnection[Any],
        producer: Any,
        work: list[tuple[RedriveGroup, list[str]]],
        report: RedriveReport,
        tally: _Tally,
    ) -> None:
        """Every record again to its source topic and partition: values read in one pass,
        every send queued, then the acknowledgements awaited together."""
        values = await asyncio.to_thread(self.log.values, [g.first.id for g, _ in work])
        timeout = self.settings.dead_letters_redrive_timeout_s
        sends: list[tuple[RedriveGroup, list[str], Any]] = []
        for group, mine in work:
            first = group.first
            if first.id not in values:
                error = LookupError(f"{first.id.encode()} is no longer on {first.id.topic}")
                await self._failed(conn, mine, error, report)
                tally.add()
                continue
            topic, partition, _offset = group.source
            try:
                sent = producer.send(
                    topic,
                    values[first.id],
                    key=first.key,
                    headers=redrive_headers(first),
                    partition=partition,
                )
            except BufferError as exc:
                await self._failed(conn, mine, exc, report)
                tally.add()
                continue
            sends.append((group, mine, asyncio.ensure_future(tally.on(sent, timeout))))
        for group, mine, pending in sends:
            try:
                message = await pending
            except Exception as exc:
                await self._failed(conn, mine, exc, report)
                continue
            count = group.first.redrive_count + 1
            topic = group.source[0]
            await self._redriven(
                conn, report, mine, topic, message.partition(), message.offset(), count
            )

    async def _redriven(
        self,
        conn: AsyncConnection[Any],
        report: RedriveReport,
        mine: list[str],
        topic: str,
        partition: int | None,
        offset: int | None,
        count: int,
    ) -> None:
        await store.redriven(conn, mine, topic, partition, offset, count)
        report.redriven.append(
            {
                "ids": mine,
                "topic": topic,
                "partition": partition,
                "offset": offset,
                "redriveCount": count,
            }
        )

    async def _failed(
        self, conn: AsyncConnection[Any], mine: list[str], exc: BaseException, report: RedriveReport
    ) -> None:
        await store.release(conn, mine)
        log.warning("dead_letters.redrive_failed", ids=mine, error=str(exc))
        report.failed += [{"id": i, "error": f"{type(exc).__name__}: {exc}"} for i in mine]

    async def purge(
        self,
        conn: AsyncConnection[Any],
        ids: Sequence[str] | None,
        wanted: LetterFilter | None,
        *,
        actor: str,
    ) -> PurgeReport:
        """Hide letters from listings and counts (they stay on their topic: module
        docstring of readmodel/dead_letters.py and README)."""
        entries, _ = await self.select(conn, ids, wanted)
        wanted_ids = [e.letter.id.encode() for e in entries]
        purged = await store.purge(conn, wanted_ids, actor) if wanted_ids else set()
        report = PurgeReport(purged=[i for i in wanted_ids if i in purged])
        report.skipped = [
            _skip(e.letter, "being re-driven")
            for e in entries
            if e.letter.id.encode() not in purged
        ]
        log.info("dead_letters.purged", actor=actor, purged=len(report.purged))
        return report


class _Tally:
    """Progress of a re-drive: ``progress(done, total)`` as records are finished."""

    def __init__(self, total: int, progress: Callable[[int, int], None] | None) -> None:
        self.total = total
        self.done = 0
        self.progress = progress

    def add(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)

    async def on(self, sent: Any, timeout: float) -> Any:
        try:
            return await asyncio.wait_for(sent, timeout)
        finally:
            self.add()


def _skip(letter: DeadLetter, why: str) -> dict[str, Any]:
    return {"id": letter.id.encode(), "why": why}


class DeadLetterCollector(Collector):
    """``atraxion_dead_letters_total{topic,processor,reason}`` (every letter on the
    dead-letter topics: a counter, purges do not lower it) and
    ``atraxion_dead_letters_open{topic,processor,reason}`` (neither re-driven nor purged),
    reason by its class (streams/kafka/dead_letter_records.py). Read at most once per
    ``dead_letters_metrics_ttl_s``; a failed read serves the last counts (logged)."""

    def __init__(self, settings: Settings, letters_log: DeadLetterLog | None = None) -> None:
        self.settings = settings
        self.log = letters_log or shared_log(settings)
        self._at = float("-inf")
        self._families: list[Any] = []

    def collect(self) -> Iterable[Any]:
        now = time.monotonic()
        if now - self._at >= self.settings.dead_letters_metrics_ttl_s:
            try:
                self._families = self._read()
            except Exception as exc:  # the broker or the read model is away: last counts
                log.warning("dead_letters.metrics_failed", error=str(exc))
            self._at = now  # also after a failure: no retry storm at every scrape
        return list(self._families)

    def _read(self) -> list[Any]:
        letters = self.log.letters()
        with psycopg.connect(self.settings.readmodel_dsn, connect_timeout=5) as conn:
            states = store.state_names(conn)
        return metric_families(letters, states)


def metric_families(letters: Iterable[DeadLetter], states: dict[str, str]) -> list[Any]:
    """The collector's two families from the letters and their stored states."""
    labels = ["topic", "processor", "reason"]
    total = CounterMetricFamily(
        "atraxion_dead_letters", "Dead letters on the dead-letter topics", labels=labels
    )
    open_ = GaugeMetricFamily(
        "atraxion_dead_letters_open", "Dead letters neither re-driven nor purged", labels=labels
    )
    totals: dict[tuple[str, str, str], int] = {}
    opens: dict[tuple[str, str, str], int] = {}
    for letter in letters:
        key = (letter.id.topic, letter.processor, letter.reason_class)
        totals[key] = totals.get(key, 0) + 1
        opens[key] = opens.get(key, 0) + (letter.id.encode() not in states)
    for key, count in sorted(totals.items()):
        total.add_metric(list(key), count)
        open_.add_metric(list(key), opens[key])
    return [total, open_]
