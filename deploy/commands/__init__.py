"""The CLI's commands beyond ``up``, ``preflight`` and ``token`` (deploy/cli.py), one module
each: ``register(commands, settings)`` adds the command's parser, ``run`` does it."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from rich_argparse import RichHelpFormatter


def command(
    commands: Any, name: str, help: str, run: Callable[..., int]
) -> argparse.ArgumentParser:
    """Add the subcommand ``name`` whose ``run(args, settings)`` gives the exit code."""
    sub = commands.add_parser(
        name,
        help=help,
        description=help[0].upper() + help[1:] + ".",
        formatter_class=RichHelpFormatter,
    )
    sub.set_defaults(run=run)
    return sub
