"""``atraxion lag`` without a broker: options, which broker flavor, the table."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest
from rich.console import Console

from core.settings import Settings
from deploy.cli import build_parser
from deploy.commands import lag
from streams.kafka.group_lag import report

NOW = 1_800_000_000_000


def test_options(tmp_path: Path) -> None:
    args = build_parser(Settings(state_dir=tmp_path)).parse_args(
        ["lag", "--group", "a", "--group", "b", "--watch", "--json", "--interval", "5"]
    )
    assert (args.group, args.watch, args.json, args.interval) == (["a", "b"], True, True, 5.0)
    assert args.run is lag.run


def test_flavor_option_first_then_explicit_setting_then_local_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def flavor(option: str | None, settings: Settings) -> str:
        return lag.broker_flavor(argparse.Namespace(broker_flavor=option), settings)

    plain = Settings(state_dir=tmp_path)
    assert flavor(None, plain) == "kafka"  # no stack runs from tmp_path
    assert flavor("tansu", plain) == "tansu"
    monkeypatch.setattr(lag, "local_stack_runs", lambda settings: True)
    assert flavor(None, plain) == "tansu"
    assert flavor(None, Settings(state_dir=tmp_path, broker_flavor="kafka")) == "kafka"
    assert flavor("kafka", plain) == "kafka"


def test_table_shows_groups_and_partitions() -> None:
    committed = {"atraxion-streams": {("odoo.public.res_partner", 0): 40}, "idle": {}}
    ends = {("odoo.public.res_partner", 0): 52}
    stamps = {("odoo.public.res_partner", 0, 40): NOW - 2_000}
    table = lag.lag_table(report(committed, ends, stamps, NOW), Settings())
    out = io.StringIO()
    Console(file=out, width=140).print(table)
    text = out.getvalue()
    assert "atraxion-streams" in text and "odoo.public.res_partner" in text
    assert "12" in text and "2.000" in text
    assert "(no committed offsets)" in text


def test_bad_interval_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser(Settings()).parse_args(["lag", "--interval", "0"])
    assert lag.run(args, Settings()) == 2
    assert "--interval" in capsys.readouterr().err


def test_watch_into_a_pipe_prints_every_measurement_until_ctrl_c(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    measured = report({"g": {("atraxion.products", 0): 1}}, {("atraxion.products", 0): 4}, {}, NOW)

    class Probe:
        calls = 0

        def measure(self, groups: object, timeout: float):  # type: ignore[no-untyped-def]
            Probe.calls += 1
            if Probe.calls == 2:
                raise TimeoutError("no answer from the broker within 1 s")
            if Probe.calls == 4:
                raise KeyboardInterrupt
            return measured

    monkeypatch.setattr(lag.time, "sleep", lambda s: None)
    args = build_parser(Settings()).parse_args(["lag", "--watch"])
    console = Console(file=io.StringIO(), width=120, force_terminal=False)
    assert lag._watch(Probe(), args, Settings(), console) == 0  # type: ignore[arg-type]
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert text.count("Consumer lag at") == 2
    assert "the broker did not answer: no answer from the broker within 1 s" in text
