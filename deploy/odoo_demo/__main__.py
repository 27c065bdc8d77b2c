"""CLI: python -m deploy.odoo_demo --dsn postgresql://... --scale 1000 --odoo-version 17

Prints one JSON object per line: progress events while loading, then a summary.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from deploy.odoo_demo.seed import (
    DEFAULT_AS_OF,
    DEFAULT_SEED,
    ensure_database,
    seed,
    set_replica_identity,
)
from deploy.odoo_demo.versions import DEFAULT_ODOO_VERSION, ODOO_VERSIONS


def _log(event: str, **fields: object) -> None:
    record = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event}
    print(json.dumps(record | fields, ensure_ascii=False), flush=True)


def _progress(table: str, done: int, total: int) -> None:
    _log("progress", table=table, done=done, total=total)


def _as_of(value: str) -> datetime:
    if value == "now":
        return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    return datetime.fromisoformat(value)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.odoo_demo",
        description="Drop, recreate and fill the Odoo-shaped demo tables.",
    )
    parser.add_argument("--dsn", required=True, help="libpq URL of the target database")
    parser.add_argument("--scale", type=int, default=200, help="product templates")
    parser.add_argument("--pricelists", type=int, default=3)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="RNG seed")
    parser.add_argument(
        "--odoo-version",
        type=int,
        choices=ODOO_VERSIONS,
        default=DEFAULT_ODOO_VERSION,
        help="the Odoo major version whose tables and columns the database takes",
    )
    parser.add_argument(
        "--as-of",
        type=_as_of,
        default=DEFAULT_AS_OF,
        help="the data's 'now' (ISO datetime, or 'now'); fixed by default",
    )
    parser.add_argument("--replica-identity", choices=("full", "default"))
    parser.add_argument(
        "--create-db", action="store_true", help="create the database if it is missing"
    )
    parser.add_argument(
        "--no-seed",
        action="store_true",
        help="only apply --replica-identity to the existing tables",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.create_db and ensure_database(args.dsn):
        _log("database_created")
    if args.no_seed:
        if args.replica_identity is None:
            _log("error", message="--no-seed needs --replica-identity")
            return 2
        set_replica_identity(args.dsn, args.replica_identity)
        _log("replica_identity_set", mode=args.replica_identity)
        return 0
    summary = seed(
        args.dsn,
        scale=args.scale,
        pricelists=args.pricelists,
        rng_seed=args.seed,
        as_of=args.as_of,
        replica_identity=args.replica_identity,
        progress=_progress,
        odoo_version=args.odoo_version,
    )
    _log("seeded", **summary.as_dict())
    return 0


if __name__ == "__main__":
    sys.exit(main())
