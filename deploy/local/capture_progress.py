"""How far a start's first capture is: Debezium's initial snapshot, followed in Kafka Connect's
log, and each entity's feed filling up against its Odoo table. Reported as the steps
"snapshot" and "feed.<entity>" to a ``StartProgress`` (deploy/local/progress.py).

What Debezium 3 logs during a snapshot (io.debezium.relational.RelationalSnapshotChangeEventSource
and the coordinator; one JSON object a line in connect.log, the text under ``msg``)::

    Snapshot step 1 - Preparing
    Exporting data from table 'public.product_template' (1 of 14 tables)
    \\t Exported 51234 records for table 'public.product_template' after 00:00:10.001
    \\t Finished exporting 200 records for table 'public.product_template' (1 of 14 tables); ...
    Snapshot completed
    Snapshot ended with SnapshotResult [status=COMPLETED, offset=...]

"Exported ..." comes every 10 s while one table is read ("Exported N of M records" when it
knows the table's size). A restarted connector that snapshots again starts at step 1.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import structlog
from psycopg import sql

from core.settings import Settings
from deploy.local.progress import StartProgress
from schemas.entities import ENTITIES, Entity

log = structlog.get_logger(__name__)

_PREPARING = re.compile(r"Snapshot step 1 - Preparing")
_EXPORTING = re.compile(
    r"Exporting data from table '(?P<table>[^']+)' \((?P<n>\d+) of (?P<of>\d+) tables\)"
)
_EXPORTED = re.compile(r"Exported (?P<rows>\d+)(?: of \d+)? records for table '(?P<table>[^']+)'")
_FINISHED = re.compile(
    r"Finished exporting (?P<rows>\d+) records for table '(?P<table>[^']+)' "
    r"\((?P<n>\d+) of (?P<of>\d+) tables\)"
)
_ENDED = re.compile(r"Snapshot ended with SnapshotResult \[status=(?P<status>[A-Z_]+)")


def message_of(line: str) -> str:
    """The log message of a connect.log line: ``msg`` of a JSON line, else the line itself
    (the text layout, ATRAXION_LOG_JSON=false)."""
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if isinstance(record, dict) and isinstance(record.get("msg"), str):
        return record["msg"]
    return line


@dataclass
class SnapshotFollower:
    """The state of Debezium's snapshot, from its log messages (``feed``)."""

    started: bool = False
    tables_total: int | None = None
    tables_done: int = 0
    table: str = ""  # being exported now
    rows_finished: int = 0  # rows of the finished tables
    rows_current: int = 0  # of ``table``, as last logged
    status: str | None = None  # COMPLETED, ABORTED, SKIPPED ... once it ended
    attempt: int = 0  # snapshots seen: a restarted connector starts another

    @property
    def rows(self) -> int:
        return self.rows_finished + self.rows_current

    @property
    def ended(self) -> bool:
        return self.status is not None

    def feed(self, line: str) -> bool:
        """Take one log line; whether it told something new."""
        message = message_of(line)
        if "napshot" not in message and "xport" not in message:
            return False  # most lines: nothing to match
        if _PREPARING.search(message):
            self.__dict__.update(SnapshotFollower(started=True, attempt=self.attempt + 1).__dict__)
        elif match := _FINISHED.search(message):
            self.started = True
            self.tables_total = int(match["of"])
            self.tables_done = max(self.tables_done, int(match["n"]))
            self.rows_finished += int(match["rows"])
            self.rows_current = 0
            self.table = ""
        elif match := _EXPORTING.search(message):
            self.started = True
            self.tables_total = int(match["of"])
            self.table = _short(match["table"])
            self.rows_current = 0
        elif match := _EXPORTED.search(message):
            self.table = _short(match["table"])
            self.rows_current = int(match["rows"])
        elif match := _ENDED.search(message):
            self.status = match["status"]
        else:
            return False
        return True


def _short(table: str) -> str:
    return table.removeprefix("public.")


class LogTail:
    """The complete lines appended to a file since the last ``lines()``. Starts at the file's
    size when made: a child's log file keeps earlier runs' lines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0
        self._partial = b""

    def lines(self) -> list[str]:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return []
        if size < self.offset:  # truncated or replaced: read it from the start
            self.offset, self._partial = 0, b""
        with self.path.open("rb") as f:
            f.seek(self.offset)
            chunk = f.read()
        self.offset += len(chunk)
        *complete, self._partial = (self._partial + chunk).split(b"\n")
        return [line.decode(errors="replace") for line in complete]


class CaptureProgress:
    """Reports the snapshot and the feeds to ``progress``, by ``poll()`` or from a thread of
    its own (``start``/``stop``) until both are done."""

    def __init__(
        self,
        progress: StartProgress,
        settings: Settings,
        connect_log: Path,
        *,
        entities: tuple[Entity, ...] = ENTITIES,
        count_every_s: float = 1.0,
    ) -> None:
        self.progress = progress
        self.settings = settings
        self.tail = LogTail(connect_log)
        self.snapshot = SnapshotFollower()
        self.entities = entities
        self.count_every_s = count_every_s
        self._counted_at = 0.0
        self._begun: set[str] = set()
        self._attempt = 0  # the snapshot attempt reported
        self._served: dict[str, int] = {}  # feed rows last reported, per entity
        self._feeds_done: set[str] = set()
        self._snapshot_done = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def done(self) -> bool:
        return self._snapshot_done and len(self._feeds_done) == len(self.entities)

    def poll(self) -> bool:
        """Read what is new and report it; whether everything is done."""
        if not self.done:
            self._follow_snapshot()
            if self.snapshot.started and time.monotonic() - self._counted_at >= self.count_every_s:
                self._counted_at = time.monotonic()
                self._count_feeds()
        return self.done

    def start(self, interval: float = 0.5, *, when: Callable[[], bool] = lambda: True) -> None:
        """Poll every ``interval`` s from a thread, once ``when()`` is true (the stack owns
        its state folder: before, the log may be another running stack's)."""
        self._thread = threading.Thread(
            target=self._run, args=(interval, when), name="capture-progress", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self, interval: float, when: Callable[[], bool]) -> None:
        while not self._stop.is_set():
            try:
                if when() and self.poll():
                    return
            except Exception:  # a display must never take the stack down
                log.exception("capture_progress.failed")
                return
            self._stop.wait(interval)

    def _follow_snapshot(self) -> None:
        snap = self.snapshot
        changed = False
        for line in self.tail.lines():
            changed |= snap.feed(line)
        if not (changed and snap.started):
            return
        attempt = max(snap.attempt, 1)  # 0: its first lines were not seen
        if attempt != self._attempt:  # the first snapshot, or another after a restart
            self._attempt = attempt
            self._snapshot_done = False
            self.progress.begin(
                "snapshot", "Debezium snapshot", total=snap.tables_total, unit="tables"
            )
        if snap.status == "COMPLETED" or snap.status == "SKIPPED":
            self._snapshot_done = True
            tables = f"{snap.tables_done} tables, " if snap.tables_done else ""
            self.progress.finish("snapshot", detail=f"{tables}{snap.rows:,} rows")
        elif snap.ended:
            self._snapshot_done = True
            self.progress.fail("snapshot", f"snapshot ended {snap.status} (see connect.log)")
        else:
            where = f" · {snap.table}" if snap.table else ""
            self.progress.advance(
                "snapshot",
                snap.tables_done,
                total=snap.tables_total,
                detail=f"{snap.rows:,} rows{where}",
            )

    def _count_feeds(self) -> None:
        pending = [e for e in self.entities if e.name not in self._feeds_done]
        if not pending:
            return
        try:
            sources = _counts(self.settings.odoo_dsn, [e.source.parent.name for e in pending])
            feeds = _counts(self.settings.readmodel_dsn, [e.feed.table for e in pending])
        except psycopg.Error as exc:  # not there yet (starting) or briefly away: next time
            log.debug("capture_progress.count_failed", error=str(exc))
            return
        for entity, total, served in zip(pending, sources, feeds, strict=True):
            if total is None or served is None:  # its Odoo app is not installed: nothing to show
                self._feeds_done.add(entity.name)
                continue
            step = f"feed.{entity.name}"
            if step not in self._begun:
                self._begun.add(step)
                self.progress.begin(
                    step,
                    f"{entity.feed.noun.capitalize()}s in the feed",
                    total=total,
                    unit=f"{entity.feed.noun}s",
                )
            if self._snapshot_done and served >= total:
                self._feeds_done.add(entity.name)
                self.progress.finish(step, detail=f"{served:,} of {total:,}")
            elif self._served.get(entity.name) != served:
                self._served[entity.name] = served
                self.progress.advance(step, served, total=total)


def _counts(dsn: str, tables: list[str]) -> list[int | None]:
    """Rows of each table; None for a table the database lacks (an Odoo app not installed)."""
    with psycopg.connect(dsn, connect_timeout=3) as conn:
        found: list[int | None] = []
        for table in tables:
            exists = conn.execute("SELECT to_regclass(%s)", (f"public.{table}",)).fetchone()
            if not exists or exists[0] is None:
                found.append(None)
                continue
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            found.append(conn.execute(query).fetchone()[0])  # type: ignore[index]
        return found
