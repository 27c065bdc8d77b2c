"""``atraxion dead-letters list|show|redrive|purge``: the letters of every dead-letter topic,
read from the broker, with their state from the read model (api/dead_letters.py does the work,
the same as ``/api/v1/ops/dead-letters``). ``--json`` prints what the API answers.

Against the embedded stack from another shell: when ``stack.json`` says the stack's broker is
the one configured, the Tansu workarounds are on (its ListOffsets answer is short of the log
end: without them a listing would miss the newest letters).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any

from rich_argparse import RichHelpFormatter

from core.dsn import redact, redact_text
from core.settings import Settings
from deploy.commands import command
from streams.kafka.dead_letter_records import STATE_FILTERS, BadCursor, BadLetterId

TIME_HELP = "ISO 8601 (2026-11-27T09:00Z) or a duration ago (90s, 15m, 12h, 30d, 2w)"


def register(commands: Any, settings: Settings) -> None:
    top = command(
        commands,
        "dead-letters",
        "list, show, re-drive and purge the dead letters of every dead-letter topic",
        run,
    )
    actions = top.add_subparsers(dest="action", required=True, metavar="<action>")
    listing = actions.add_parser(
        "list",
        formatter_class=RichHelpFormatter,
        help="letters, newest first, with counts per reason",
        description="List the letters, newest first, with counts per reason class.",
    )
    _filters(listing, default_state="visible")
    listing.add_argument(
        "--limit", type=int, default=50, help="letters to show (default: %(default)s)"
    )
    listing.add_argument("--cursor", help="`next` of the previous listing (default: the newest)")
    show = actions.add_parser(
        "show",
        formatter_class=RichHelpFormatter,
        help="one letter: key, value and headers",
        description="Show one letter: the failed record's key and value (JSON, text or "
        "base64) and every header.",
    )
    show.add_argument("id", help="a letter's id (see `list`)")
    for name, verb, default_state in (
        ("redrive", "send the failed records again", "open"),
        ("purge", "hide letters for good (they stay on their topic)", "visible"),
    ):
        action = actions.add_parser(
            name,
            formatter_class=RichHelpFormatter,
            help=f"{verb}: the ids given, or --all letters matching the filters",
            description=f"{verb[0].upper()}{verb[1:]}: the ids given, or with --all every "
            f"letter matching the filters (state {default_state} unless --state).",
        )
        action.add_argument("ids", nargs="*", metavar="ID", help="letters' ids (see `list`)")
        action.add_argument(
            "--all", action="store_true", help="every letter matching the filters instead"
        )
        _filters(action, default_state=default_state)
        if name == "redrive":
            action.add_argument(
                "--force",
                action="store_true",
                help="re-drive letters re-driven (or interrupted) before again (default: skip)",
            )
    for action in actions.choices.values():
        action.add_argument("--json", action="store_true", help="print JSON, as the API answers")


def _filters(parser: argparse.ArgumentParser, default_state: str) -> None:
    group = parser.add_argument_group("filters")
    group.add_argument("--processor", help="exact processor name, e.g. build_products")
    group.add_argument("--reason", help="a reason class, or part of the reason (any case)")
    group.add_argument("--since", metavar="WHEN", help=f"at or after: {TIME_HELP}")
    group.add_argument("--until", metavar="WHEN", help=f"before: {TIME_HELP}")
    group.add_argument("--topic", help="one dead-letter topic (default: every one)")
    group.add_argument(
        "--state",
        choices=STATE_FILTERS,
        default=default_state,
        help="visible: all but purged; all: purged too (default: %(default)s)",
    )


def parse_when(text: str, now: datetime) -> datetime:
    """An ISO 8601 time (UTC when it names no offset), or a duration before ``now``."""
    from api.security.tokens import parse_duration

    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a time: {text!r} ({TIME_HELP})") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def effective_settings(settings: Settings) -> Settings:
    """``settings``, with the Tansu workarounds on when ``stack.json`` says the configured
    broker is the embedded stack's (module docstring)."""
    if settings.broker_flavor == "tansu":
        return settings
    try:
        stack = json.loads(settings.stack_file.read_text())
    except (OSError, ValueError):
        return settings
    if stack.get("kafka_bootstrap") == settings.kafka_bootstrap:
        return settings.model_copy(update={"broker_flavor": "tansu"})
    return settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    from pydantic import ValidationError

    from api.models.ops_dead_letters import LetterFilterIn

    wanted = None
    if args.action != "show":
        try:
            now = datetime.now(UTC)
            wanted = LetterFilterIn(
                processor=args.processor,
                reason=args.reason,
                since=parse_when(args.since, now) if args.since else None,
                until=parse_when(args.until, now) if args.until else None,
                topic=args.topic,
                state=args.state,
            ).to_filter(args.state)
            since, until = wanted.since_ms, wanted.until_ms
            if since is not None and until is not None and until <= since:
                raise ValueError("--until must be after --since")
        except (ValueError, ValidationError) as exc:
            print(f"atraxion dead-letters {args.action}: {exc}", file=sys.stderr)
            return 2
    if args.action in ("redrive", "purge") and bool(args.ids) == bool(args.all):
        print(f"atraxion dead-letters {args.action}: give ids or --all", file=sys.stderr)
        return 2
    return asyncio.run(_run(args, effective_settings(settings), wanted))


async def _run(args: argparse.Namespace, settings: Settings, wanted: Any) -> int:
    import psycopg
    from confluent_kafka import KafkaException

    from api.dead_letters import DeadLetterOps, UnknownLetters, cli_actor
    from readmodel.migrate import migrate

    ops = DeadLetterOps(settings)
    try:
        migrate(settings.readmodel_dsn)  # the state table exists before the API ever ran
        async with await psycopg.AsyncConnection.connect(
            settings.readmodel_dsn, autocommit=True
        ) as conn:
            if args.action == "list":
                return await _list(ops, conn, args, wanted)
            if args.action == "show":
                return await _show(ops, conn, args)
            ids = args.ids or None
            chosen = None if ids else wanted
            if args.action == "purge":
                report = await ops.purge(conn, ids, chosen, actor=cli_actor())
                return _print_report(args, {"purged": report.purged, "skipped": report.skipped})
            return await _redrive(ops, conn, args, settings, ids, chosen)
    except UnknownLetters as exc:
        print(f"atraxion dead-letters {args.action}: {exc}", file=sys.stderr)
        return 1
    except (BadLetterId, BadCursor) as exc:
        print(f"atraxion dead-letters {args.action}: {exc}", file=sys.stderr)
        return 2
    except psycopg.OperationalError as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(
            f"cannot reach the read model ({redact(settings.readmodel_dsn)}): {redact_text(text)}",
            file=sys.stderr,
        )
        return 1
    except (KafkaException, TimeoutError) as exc:
        print(
            f"cannot read the dead-letter topics at {settings.kafka_bootstrap}: {exc}",
            file=sys.stderr,
        )
        return 1


async def _list(ops: Any, conn: Any, args: argparse.Namespace, wanted: Any) -> int:
    from rich.console import Console
    from rich.table import Table

    from api.models.ops_dead_letters import DeadLetterItem, DeadLetterList

    listing = await ops.listing(conn, wanted, args.cursor, args.limit)
    body = DeadLetterList(
        items=[DeadLetterItem.of(e) for e in listing.items],
        next=listing.next,
        countsByReason=listing.counts_by_reason,
        total=listing.total,
    )
    if args.json:
        print(body.model_dump_json(indent=2))
        return 0
    console = Console()
    table = Table(title=f"Dead letters: {body.total} matching, newest first")
    table.add_column("id", overflow="fold", min_width=20)
    for column in ("at (UTC)", "processor", "reason", "source", "key", "state"):
        table.add_column(column, overflow="fold")
    for item in body.items:
        source = f"{item.sourceTopic}[{item.sourcePartition}]@{item.sourceOffset}"
        state = item.state + (f" x{item.redriveCount}" if item.redriveCount else "")
        table.add_row(
            item.id,
            item.at.strftime("%Y-%m-%d %H:%M:%S"),
            item.processor,
            item.reason if len(item.reason) <= 80 else item.reason[:79] + "…",
            source,
            (item.key or "")[:30],
            state,
        )
    console.print(table)
    counts = Table(title="Per reason (every state shown above, any reason)")
    counts.add_column("reason class")
    counts.add_column("letters", justify="right")
    for reason, count in body.countsByReason.items():
        counts.add_row(reason, str(count))
    console.print(counts)
    if body.next:
        console.print(f"More: --cursor {body.next}")
    return 0


async def _show(ops: Any, conn: Any, args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from api.models.ops_dead_letters import DeadLetterDetail

    detail = await ops.detail(conn, args.id)
    body = DeadLetterDetail.with_value(detail.entry, detail.value)
    if args.json:
        print(body.model_dump_json(indent=2))
        return 0
    console = Console()
    table = Table(title=f"Dead letter {body.id}", show_header=False)
    table.add_column("field")
    table.add_column("value", overflow="fold")
    for name in ("deadLetterTopic", "partition", "offset", "processor", "reason", "sourceTopic",
                 "sourcePartition", "sourceOffset", "key", "at", "state", "redriveCount",
                 "redrivenTo", "valueBytes", "valueEncoding"):  # fmt: skip
        table.add_row(name, str(getattr(body, name)))
    console.print(table)
    headers = Table(title="Headers")
    headers.add_column("name")
    headers.add_column("value", overflow="fold")
    for header in body.headers:
        headers.add_row(header.name, header.value or "")
    console.print(headers)
    value = body.value if body.valueEncoding != "json" else json.dumps(body.value, indent=2)
    console.print(f"Value ({body.valueEncoding}):", style="bold")
    console.print(str(value), markup=False, highlight=False)
    return 0


async def _redrive(
    ops: Any, conn: Any, args: argparse.Namespace, settings: Settings, ids: Any, wanted: Any
) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from api.dead_letters import cli_actor
    from streams.kafka.clients import producer_config
    from streams.kafka.delivery import AckedProducer

    timeout_ms = int(settings.dead_letters_redrive_timeout_s * 1000)
    producer = AckedProducer({**producer_config(settings), "message.timeout.ms": timeout_ms})
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns, transient=True, disable=args.json) as progress:
            task = progress.add_task("re-driving", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            report = await ops.redrive(
                conn, producer, ids, wanted, actor=cli_actor(), force=args.force, progress=advance
            )
    finally:
        await producer.close(timeout=settings.dead_letters_redrive_timeout_s)
    code = _print_report(
        args, {"redriven": report.redriven, "skipped": report.skipped, "failed": report.failed}
    )
    return 1 if report.failed else code


def _print_report(args: argparse.Namespace, report: dict[str, list[Any]]) -> int:
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    from rich.console import Console

    console = Console()
    for entry in report.get("redriven", []):
        where = entry["topic"] + (
            f"[{entry['partition']}]@{entry['offset']}" if entry["offset"] is not None else ""
        )
        console.print(
            f"re-driven to {where} (re-drive {entry['redriveCount']}): {', '.join(entry['ids'])}"
        )
    for letter_id in report.get("purged", []):
        console.print(f"purged {letter_id}")
    for entry in report.get("skipped", []):
        console.print(f"skipped {entry['id']}: {entry['why']}")
    for entry in report.get("failed", []):
        console.print(f"failed {entry['id']}: {entry['error']}", style="red")
    done = len(report.get("redriven", [])) + len(report.get("purged", []))
    console.print(
        f"{done} done, {len(report.get('skipped', []))} skipped, "
        f"{len(report.get('failed', []))} failed"
    )
    return 0
