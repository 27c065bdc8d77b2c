"""Structured logs for every process: one JSON object per line on stderr (or console lines
when ``ATRAXION_LOG_JSON=false``). Standard-library loggers (faust, uvicorn, kafka clients) go
through the same renderer, tagged with the process's component name."""

from __future__ import annotations

import logging.config
from typing import Any

import structlog

from core.settings import get_settings


def _shared(component: str) -> list[Any]:
    def add_component(_logger: object, _name: str, event: dict[str, Any]) -> dict[str, Any]:
        event.setdefault("component", component)
        return event

    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_component,
    ]


def logging_dict(component: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` mapping (faust takes it as ``logging_config``)."""
    settings = get_settings()
    renderer = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": _shared(component),
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    renderer,
                ],
            }
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "structured",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": settings.log_level.upper()},
    }


def configure_logging(component: str) -> None:
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
    logging.config.dictConfig(logging_dict(component))
