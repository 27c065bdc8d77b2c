"""No connection-string password in any log line: structlog's events, standard-library
records, tracebacks, the file and the terminal alike (core/logs.py)."""

from __future__ import annotations

import json
import logging
import logging.config
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from core.logs import configure_logging, redact

SECRET = "s3cr3t-pw"
URL = f"postgresql://odoo:{SECRET}@db.example:5432/odoo"
KEYWORDS = f"host=db.example dbname=odoo user=odoo password={SECRET}"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    yield
    structlog.reset_defaults()
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
    logging.captureWarnings(False)


def test_redact_walks_every_value() -> None:
    event = redact(
        None,
        "info",
        {
            "event": f"connecting to {URL}",
            "dsns": [URL, KEYWORDS],
            "nested": {"odoo": {"dsn": URL}},
            "error": RuntimeError(f"cannot connect: {URL}"),
            "count": 3,
            "ok": True,
        },
    )
    assert SECRET not in repr(event)
    assert event["event"] == "connecting to postgresql://odoo:***@db.example:5432/odoo"
    assert event["dsns"][1].endswith("password=***")
    assert event["count"] == 3 and event["ok"] is True


def test_log_file_and_terminal_never_show_a_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    log_file = tmp_path / "logs" / "supervisor.log"
    configure_logging("supervisor", log_file=log_file, console="readable", console_level="WARNING")
    log = structlog.get_logger("atraxion")
    log.info("stack.starting", odoo_dsn=URL)
    log.warning("process.restarting", detail=f"connect failed for {KEYWORDS}")
    try:
        raise ConnectionError(f"could not reach {URL}")
    except ConnectionError:
        log.exception("stack.failed")
    logging.getLogger("psycopg").error("connection %s refused", URL)

    written = log_file.read_text()
    records = [json.loads(line) for line in written.splitlines()]
    assert [r["event"] for r in records][:3] == [
        "stack.starting",
        "process.restarting",
        "stack.failed",
    ]
    assert "ConnectionError: could not reach postgresql://odoo:***@" in records[2]["exception"]
    assert records[3]["event"] == "connection postgresql://odoo:***@db.example:5432/odoo refused"
    terminal = capsys.readouterr().err
    assert "process.restarting" in terminal and "stack.starting" not in terminal  # INFO: file
    assert "Traceback" in terminal
    assert SECRET not in written and SECRET not in terminal


def test_children_keep_json_on_stderr(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging("streams")
    structlog.get_logger("streams").info("worker.ready", dsn=URL)
    record = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert record["component"] == "streams" and record["dsn"].endswith("***@db.example:5432/odoo")
