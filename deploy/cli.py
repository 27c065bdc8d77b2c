"""``atraxion``: the command line.

atraxion up [--scale N] [--pricelists N] [--reset-odoo]   run the embedded stack
atraxion token create --name N --scope webshop [--scope admin] [--expires 30d]
atraxion token list
atraxion token revoke N

The token commands talk to the read-model database directly (``ATRAXION_READMODEL_DSN`` or
the PostgreSQL settings); the secret of a new token is printed once, on the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from datetime import UTC, datetime
from typing import Any

import structlog

from core.logs import configure_logging
from core.settings import get_settings

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
    verify = commands.add_parser(
        "verify",
        help="compare the served prices and stock with what Odoo's rows give (exit 1 if they "
        "differ); meaningful once the pipeline has caught up",
    )
    verify.add_argument("--show", type=int, default=10, help="differences to print per feed")
    _add_token_commands(commands)
    args = parser.parse_args(argv)
    if args.command == "verify":
        sys.exit(run_verify(args))
    if args.command == "up":
        sys.exit(run_up(args))
    if args.command == "token":
        sys.exit(asyncio.run(run_token(args)))


def _add_token_commands(commands: Any) -> None:
    token = commands.add_parser("token", help="manage API tokens")
    actions = token.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a token and print its secret once")
    create.add_argument("--name", required=True, help="unique name (letters, digits, . _ -)")
    create.add_argument(
        "--scope",
        action="append",
        required=True,
        help="webshop, odoo or admin; repeat (or comma-separate) for several",
    )
    create.add_argument("--expires", help="lifetime, e.g. 30d, 12h, 15m, 2w (default: never)")
    actions.add_parser("list", help="list tokens (never their secrets)")
    revoke = actions.add_parser("revoke", help="revoke a token")
    revoke.add_argument("name")


def run_verify(args: argparse.Namespace) -> int:
    import psycopg

    from deploy.verify import differences, expected, served
    from schemas.entities import COMPUTED

    settings = get_settings()
    found = 0
    with (
        psycopg.connect(settings.odoo_dsn) as odoo,
        psycopg.connect(settings.readmodel_dsn) as readmodel,
    ):
        for entity in COMPUTED:
            want = expected(odoo, entity)
            wrong = differences(want, served(readmodel, entity))
            print(f"{entity.name}: {len(want)} records, {len(wrong)} differences")
            for line in wrong[: args.show]:
                print(f"  {line}")
            found += len(wrong)
    return 1 if found else 0


async def run_token(args: argparse.Namespace) -> int:
    import psycopg

    from api.security import store
    from api.security.tokens import normalize_scopes, parse_duration, valid_name
    from readmodel.migrate import migrate

    settings = get_settings()
    if args.action == "create":
        try:
            if not valid_name(args.name):
                raise ValueError(f"invalid name {args.name!r}: letters, digits, . _ - (max 64)")
            scopes = normalize_scopes(args.scope)
            expires_in = parse_duration(args.expires) if args.expires else None
        except ValueError as exc:
            print(f"atraxion token create: {exc}", file=sys.stderr)
            return 2
    try:
        migrate(settings.readmodel_dsn)  # the table exists even before the API ever ran
        async with await psycopg.AsyncConnection.connect(
            settings.readmodel_dsn, autocommit=True
        ) as conn:
            if args.action == "create":
                try:
                    created = await store.create_token(conn, args.name, scopes, expires_in)
                except store.TokenExists:
                    print(f"a token named {args.name!r} exists", file=sys.stderr)
                    return 1
                record = created.record
                expires = _when(record.expires_at) if record.expires_at else "never"
                print(
                    f"Created token {record.name!r}: scopes {','.join(record.scopes)}, "
                    f"expires {expires}.\nThe secret is shown only now; store it:"
                )
                print(created.secret)
            elif args.action == "list":
                _print_tokens(await store.list_tokens(conn))
            elif args.action == "revoke":
                if await store.revoke_token(conn, args.name) is None:
                    print(f"no token named {args.name!r}", file=sys.stderr)
                    return 1
                print(
                    f"Revoked {args.name!r}. API workers stop accepting it within "
                    f"{settings.api_token_cache_ttl_s:g} s (their token cache)."
                )
    except psycopg.OperationalError as exc:
        print(f"cannot reach the read model ({settings.readmodel_dsn}): {exc}", file=sys.stderr)
        return 1
    return 0


def _when(ts: datetime | None) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if ts else "-"


def _print_tokens(records: list[Any]) -> None:
    now = datetime.now(UTC)
    rows = [("NAME", "PREFIX", "SCOPES", "STATE", "CREATED", "EXPIRES", "LAST USED")]
    rows += [
        (
            r.name,
            r.prefix + "…",
            ",".join(r.scopes),
            r.state(now),
            _when(r.created_at),
            _when(r.expires_at),
            _when(r.last_used_at),
        )
        for r in records
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


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
