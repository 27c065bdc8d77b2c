"""``atraxion lag``: consumer lag per group, topic and partition, in records and seconds, read
from the broker directly (streams/kafka/lag_probe.py: the same measurement as
``GET /api/v1/ops/lag``, which ``--json`` prints in the same shape).

``--watch`` keeps a live table on screen, measured again every ``--interval`` seconds, until
Ctrl-C; ``--group`` (repeatable) shows only those groups.

Which broker: ``ATRAXION_KAFKA_BOOTSTRAP``; its flavor from ``--broker-flavor``, else
``ATRAXION_BROKER_FLAVOR`` when set, else ``tansu`` when ``atraxion up`` of this state folder
is running (its broker is Tansu, whose ListOffsets answer is short of the log end), else
``kafka``.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from confluent_kafka import KafkaException
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from api.models.ops_lag import LagOut
from core.settings import Settings
from deploy.commands import command
from streams.kafka.group_lag import LagReport
from streams.kafka.lag_probe import LagProbe


def register(commands: Any, settings: Settings) -> None:
    sub = command(
        commands,
        "lag",
        "consumer lag of every group reading the project's topics, per partition: committed "
        "offset, true log end, lag in records and in seconds (README 'Lag and freshness')",
        run,
    )
    sub.add_argument(
        "--group",
        action="append",
        metavar="GROUP",
        help="only this consumer group (repeatable; default: every group)",
    )
    sub.add_argument(
        "--watch", action="store_true", help="keep a live table, measured again every interval"
    )
    sub.add_argument(
        "--interval",
        type=float,
        default=2.0,
        metavar="S",
        help="seconds between measurements with --watch (default: %(default)s)",
    )
    sub.add_argument(
        "--json",
        action="store_true",
        help="print the measurement as JSON, the shape of GET /api/v1/ops/lag (one line per "
        "measurement with --watch)",
    )
    sub.add_argument(
        "--broker-flavor",
        choices=["kafka", "tansu"],
        help="the broker at ATRAXION_KAFKA_BOOTSTRAP (default: ATRAXION_BROKER_FLAVOR if set, "
        "else tansu while `atraxion up` runs from this state folder, else kafka)",
    )
    sub.add_argument(
        "--timeout",
        type=float,
        default=settings.lag_timeout_s,
        metavar="S",
        help="give up on a measurement after this long (default: %(default)s, "
        "ATRAXION_LAG_TIMEOUT_S)",
    )


def broker_flavor(args: argparse.Namespace, settings: Settings) -> str:
    if args.broker_flavor:
        return str(args.broker_flavor)
    if "broker_flavor" in settings.model_fields_set:
        return settings.broker_flavor
    return "tansu" if local_stack_runs(settings) else settings.broker_flavor


def local_stack_runs(settings: Settings) -> bool:
    """``atraxion up`` of this state folder is running (its supervisor is on record)."""
    try:
        from deploy.local.run_record import RunRecord
    except ImportError:  # no embedded extra installed: no local stack either
        return False
    return RunRecord(settings.state_dir).leftovers().supervisor is not None


def run(args: argparse.Namespace, settings: Settings) -> int:
    settings = settings.model_copy(update={"broker_flavor": broker_flavor(args, settings)})
    if args.interval <= 0 or args.timeout <= 0:
        print("atraxion lag: --interval and --timeout must be positive", file=sys.stderr)
        return 2
    probe = LagProbe(settings)
    console = Console()
    try:
        if not args.watch:
            report = probe.measure(args.group, args.timeout)
            if args.json:
                print(LagOut.of(report).model_dump_json())
            else:
                console.print(lag_table(report, settings))
            return 0
        return _watch(probe, args, settings, console)
    except (TimeoutError, KafkaException) as exc:
        print(
            f"atraxion lag: the broker at {settings.kafka_bootstrap} did not answer: {exc}",
            file=sys.stderr,
        )
        return 1
    finally:
        probe.close()


def _watch(probe: LagProbe, args: argparse.Namespace, settings: Settings, console: Console) -> int:
    try:
        if args.json:
            while True:
                print(LagOut.of(probe.measure(args.group, args.timeout)).model_dump_json())
                sys.stdout.flush()
                time.sleep(args.interval)
        if not console.is_terminal:
            # Output to a file or pipe: every measurement's table, one after the other (a
            # live display would only show the last one).
            while True:
                console.print(_measured(probe, args, settings))
                console.print()
                time.sleep(args.interval)
        with Live(console=console, auto_refresh=False, screen=False) as live:
            while True:
                shown = _measured(probe, args, settings)
                hint = Text(f"every {args.interval:g} s · Ctrl-C to stop", style="dim")
                live.update(Group(shown, hint), refresh=True)
                time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0


def _measured(probe: LagProbe, args: argparse.Namespace, settings: Settings) -> Table | Text:
    try:
        return lag_table(probe.measure(args.group, args.timeout), settings)
    except (TimeoutError, KafkaException) as exc:
        # Keep watching: the broker may come back (a restart, a rewrite pause).
        return Text(f"the broker did not answer: {exc}", style="red")


def lag_table(report: LagReport, settings: Settings) -> Table:
    """One row per group (its totals, bold) followed by its partitions."""
    measured = LagOut.of(report).measuredAt.strftime("%Y-%m-%d %H:%M:%S UTC")
    table = Table(
        title=f"Consumer lag at {settings.kafka_bootstrap} ({settings.broker_flavor}), {measured}",
        title_justify="left",
    )
    table.add_column("group", no_wrap=True)
    table.add_column("topic", no_wrap=True)
    table.add_column("part.", justify="right")
    table.add_column("committed", justify="right")
    table.add_column("log end", justify="right")
    table.add_column("lag", justify="right", no_wrap=True)
    table.add_column("lag s", justify="right", no_wrap=True)
    for group in report.groups:
        style = "bold yellow" if group.lag_records else "bold green"
        note = "" if group.partitions else "(no committed offsets)"
        table.add_row(
            group.group,
            note,
            "",
            "",
            "",
            f"{group.lag_records:,}",
            _seconds(group.lag_seconds),
            style=style,
        )
        for p in group.partitions:
            table.add_row(
                "",
                p.topic,
                str(p.partition),
                f"{p.committed_offset:,}",
                f"{p.log_end_offset:,}",
                f"{p.lag_records:,}",
                _seconds(p.lag_seconds),
                style="yellow" if p.lag_records else None,
            )
    return table


def _seconds(value: float | None) -> str:
    return "?" if value is None else f"{value:,.3f}"
