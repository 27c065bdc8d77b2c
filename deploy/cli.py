"""``atraxion``: the command line. ``atraxion <command> --help`` lists every option with its
default (core/settings.py, or the ``ATRAXION_*`` environment).

atraxion up [--scale N] [--odoo-dsn DSN] [--log-format auto|pretty|json] ...   the embedded stack
atraxion preflight [--odoo-dsn DSN]       what ``up`` checks first, without starting anything
atraxion verify [--entity NAME] [--json]  every read-model view against Odoo's tables
atraxion token create --name N --scope webshop [--scope admin] [--expires 30d]
atraxion token list
atraxion token revoke N

The token commands talk to the read-model database directly (``ATRAXION_READMODEL_DSN`` or
the PostgreSQL settings); the secret of a new token is printed once, on the last line.
Connection strings are printed with their password masked (core/dsn.py), everywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from pydantic import ValidationError
from rich_argparse import RichHelpFormatter

from core.dsn import DsnError, redact, redact_text
from core.dsn import parse as parse_dsn
from core.logs import configure_logging
from core.settings import Settings, get_settings
from deploy.commands import command, dead_letters, replay, resync
from deploy.commands import lag as lag_command
from deploy.commands import verify as verify_command

if TYPE_CHECKING:
    from deploy.preflight import PreflightFailed

log = structlog.get_logger("atraxion")
# Events the terminal shows its own way (deploy/console.py): logged to the file only there.
shown = structlog.get_logger("atraxion.shown")
ODOO_VERSIONS = (16, 17, 18, 19)


def main(argv: list[str] | None = None) -> None:
    try:
        settings = get_settings()
    except ValidationError as exc:  # one line per bad setting, never a traceback
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False)
        )
        print(f"atraxion: invalid settings (ATRAXION_* or .env): {problems}", file=sys.stderr)
        sys.exit(2)
    args = build_parser(settings).parse_args(argv)
    sys.exit(args.run(args, settings))


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    """Every command, its options and their help, with the defaults of ``settings``."""
    parser = argparse.ArgumentParser(
        prog="atraxion",
        description="Change-data-capture from Odoo's PostgreSQL to a webshop's feeds.",
        epilog="Every setting is also an environment variable ATRAXION_<NAME> (README "
        "'Configuration'); `atraxion <command> --help` shows a command's options.",
        formatter_class=RichHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="<command>")
    _add_up(commands, settings)
    _add_preflight(commands, settings)
    _add_token_commands(commands, settings)
    lag_command.register(commands, settings)
    dead_letters.register(commands, settings)
    replay.register(commands, settings)
    resync.register(commands, settings)
    verify_command.register(commands, settings)
    return parser


def _add_odoo_dsn(parser: argparse.ArgumentParser, settings: Settings) -> None:
    current = (
        f"ATRAXION_ODOO_DSN, {redact(settings.odoo_dsn_override)}"
        if settings.odoo_dsn_override
        else "none: the embedded demo database"
    )
    parser.add_argument(
        "--odoo-dsn",
        metavar="DSN",
        help="capture this existing Odoo database (libpq URL `postgresql://user:pw@host:5432/db` "
        "or `host=... dbname=...`) instead of the demo one; it is never seeded or altered "
        f"(default: {current})",
    )


def _add_up(commands: Any, settings: Settings) -> None:
    up = command(
        commands,
        "up",
        "run the embedded stack in the foreground (PostgreSQL, broker, Debezium, processors, "
        "API) until Ctrl-C",
        run_up,
    )
    _add_odoo_dsn(up, settings)
    demo = up.add_argument_group(
        "demo Odoo database", "the embedded one; any of these options re-seeds it"
    )
    demo.add_argument(
        "--scale",
        type=int,
        metavar="N",
        help=f"product templates (default: {settings.demo_scale}, ATRAXION_DEMO_SCALE)",
    )
    demo.add_argument(
        "--pricelists",
        type=int,
        metavar="N",
        help=f"pricelists (default: {settings.demo_pricelists}, ATRAXION_DEMO_PRICELISTS)",
    )
    demo.add_argument(
        "--odoo-version",
        type=int,
        choices=ODOO_VERSIONS,
        help="the Odoo version whose table shapes the data takes "
        f"(default: {settings.demo_odoo_version}, ATRAXION_DEMO_ODOO_VERSION)",
    )
    demo.add_argument(
        "--reset-odoo",
        action="store_true",
        help="re-seed it even without other changes (default: keep it from the last run)",
    )
    demo.add_argument(
        "--replica-identity",
        choices=["default", "full"],
        help="REPLICA IDENTITY of the captured tables when seeding; Atraxion needs no FULL "
        "(default: default, the primary key)",
    )
    up.add_argument(
        "--log-format",
        choices=["auto", "pretty", "json"],
        default="auto",
        help="pretty: progress and a summary on the terminal, warnings as lines; json: JSON "
        "log lines on stderr; auto: pretty when stdout and stderr are terminals. Either way "
        "JSON lines go to <state dir>/logs/supervisor.log (default: %(default)s)",
    )
    up.epilog = (
        f"State, logs and stack.json go to ATRAXION_STATE_DIR (now {settings.state_dir}); "
        f"ports: PostgreSQL {settings.pg_port}, broker {settings.kafka_bootstrap}, "
        f"API {settings.api_port} (ATRAXION_PG_PORT, ATRAXION_KAFKA_BOOTSTRAP, ATRAXION_API_PORT)."
    )


def _add_preflight(commands: Any, settings: Settings) -> None:
    preflight = command(
        commands,
        "preflight",
        "check what `atraxion up` checks before it starts (free ports; an existing Odoo "
        "database fit for capture), starting nothing; exit 1 on a problem",
        run_preflight,
    )
    _add_odoo_dsn(preflight, settings)


def _add_token_commands(commands: Any, settings: Settings) -> None:
    token = commands.add_parser(
        "token",
        help="manage API tokens (in the read model: ATRAXION_READMODEL_DSN)",
        description="Manage API tokens, directly in the read-model database "
        f"({redact(settings.readmodel_dsn)}).",
        formatter_class=RichHelpFormatter,
    )
    token.set_defaults(run=lambda args, settings: asyncio.run(run_token(args, settings)))
    actions = token.add_subparsers(dest="action", required=True, metavar="<action>")
    create = actions.add_parser(
        "create",
        help="create a token and print its secret once",
        description="Create a token; its secret is printed once, on the last line.",
        formatter_class=RichHelpFormatter,
    )
    create.add_argument(
        "--name", required=True, help="unique name: letters, digits, . _ - (at most 64)"
    )
    create.add_argument(
        "--scope",
        action="append",
        required=True,
        help="webshop, odoo or admin; repeat (or comma-separate) for several",
    )
    create.add_argument(
        "--expires",
        metavar="DURATION",
        help="lifetime, e.g. 30d, 12h, 15m, 2w (default: never)",
    )
    actions.add_parser(
        "list",
        help="list tokens (never their secrets)",
        description="List every token, revoked and expired ones too (never their secrets).",
        formatter_class=RichHelpFormatter,
    )
    revoke = actions.add_parser(
        "revoke",
        help="revoke a token",
        description="Revoke a token: API workers refuse it within "
        f"{settings.api_token_cache_ttl_s:g} s (ATRAXION_API_TOKEN_CACHE_TTL_S, their cache). "
        "Exit 1 if there is no such token or it was revoked already.",
        formatter_class=RichHelpFormatter,
    )
    revoke.add_argument("name", help="the token's name (see `atraxion token list`)")


# -- commands ----------------------------------------------------------------------------------


async def run_token(args: argparse.Namespace, settings: Settings) -> int:
    import psycopg

    from api.security import store
    from api.security.tokens import normalize_scopes, parse_duration, valid_name
    from readmodel.migrate import migrate

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
                revoked = await store.revoke_token(conn, args.name)
                if revoked is None:
                    print(f"no token named {args.name!r}", file=sys.stderr)
                    return 1
                if revoked.already:
                    when = _when(revoked.record.revoked_at)
                    print(f"token {args.name!r} was already revoked at {when}", file=sys.stderr)
                    return 1
                print(
                    f"Revoked {args.name!r}. API workers stop accepting it within "
                    f"{settings.api_token_cache_ttl_s:g} s (their token cache)."
                )
    except psycopg.OperationalError as exc:
        print(
            f"cannot reach the read model ({redact(settings.readmodel_dsn)}): {_first_line(exc)}",
            file=sys.stderr,
        )
        return 1
    return 0


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return redact_text(text.splitlines()[0] if text else type(exc).__name__)


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


def _with_odoo(command: str, args: argparse.Namespace, settings: Settings) -> Settings | None:
    """``settings`` with ``--odoo-dsn``; None (and one line on stderr) when a connection
    string, given or from the environment, is malformed."""
    if args.odoo_dsn is not None:
        settings = settings.model_copy(update={"odoo_dsn_override": args.odoo_dsn})
    for source, dsn in (
        ("--odoo-dsn" if args.odoo_dsn is not None else "ATRAXION_ODOO_DSN", settings.odoo_dsn),
        ("ATRAXION_READMODEL_DSN", settings.readmodel_dsn),
    ):
        try:
            parse_dsn(dsn)
        except DsnError as exc:
            print(f"atraxion {command}: {source}: {exc}", file=sys.stderr)
            return None
    return settings


def run_preflight(args: argparse.Namespace, settings: Settings) -> int:
    from rich.console import Console

    from deploy import preflight
    from deploy.console import check_lines

    checked = _with_odoo("preflight", args, settings)
    if checked is None:
        return 2
    configure_logging("preflight", console="readable", console_level="WARNING")
    checks = preflight.run(checked)
    console = Console()
    for line in check_lines(checks):
        console.print(line, highlight=False)
    return 1 if preflight.errors(checks) else 0


def run_up(args: argparse.Namespace, settings: Settings) -> int:
    checked = _with_odoo("up", args, settings)
    if checked is None:
        return 2  # before anything is created or started
    overrides: dict[str, Any] = {}
    for option, field in (
        ("scale", "demo_scale"),
        ("pricelists", "demo_pricelists"),
        ("odoo_version", "demo_odoo_version"),
    ):
        if getattr(args, option) is not None:
            overrides[field] = getattr(args, option)
    settings = checked.model_copy(update=overrides)
    pretty = args.log_format == "pretty" or (
        args.log_format == "auto" and sys.stdout.isatty() and sys.stderr.isatty()
    )
    configure_logging(
        "supervisor",
        log_file=settings.state_dir.resolve() / "logs" / "supervisor.log",
        console="readable" if pretty else "json",
        console_level="WARNING" if pretty else None,
        # The screen shows steps and failures its own way; Python's warnings (a library's
        # deprecation...) are for developers: those go to the file only.
        console_skip=("atraxion.shown", "atraxion.progress", "py.warnings") if pretty else (),
    )
    logging.captureWarnings(True)
    return _Up(args, settings, pretty, reseed=args.reset_odoo or bool(overrides)).run()


class _Up:
    """``atraxion up``: start, show, supervise, stop."""

    def __init__(
        self, args: argparse.Namespace, settings: Settings, pretty: bool, *, reseed: bool
    ) -> None:
        from deploy.console import ConsoleProgress
        from deploy.local.capture_progress import CaptureProgress
        from deploy.local.progress import LogProgress, StartProgress
        from deploy.local.stack import Stack

        # The terminal a person reads, or None: JSON log lines instead (--log-format).
        self.screen = ConsoleProgress(record=LogProgress()) if pretty else None
        self.progress: StartProgress = self.screen or LogProgress()
        self.stack = Stack(
            settings,
            reset_odoo=reseed,
            replica_identity=args.replica_identity,
            progress=self.progress,
        )
        self.capture = CaptureProgress(
            self.progress, self.stack.settings, self.stack.log_dir / "connect.log"
        )

    def run(self) -> int:
        from deploy.local.processes import ProcessDied
        from deploy.preflight import PreflightFailed

        def on_signal(signum: int, _frame: object) -> None:
            raise KeyboardInterrupt(signal.Signals(signum).name)

        signal.signal(signal.SIGTERM, on_signal)
        self._say(f"atraxion up: state in {self.stack.state_dir}, pid {os.getpid()}", "dim")
        try:
            self.capture.start(when=lambda: self.stack.claimed)
            self.stack.start()
            self._summary()
            self.stack.supervise()
        except PreflightFailed as exc:
            return self._preflight_failed(exc)
        except KeyboardInterrupt:
            self._stop("interrupted")
            return 0
        except ProcessDied as exc:
            shown.error("stack.process_died", process=exc.child.name, detail=str(exc))
            # More of its log than the message's tail: the error line comes before the
            # shutdown lines.
            self._failed(str(exc).partition("\n")[0], exc.child.tail(300))
            return 1
        except Exception as exc:
            shown.exception("stack.failed")
            self._failed(f"{type(exc).__name__}: {exc}")
            return 1
        finally:
            self.capture.stop()
            if self.screen is not None:
                self.screen.close()
        return 0

    def _say(self, text: str, style: str = "") -> None:
        if self.screen is not None:
            from rich.text import Text

            self.screen.print(Text(text, style=style))
        else:
            print(text, flush=True)

    def _preflight_failed(self, exc: PreflightFailed) -> int:
        from dataclasses import asdict

        from deploy.console import check_lines

        failed = [c for c in exc.checks if c.level != "ok"]
        shown.error("stack.preflight_failed", checks=[asdict(c) for c in failed])
        self._say("Nothing was started. Fix these and run it again:", "bold")
        for line in check_lines(failed):
            if self.screen is not None:
                self.screen.print(line)
            else:
                print(line.plain, flush=True)
        return 1

    def _stop(self, why: str) -> None:
        log.info("stack.stopping", reason=why)
        self.capture.stop()
        if self.screen is not None:
            self.screen.stop_running(why)
        self.progress.begin("stop", "Stopping every process")
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # stop in order, every child
        self.stack.stop()
        self.progress.finish("stop", detail="every process stopped")

    def _failed(self, message: str, log_tail: str = "") -> None:
        """Show what failed (the first line of ``message``; the lines of ``log_tail``, or
        else the rest of ``message``, that say why), then stop what runs."""
        self.capture.stop()
        if self.screen is not None:
            from deploy.console import readable_tail

            self.screen.stop_running("not finished")
            first, _, rest = redact_text(message).partition("\n")
            self._say(f"✗ {first}", "bold red")
            for line in readable_tail(redact_text(log_tail or rest)):
                self._say(f"    {line}", "dim")
            self._say(f"Logs: {self.stack.log_dir}", "dim")
        self.stack.stop()

    def _summary(self) -> None:
        stack, settings = self.stack, self.stack.settings
        info = stack.describe()
        stack_file = settings.stack_file.resolve()
        bin_dir = Path(sys.executable).parent
        activate = bin_dir / "activate"
        relative = os.path.relpath(activate)
        rows = [
            ("API", f"{stack.api_url}   docs: {stack.api_url}/docs"),
            (
                "Operations",
                f"{stack.api_url}/ops (the admin token: jq -r .tokens.admin {stack_file})\n"
                f"{stack.api_url}/metrics (Prometheus, the same token)",
            ),
            (
                "Odoo database",
                redact(settings.odoo_dsn)
                + ("   (yours, captured as it is)" if settings.odoo_is_external else "   (demo)"),
            ),
            ("Read model", redact(settings.readmodel_dsn)),
            ("Kafka", settings.kafka_bootstrap),
            (
                "API tokens",
                f"in {stack_file} (mode 0600), one per scope:\n"
                f"TOKEN=$(jq -r .tokens.webshop {stack_file})",
            ),
            ("Logs", f"{stack.log_dir}/  (supervisor.log and one per process)"),
            ("Stop", f"Ctrl-C here, or: kill {os.getpid()}"),
            (
                "CLI",
                f"{bin_dir / 'atraxion'} --help\n"
                f"or: source {relative if not relative.startswith('..') else activate}"
                "; atraxion --help",
            ),
        ]
        total = info["startup_seconds"].get("total", 0)
        title = f"Atraxion is ready ({total:.1f}s)."
        if not self.capture.done:
            title += " The first capture goes on " + (
                "below." if self.screen is not None else "(progress.* log events)."
            )
        if self.screen is None:
            width = max(len(label) for label, _ in rows)
            lines = [title]
            for label, value in rows:
                pad = "\n" + " " * (width + 4)
                lines.append(f"  {label:<{width}}  {value.replace(chr(10), pad)}")
            print("\n".join(lines), flush=True)
            return
        from rich.padding import Padding

        from deploy.console import summary_table

        self.screen.print("")
        self._say(title, "bold green")
        self.screen.print(Padding(summary_table(rows), (0, 0, 1, 2)))


if __name__ == "__main__":
    main()
