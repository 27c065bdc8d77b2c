"""Structured logs for every process: one JSON object per line on stderr (or console lines
when ``ATRAXION_LOG_JSON=false``). Standard-library loggers (faust, uvicorn, kafka clients) go
through the same renderer, tagged with the process's component name.

Every event, ours or a library's, passes ``redact`` last before rendering, tracebacks
included: a connection string's password never reaches a log file or a terminal
(core/dsn.py).

The supervisor (``atraxion up``) also writes JSON lines to a file of its own and may show a
person only warnings and errors, as readable lines (``configure_logging``'s ``log_file``,
``console`` and ``console_level``).
"""

from __future__ import annotations

import logging
import logging.config
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import structlog
from structlog.typing import EventDict

from core.dsn import redact_text
from core.settings import get_settings

# "structured": what every process writes on stderr (JSON, or key=value lines when
# ATRAXION_LOG_JSON=false); "json": JSON lines whatever the settings; "readable": short lines
# for a person at a terminal; None: nothing on the terminal.
Console = Literal["structured", "json", "readable"] | None


def redact(_logger: object, _name: str, event: EventDict) -> EventDict:
    """Every connection-string password in the event's values replaced by ``***``: strings,
    nested containers, and objects whose text shows one (an exception given as a value)."""
    return {key: _redacted(value) for key, value in event.items()}


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redacted(v) for v in value]
    text = str(value)
    cleaned = redact_text(text)
    # Left as it is unless it hides a secret: renderers show other objects their own way.
    return value if cleaned == text else cleaned


def _shared(component: str) -> list[Any]:
    def add_component(_logger: object, _name: str, event: EventDict) -> EventDict:
        event.setdefault("component", component)
        return event

    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_component,
    ]


def _for_a_person(_logger: object, _name: str, event: EventDict) -> EventDict:
    # A person at a terminal reads their own clock (the files keep UTC ISO times) and knows
    # which process they started.
    event.pop("component", None)
    stamp = event.get("timestamp")
    if isinstance(stamp, str):
        event["timestamp"] = datetime.fromisoformat(stamp).astimezone().strftime("%H:%M:%S")
    return event


def _formatter(component: str, renderer: Any, *extra: Any) -> dict[str, Any]:
    return {
        "()": structlog.stdlib.ProcessorFormatter,
        "foreign_pre_chain": _shared(component),
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact,  # after the traceback is text, so that it is redacted too
            *extra,
            renderer,
        ],
    }


class _Except(logging.Filter):
    """Drops the records of the loggers ``names`` (and their children)."""

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = tuple(names)

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(record.name == n or record.name.startswith(n + ".") for n in self.names)


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record comes: a terminal display (rich's
    live progress) replaces it for a while to print lines above its bars. Only for the
    readable console: faust points ``sys.stderr`` at a logger, which would loop."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def logging_dict(
    component: str,
    *,
    log_file: Path | None = None,
    console: Console = "structured",
    console_level: str | None = None,
    console_skip: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` mapping (faust takes it as ``logging_config``): the
    ``console`` form on stderr from ``console_level`` (default: the settings' level) up,
    except the loggers in ``console_skip`` (whose events the caller shows its own way), and
    JSON lines in ``log_file`` when given."""
    settings = get_settings()
    level = settings.log_level.upper()
    structured = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatters: dict[str, Any] = {
        "structured": _formatter(component, structured),
        "json": _formatter(component, structlog.processors.JSONRenderer()),
        "readable": _formatter(
            component,
            structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(), pad_event_to=24),
            _for_a_person,
        ),
    }
    handlers: dict[str, Any] = {}
    if console in ("structured", "json"):
        handlers["console"] = {
            "class": "logging.StreamHandler",
            "formatter": console,
            "stream": "ext://sys.stderr",
        }
    elif console == "readable":
        handlers["console"] = {"()": _CurrentStderr, "formatter": "readable"}
    if console is not None:
        if console_level is not None:
            handlers["console"]["level"] = console_level.upper()
        if console_skip:
            handlers["console"]["filters"] = ["skip"]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers["file"] = {
            "class": "logging.FileHandler",
            "filename": str(log_file),
            "encoding": "utf-8",
            "formatter": "json",
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": formatters,
        "filters": {"skip": {"()": _Except, "names": list(console_skip)}},
        "handlers": handlers,
        "root": {"handlers": list(handlers), "level": level},
    }


def configure_logging(
    component: str,
    *,
    log_file: Path | None = None,
    console: Console = "structured",
    console_level: str | None = None,
    console_skip: tuple[str, ...] = (),
) -> None:
    """structlog and the standard library's loggers for this process (see ``logging_dict``)."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared(component),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    logging.config.dictConfig(
        logging_dict(
            component,
            log_file=log_file,
            console=console,
            console_level=console_level,
            console_skip=console_skip,
        )
    )
