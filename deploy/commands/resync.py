"""``atraxion resync --table product_template [--ids 1,2,3 | --where "..."]``: re-read Odoo
rows through a Debezium incremental snapshot, then follow it until Debezium reports it done.

The same steps as ``POST /api/v1/ops/resyncs`` (api/routes/ops/resyncs.py): check the
request (schemas/resyncs.py), count its rows in Odoo's database in a READ ONLY transaction,
record it in ``ops_resync``, insert its execute-snapshot signal into the signal table. The
progress shown is the one Debezium's notifications write to ``ops_resync`` (through the
materializer): the scan's position in the table's ids, then the rows it read. Exit code 0
when done, 1 when it failed or was aborted, 2 for a request that is not valid.
"""

from __future__ import annotations

import argparse
import time
import uuid
from typing import Any

import psycopg
from psycopg.rows import dict_row
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from core.dsn import redact
from core.logs import configure_logging
from core.settings import Settings
from deploy.commands import command
from readmodel import resyncs as store
from readmodel.migrate import migrate
from schemas.odoo_tables import CAPTURED_TABLES
from schemas.resyncs import (
    ResyncInvalid,
    ResyncRequest,
    count_sql,
    insert_signal_sql,
    key_fraction,
    signal_row,
    validated,
)

FINISHED = ("done", "aborted", "failed")


def register(commands: Any, settings: Settings) -> None:
    sub = command(
        commands,
        "resync",
        "re-read rows of an Odoo table through Debezium (an incremental snapshot) while live "
        "changes keep flowing; rows that did not change produce no feed entries",
        run,
    )
    sub.add_argument("--table", required=True, metavar="TABLE", help=", ".join(CAPTURED_TABLES))
    which = sub.add_mutually_exclusive_group()
    which.add_argument("--ids", metavar="1,2,3", help="only these row ids")
    which.add_argument(
        "--where",
        metavar="CONDITION",
        help="only rows matching this SQL condition on the table's columns (one condition: "
        "no ';', no comments), e.g. \"write_date > now() - interval '1 day'\"",
    )
    sub.add_argument(
        "--no-wait", action="store_true", help="send the signal and exit without following it"
    )
    sub.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        metavar="S",
        help="stop following after this many seconds (default: %(default)s); the resync goes on",
    )


def start(settings: Settings, wanted: ResyncRequest) -> dict[str, Any]:
    """Count, record and signal one resync; its ops_resync row. ResyncInvalid when Odoo's
    database rejects the condition; psycopg errors otherwise."""
    with psycopg.connect(settings.odoo_dsn, autocommit=True) as odoo:
        try:
            with odoo.transaction():
                odoo.execute("SET TRANSACTION READ ONLY")
                odoo.execute("SET LOCAL statement_timeout = 10000")
                counted = odoo.execute(count_sql(wanted)).fetchone()
        except psycopg.errors.QueryCanceled:
            field = "where" if wanted.where is not None else "table"
            raise ResyncInvalid(field, "counting its rows took over 10 s") from None
        except psycopg.OperationalError:
            raise  # the Odoo database is away
        except psycopg.Error as exc:  # the condition (or table) does not run there
            field = "where" if wanted.where is not None else "table"
            raise ResyncInvalid(field, f"Odoo's database rejects it: {exc}") from None
        resync_id = uuid.uuid4()
        with psycopg.connect(settings.readmodel_dsn, autocommit=True, row_factory=dict_row) as rm:
            row = rm.execute(
                store.INSERT_SQL,
                {
                    "id": resync_id,
                    "table": wanted.table,
                    "ids": list(wanted.ids) if wanted.ids is not None else None,
                    "where": wanted.where,
                    "expected": counted[0] if counted else None,
                },
            ).fetchone()
            try:
                odoo.execute(
                    insert_signal_sql(settings.signal_table), signal_row(resync_id, wanted)
                )
            except psycopg.ProgrammingError as exc:
                rm.execute(store.FAIL_SQL, {"id": resync_id, "error": f"signal not sent: {exc}"})
                raise
    assert row is not None
    return row


def run(args: argparse.Namespace, settings: Settings) -> int:
    configure_logging("resync", console_level="WARNING")
    console = Console(stderr=True)
    try:
        wanted = validated(args.table, args.ids, args.where, max_ids=settings.resync_max_ids)
        migrate(settings.readmodel_dsn)
        row = start(settings, wanted)
    except ResyncInvalid as exc:
        console.print(f"[red]atraxion resync: --{exc.field}: {exc.message}[/red]")
        return 2
    except psycopg.ProgrammingError as exc:
        console.print(
            f"[red]atraxion resync: the signal table public.{settings.signal_table} is not "
            f"usable ({str(exc).strip()}); see README 'Replay and resync'[/red]"
        )
        return 1
    except psycopg.OperationalError as exc:
        console.print(
            f"[red]atraxion resync: cannot reach {redact(settings.odoo_dsn)} or "
            f"{redact(settings.readmodel_dsn)}: {str(exc).strip()}[/red]"
        )
        return 1
    resync_id = row["id"]
    console.print(f"resync {resync_id}: {row['expected']} rows of {wanted.table} requested")
    if args.no_wait:
        return 0
    return follow(settings, resync_id, row["expected"], args.timeout, console)


def follow(
    settings: Settings, resync_id: uuid.UUID, expected: int | None, timeout: float, console: Any
) -> int:
    """Show the resync's progress from its ops_resync row until it finishes."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[status]} · {task.fields[rows]}"),
    )
    deadline = time.monotonic() + timeout
    row: dict[str, Any] | None = None
    with (
        psycopg.connect(settings.readmodel_dsn, autocommit=True, row_factory=dict_row) as rm,
        Progress(*columns, console=console) as progress,
    ):
        total = max(expected or 0, 1)
        task = progress.add_task("resync", total=total, status="requested", rows="")
        hinted = False
        while time.monotonic() < deadline:
            row = rm.execute(store.GET_SQL, {"id": resync_id}).fetchone()
            assert row is not None
            hint = store.hint(row, settings)
            if hint and not hinted:  # once: the bar keeps showing "requested"
                progress.console.print(f"[yellow]! {hint}[/yellow]")
                hinted = True
            fraction = key_fraction(row["last_key"], row["max_key"]) or 0.0
            done = row["status"] == "done"
            completed = total if done else fraction * total
            rows = (
                f"{row['rows_done']:,} rows read" if row["rows_done"] else f"{fraction:.0%} of ids"
            )
            progress.update(task, completed=completed, status=row["status"], rows=rows)
            if row["status"] in FINISHED:
                break
            time.sleep(0.5)
    if row is None or row["status"] not in FINISHED:
        console.print(f"resync {resync_id} still {row['status'] if row else '?'}; it goes on")
        return 1
    if row["status"] != "done":
        console.print(f"[red]✗ resync {resync_id} {row['status']}: {row['error'] or ''}[/red]")
        return 1
    console.print(f"✓ resync {resync_id}: {row['rows_done']:,} rows re-read")
    return 0
