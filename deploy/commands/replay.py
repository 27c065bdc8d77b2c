"""``atraxion replay --view products [--mark-pending]``: rebuild one read-model view from its
topic in this process (streams/sinks/replay.py), with a progress bar, while the stack keeps
running. Recorded in ``ops_replay`` like the API's replays, so ``GET /api/v1/ops/replays``
shows it too. Exit code 0 when done, 1 when it failed."""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from typing import Any

import psycopg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from core.dsn import redact
from core.logs import configure_logging
from core.settings import Settings
from deploy.commands import command
from readmodel import replays as store
from readmodel.migrate import migrate


def register(commands: Any, settings: Settings) -> None:
    names = ", ".join(store.views())
    sub = command(
        commands,
        "replay",
        "rebuild a read-model view from its topic while the stack runs (rows only move "
        "forward: replaying a current view changes nothing)",
        run,
    )
    sub.add_argument("--view", required=True, choices=list(store.views()), help=f"one of {names}")
    sub.add_argument(
        "--mark-pending",
        action="store_true",
        help="afterwards make every item of the view pending again (the webshop gets the "
        "whole view again); default: only rows the replay brings back or moves forward are",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from streams.sinks.replay import JobRecorder, ReplayError, ViewReplay, runner_name

    configure_logging("replay", console_level="WARNING")
    console = Console(stderr=True)
    job_id = uuid.uuid4()
    try:
        migrate(settings.readmodel_dsn)  # ops_replay exists even before the stack's first run
        with psycopg.connect(settings.readmodel_dsn, autocommit=True) as conn:
            conn.execute(
                store.INSERT_SQL,
                {
                    "id": job_id,
                    "view": args.view,
                    "mark_pending": args.mark_pending,
                    "status": "running",
                    "runner": runner_name(),
                },
            )
    except psycopg.OperationalError as exc:
        print(
            f"atraxion replay: cannot reach the read model ({redact(settings.readmodel_dsn)}): "
            f"{str(exc).strip().splitlines()[-1] if str(exc).strip() else exc}",
            file=sys.stderr,
        )
        return 1
    recorder = JobRecorder(settings.readmodel_dsn, job_id)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("records · {task.fields[rate]} · ETA {task.fields[eta]}"),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"replay {args.view}", total=None, rate="-", eta="-")

        def on_progress(done: int, total: int) -> None:
            recorder(done, total)
            rate, eta = store.rate_and_eta(done, total, time.monotonic() - recorder.started)
            progress.update(
                task,
                completed=done,
                total=total,
                rate=f"{rate:,.0f}/s",
                eta="-" if eta is None else f"{eta:,.1f}s",
            )

        try:
            result = ViewReplay(
                args.view, settings, mark_pending=args.mark_pending, on_progress=on_progress
            ).run()
        except (ReplayError, psycopg.Error, RuntimeError, TimeoutError) as exc:
            recorder.finish(None, error=f"{type(exc).__name__}: {exc}")
            console.print(f"[red]✗ replay {args.view} failed:[/red] {exc}")
            return 1
        except BaseException:
            recorder.finish(None, error="interrupted")
            raise
    recorder.finish(result)
    console.print(
        f"✓ replay {args.view} ({job_id}): {result.done:,} records in {result.seconds:,.1f}s"
        f" ({result.done / max(result.seconds, 1e-9):,.0f}/s); rows changed {result.changed:,},"
        f" pruned {result.pruned:,}, marked pending {result.marked:,},"
        f" records skipped {result.skipped:,}"
    )
    return 0
