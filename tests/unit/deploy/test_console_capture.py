"""The capture's progress: Debezium's snapshot read from Kafka Connect's log lines (the
messages as Debezium 3 writes them), and how the terminal draws steps."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from core.settings import Settings
from deploy.console import ConsoleProgress, check_lines, readable_tail
from deploy.local.capture_progress import CaptureProgress, LogTail, SnapshotFollower, message_of
from deploy.preflight import Check

LOGGER = "io.debezium.relational.RelationalSnapshotChangeEventSource"


def line(msg: str, logger: str = LOGGER) -> str:
    """One connect.log line, as the worker's log4j2 JSON layout writes it."""
    return json.dumps(
        {"ts": "2026-11-27T11:34:31.322Z", "level": "INFO", "logger": logger, "msg": msg}
    )


SNAPSHOT = [
    line("Snapshot step 1 - Preparing"),
    line("Snapshot step 7 - Snapshotting data"),
    line("Exporting data from table 'public.product_category' (1 of 3 tables)"),
    line(
        "\t Finished exporting 14 records for table 'public.product_category' (1 of 3 tables); "
        "total duration '00:00:00.023'"
    ),
    line("Exporting data from table 'public.stock_quant' (2 of 3 tables)"),
    line("\t Exported 84281 records for table 'public.stock_quant' after 00:00:10.044"),
]
FINISH = [
    line(
        "\t Finished exporting 85319 records for table 'public.stock_quant' (2 of 3 tables); "
        "total duration '00:00:10.088'"
    ),
    line("Exporting data from table 'public.product_template' (3 of 3 tables)"),
    line(
        "\t Finished exporting 200 records for table 'public.product_template' (3 of 3 tables); "
        "total duration '00:00:00.276'"
    ),
    line("Snapshot completed", "io.debezium.pipeline.source.AbstractSnapshotChangeEventSource"),
    line(
        "Snapshot ended with SnapshotResult [status=COMPLETED, offset=PostgresOffsetContext "
        "[sourceInfoSchema=Schema{io.debezium.connector.postgresql.Source:STRUCT}]]",
        "io.debezium.pipeline.ChangeEventSourceCoordinator",
    ),
]


def test_snapshot_in_progress() -> None:
    snap = SnapshotFollower()
    for text in SNAPSHOT:
        snap.feed(text)
    assert snap.started and not snap.ended
    assert (snap.tables_done, snap.tables_total) == (1, 3)
    assert snap.table == "stock_quant"
    assert snap.rows == 14 + 84281  # finished tables plus the last count of the current one


def test_snapshot_completed() -> None:
    snap = SnapshotFollower()
    for text in SNAPSHOT + FINISH:
        snap.feed(text)
    assert snap.status == "COMPLETED"
    assert (snap.tables_done, snap.tables_total, snap.rows) == (3, 3, 14 + 85319 + 200)
    assert snap.table == ""


def test_a_restarted_connector_snapshots_again() -> None:
    snap = SnapshotFollower()
    for text in SNAPSHOT:
        snap.feed(text)
    assert snap.feed(line("Snapshot step 1 - Preparing"))
    assert (snap.attempt, snap.tables_done, snap.rows, snap.started) == (2, 0, 0, True)


def test_other_lines_and_layouts() -> None:
    snap = SnapshotFollower()
    assert not snap.feed(line("Starting PostgresConnectorTask with configuration: ..."))
    assert not snap.feed("not json at all")
    assert snap.status is None and not snap.started
    # The text layout (ATRAXION_LOG_JSON=false) carries the same message.
    text = "11:34:31.322 INFO  [pool-5-thread-1] RelationalSnapshotChangeEventSource - "
    assert snap.feed(text + "Exporting data from table 'public.uom_uom' (4 of 9 tables)")
    assert (snap.table, snap.tables_total) == ("uom_uom", 9)
    assert snap.feed(line("Snapshot ended with SnapshotResult [status=ABORTED, offset=null]"))
    assert snap.status == "ABORTED"
    assert message_of(json.dumps({"msg": "m"})) == "m" and message_of("[1]") == "[1]"


def test_log_tail_reads_complete_new_lines(tmp_path: Path) -> None:
    path = tmp_path / "connect.log"
    tail = LogTail(path)
    assert tail.lines() == []  # no file yet
    path.write_text("earlier run\n")
    assert tail.lines() == ["earlier run"]
    with path.open("a") as f:
        f.write("one\ntw")
    assert tail.lines() == ["one"]
    with path.open("a") as f:
        f.write("o\n")
    assert tail.lines() == ["two"]
    assert LogTail(path).lines() == []  # made now: starts at the end
    path.write_text("new\n")  # truncated and rewritten
    assert tail.lines() == ["new"]


def console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=120, force_terminal=False, color_system=None), out


def test_console_lines_for_finished_failed_and_stopped_steps() -> None:
    screen, out = console()
    with ConsoleProgress(screen) as progress:
        progress.begin("odoo_data", "Demo Odoo database", unit="rows")
        progress.advance("odoo_data", 41_200, detail="product_product")
        progress.finish("odoo_data")
        progress.begin("snapshot", "Debezium snapshot", total=14, unit="tables")
        progress.advance("snapshot", 6, total=14, detail="1,234 rows")
        progress.finish("snapshot", detail="14 tables, 2,301 rows")
        progress.begin("connect", "Debezium (Kafka Connect)")
        progress.fail("connect", "connect exited (code 1)\nlast lines...")
        progress.begin("api", "API")
        progress.stop_running("interrupted")
    text = out.getvalue()
    assert "✓ Demo Odoo database" in text and "41,200 rows, " in text and "rows/s" in text
    assert "✓ Debezium snapshot" in text and "14 tables, 2,301 rows" in text
    assert "✗ Debezium (Kafka Connect)" in text and "connect exited (code 1)" in text
    assert "    last lines..." in text
    assert "· API" in text and "interrupted" in text


def test_preflight_checks_show_their_fix() -> None:
    lines = check_lines(
        [
            Check("ports", "ok", "every port of the stack is free"),
            Check("wal_level", "error", "wal_level is replica", "ALTER SYSTEM SET wal_level ..."),
        ]
    )
    assert lines[0].plain == "✓ ports: every port of the stack is free"
    assert (
        lines[1].plain
        == "✗ wal_level: wal_level is replica\n    fix: ALTER SYSTEM SET wal_level ..."
    )


def test_readable_tail_shows_the_error_lines_of_a_childs_log() -> None:
    tail = "\n".join(
        [
            json.dumps({"event": "worker.starting", "level": "info"}),
            json.dumps(
                {
                    "event": "[^Worker]: Error: OSError(98)",
                    "level": "error",
                    "exception": "Traceback (most recent call last):\n  ...\nOSError: in use",
                }
            ),
            *(json.dumps({"event": f"stopping {n}", "level": "info"}) for n in range(40)),
        ]
    )
    assert readable_tail(tail) == ["error   [^Worker]: Error: OSError(98) (OSError: in use)"]
    jvm = line("connect.starting") + "\nError occurred during initialization of VM\n"
    assert readable_tail(jvm) == [
        "info    connect.starting",
        "Error occurred during initialization of VM",
    ]


class Recorded:
    """A StartProgress that keeps its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, object]] = []

    def begin(self, step: str, label: str, *, total: float | None = None, unit: str = "") -> None:
        self.calls.append(("begin", step, (label, total, unit)))

    def advance(
        self, step: str, done: float, *, total: float | None = None, detail: str = ""
    ) -> None:
        self.calls.append(("advance", step, (done, total, detail)))

    def finish(self, step: str, *, detail: str = "") -> None:
        self.calls.append(("finish", step, detail))

    def fail(self, step: str, message: str) -> None:
        self.calls.append(("fail", step, message))


def test_capture_progress_reports_the_snapshot_step(tmp_path: Path) -> None:
    log = tmp_path / "connect.log"
    log.write_text(line("Snapshot ended with SnapshotResult [status=COMPLETED]") + "\n")  # before
    recorded = Recorded()
    capture = CaptureProgress(recorded, Settings(), log, entities=())  # no feeds: no database
    assert not capture.poll() and recorded.calls == []
    with log.open("a") as f:
        f.write("\n".join(SNAPSHOT) + "\n")
    assert not capture.poll()
    assert recorded.calls[0] == ("begin", "snapshot", ("Debezium snapshot", 3, "tables"))
    assert recorded.calls[-1] == ("advance", "snapshot", (1, 3, "84,295 rows · stock_quant"))
    with log.open("a") as f:
        f.write("\n".join(FINISH) + "\n")
    assert capture.poll() and capture.done
    assert recorded.calls[-1] == ("finish", "snapshot", "3 tables, 85,533 rows")
