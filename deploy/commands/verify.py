"""``atraxion verify [--entity NAME]... [--show N] [--json] [--no-store]``: every read-model
view against Odoo's current tables, recomputed independently (deploy/verify_views.py, README
"Verify"). Prints the differing rows and a summary per view; the result is kept in the read
model for ``GET /api/v1/ops/verify`` and the metrics unless ``--no-store``.

Exit codes: 0 no difference, 1 some view differs, 2 it could not run (a database
unreachable, a read-model table missing).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from core.dsn import redact_text
from core.settings import Settings
from deploy.commands import command
from deploy.verify_compare import Tally
from readmodel.verify_runs import LOCK_ID, TRY_LOCK, VIEW_NAMES

HELP = (
    "compare every read-model view (feeds, computed records, external ids) with what Odoo's "
    "current tables give, recomputed from SQL (exit 1 if any differ, 2 if it cannot run); "
    "meaningful once the pipeline has caught up"
)


def register(commands: Any, settings: Settings) -> None:
    sub = command(commands, "verify", HELP, run)
    sub.add_argument(
        "--entity",
        action="append",
        choices=VIEW_NAMES,
        metavar="NAME",
        help=f"compare only this view (repeatable): {', '.join(VIEW_NAMES)} (default: all)",
    )
    sub.add_argument(
        "--show",
        type=int,
        default=10,
        metavar="N",
        help="differences to print per view (default: %(default)s)",
    )
    sub.add_argument(
        "--json",
        action="store_true",
        help="print the result as JSON on stdout (the shape of GET /api/v1/ops/verify)",
    )
    sub.add_argument(
        "--no-store",
        action="store_true",
        help="do not keep the result in the read model (GET /api/v1/ops/verify, metrics)",
    )


class RichProgress:
    """One bar per phase of each view (reading Odoo, comparing), on stderr."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def start(self, entity: str, what: str, total: int | None) -> None:
        if self.task is not None:
            self.progress.update(self.task, visible=False)
        self.task = self.progress.add_task(f"{entity}: {what}", total=total)

    def advance(self, rows: int = 1) -> None:
        if self.task is not None:
            self.progress.advance(self.task, rows)


def run(args: argparse.Namespace, settings: Settings) -> int:
    err = Console(stderr=True)
    try:
        with one_at_a_time(settings) as alone:
            if not alone:
                err.print("atraxion verify: cannot run: another verify is running", markup=False)
                return 2
            return _run(args, settings, err)
    except psycopg.OperationalError as exc:
        err.print(f"atraxion verify: cannot run: {_first_line(exc)}", markup=False)
        return 2


@contextmanager
def one_at_a_time(settings: Settings) -> Iterator[bool]:
    """Hold the read model's verify lock while the run works (readmodel/verify_runs.py):
    True if this run has it, False if another run holds it."""
    with psycopg.connect(settings.readmodel_dsn, autocommit=True) as conn:
        row = conn.execute(TRY_LOCK, (LOCK_ID,)).fetchone()
        yield bool(row and row[0])
        # Closing the connection releases the lock.


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return redact_text(lines[0] if lines else repr(exc))


def _run(args: argparse.Namespace, settings: Settings, err: Console) -> int:
    # Imported here: it brings the processors' modules (faust), which other commands do not
    # need to start.
    from deploy.verify_views import CannotVerify, verify

    names = args.entity or list(VIEW_NAMES)
    started = datetime.now(UTC)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=args.json and not err.is_terminal,
    )
    try:
        with progress:
            tallies = verify(
                settings,
                names,
                RichProgress(progress),
                sample_size=max(args.show, settings.verify_sample_size),
            )
    except CannotVerify as exc:
        err.print(f"atraxion verify: cannot run: {redact_text(str(exc))}", markup=False)
        return 2
    finished = datetime.now(UTC)
    results = [_stored(t, settings.verify_sample_size) for t in tallies]
    if not args.no_store:
        store_error = _store(settings, started, finished, results)
        if store_error:
            err.print(f"atraxion verify: result not kept: {store_error}", markup=False)
    if args.json:
        print(json.dumps({"ranAt": finished.isoformat(), "entities": results}, default=str))
    else:
        _print(tallies, args.show)
    return 1 if any(t.differences for t in tallies) else 0


def _stored(tally: Tally, sample_size: int) -> dict[str, Any]:
    result = tally.as_json()
    result["sample"] = result["sample"][:sample_size]
    return result


def _store(
    settings: Settings, started: datetime, finished: datetime, results: list[dict[str, Any]]
) -> str | None:
    from readmodel.migrate import migrate
    from readmodel.verify_runs import record_run

    try:
        migrate(settings.readmodel_dsn)
        with psycopg.connect(settings.readmodel_dsn, autocommit=True) as conn:
            record_run(conn, started, finished, results)
    except psycopg.Error as exc:
        return _first_line(exc)
    return None


def _print(tallies: list[Tally], show: int) -> None:
    out = Console(highlight=False, soft_wrap=True)
    for tally in tallies:
        if tally.skipped:
            out.print(f"{tally.entity}: skipped: {tally.skipped}", markup=False)
            continue
        out.print(
            f"{tally.entity}: {tally.expected} expected, {tally.served} served, "
            f"{tally.differences} differences",
            markup=False,
        )
        for note in tally.notes:
            out.print(f"  note: {note}", markup=False)
        for difference in tally.sample[:show]:
            for line in difference.lines():
                out.print(f"  {line}", markup=False)
        shown = min(show, len(tally.sample))
        if tally.differences > shown:
            out.print(f"  ... {tally.differences - shown} more", markup=False)
    table = Table(title="atraxion verify")
    for column in ("view", "expected", "served", "missing", "extra", "different"):
        table.add_column(column, justify="left" if column == "view" else "right")
    for t in tallies:
        if t.skipped:
            table.add_row(t.entity, "-", "-", "-", "-", "skipped")
            continue
        style = "red" if t.differences else "green"
        table.add_row(
            t.entity, str(t.expected), str(t.served), str(t.missing), str(t.extra),
            str(t.different), style=style,
        )  # fmt: skip
    out.print(table)
