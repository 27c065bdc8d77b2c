"""``atraxion``: the command line.

atraxion up [--scale N] [--pricelists N] [--reset-odoo]   run the embedded stack
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

import structlog

from deploy.logs import configure_logging
from deploy.settings import get_settings

log = structlog.get_logger("atraxion")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="atraxion")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="run the embedded stack in the foreground")
    up.add_argument("--scale", type=int, help="demo product templates (default: settings)")
    up.add_argument("--pricelists", type=int, help="demo pricelists (default: settings)")
    up.add_argument("--reset-odoo", action="store_true", help="re-seed the Odoo demo database")
    up.add_argument(
        "--replica-identity",
        choices=["default", "full"],
        help="REPLICA IDENTITY for the Odoo tables when seeding",
    )
    args = parser.parse_args(argv)
    if args.command == "up":
        sys.exit(run_up(args))


def run_up(args: argparse.Namespace) -> int:
    from deploy.local.processes import ProcessDied
    from deploy.local.stack import Stack

    configure_logging("supervisor")
    settings = get_settings()
    overrides: dict[str, Any] = {}
    if args.scale is not None:
        overrides["demo_scale"] = args.scale
    if args.pricelists is not None:
        overrides["demo_pricelists"] = args.pricelists
    settings = settings.model_copy(update=overrides)
    reset = args.reset_odoo or bool(overrides)
    stack = Stack(settings, reset_odoo=reset, replica_identity=args.replica_identity)

    def on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    try:
        stack.start()
        _print_summary(stack)
        stack.supervise()
    except KeyboardInterrupt:
        log.info("stack.stopping", reason="signal")
        stack.stop()
        return 0
    except ProcessDied as exc:
        log.error("stack.process_died", process=exc.child.name, detail=str(exc))
        stack.stop()
        return 1
    except Exception:
        log.exception("stack.failed")
        stack.stop()
        return 1
    return 0


def _print_summary(stack: Any) -> None:
    info = stack.describe()
    lines = [
        "",
        "Atraxion embedded stack is ready "
        f"({info['startup_seconds'].get('total', 0):.1f}s). Ctrl-C stops it.",
        f"  API              {info['api_url']}  (docs: {info['api_url']}/docs)",
        f"  Odoo database    {info['odoo_dsn']}",
        f"  Read model       {info['readmodel_dsn']}",
        f"  Kafka bootstrap  {info['kafka_bootstrap']}",
        f"  Logs             {stack.log_dir}",
        f"  Stack file       {stack.settings.stack_file}",
        "",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
