"""``atraxion dead-letters``: help for every action, times as ISO 8601 or durations ago, bad
input refused before anything is read, the embedded broker recognised from stack.json."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.settings import Settings
from deploy.cli import main
from deploy.commands.dead_letters import effective_settings, parse_when

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("action", [[], ["list"], ["show"], ["redrive"], ["purge"]])
def test_every_action_has_help(action: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["dead-letters", *action, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "usage:" in text.lower() and "None" not in text


def test_times_are_iso_or_a_duration_ago() -> None:
    assert parse_when("2h", NOW) == NOW - timedelta(hours=2)
    assert parse_when("2026-11-27T09:00Z", NOW) == datetime(2026, 11, 27, 9, tzinfo=UTC)
    assert parse_when("2026-11-27T09:00", NOW) == datetime(2026, 11, 27, 9, tzinfo=UTC)
    with pytest.raises(ValueError, match="not a time"):
        parse_when("yesterday", NOW)


@pytest.mark.parametrize(
    "args",
    [
        ["redrive"],  # neither ids nor --all
        ["purge", "--all", "x"],  # both
        ["list", "--since", "yesterday"],
        ["list", "--since", "1h", "--until", "2h"],  # until before since
    ],
)
def test_bad_input_exits_2_before_reading_anything(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["dead-letters", *args])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.startswith("atraxion dead-letters")


def test_the_embedded_broker_is_recognised_from_stack_json(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, kafka_bootstrap="127.0.0.1:1")
    assert effective_settings(settings).broker_flavor == "kafka"  # no stack.json
    settings.stack_file.write_text(json.dumps({"kafka_bootstrap": "127.0.0.1:1"}))
    assert effective_settings(settings).broker_flavor == "tansu"
    other = settings.model_copy(update={"kafka_bootstrap": "kafka:9092"})
    assert effective_settings(other).broker_flavor == "kafka"
