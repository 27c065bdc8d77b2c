"""Fault injection of the Odoo stand-in (deploy/odoo_standin/faults.py): which fault a draw
picks, latency, which methods are eligible, seeded determinism, checked settings."""

from __future__ import annotations

import pydantic
import pytest

from core.settings import Settings
from deploy.odoo_standin.faults import NO_FAULT, FaultInjector, FaultPlan, FaultSettings, decide

MIXED = FaultSettings(
    unavailable_rate=0.1,
    serialization_failure_rate=0.2,
    drop_rate=0.3,
    drop_after_commit_rate=0.1,
)


@pytest.mark.parametrize(
    ("draw", "kind"),
    [
        (0.0, "unavailable"),
        (0.0999, "unavailable"),
        (0.1001, "serialization_failure"),
        (0.2999, "serialization_failure"),
        (0.3001, "drop"),
        (0.5999, "drop"),
        (0.6001, "drop_after_commit"),
        (0.6999, "drop_after_commit"),
        (0.7001, None),
        (0.9999, None),
    ],
)
def test_a_draw_picks_the_fault_by_cumulative_rates(draw: float, kind: str | None) -> None:
    assert decide(MIXED, draw, 0.0).kind == kind


def test_latency_and_jitter() -> None:
    settings = FaultSettings(latency_ms=200, latency_jitter_ms=100)
    assert decide(settings, 0.5, 0.0) == FaultPlan(None, 0.2)
    assert decide(settings, 0.5, 0.5) == FaultPlan(None, 0.25)


def test_defaults_are_all_off() -> None:
    injector = FaultInjector(FaultSettings.from_settings(Settings()))
    assert not injector.active
    assert injector.next("create") is NO_FAULT


def test_only_the_chosen_methods_meet_faults() -> None:
    injector = FaultInjector(FaultSettings(drop_rate=1.0, methods=frozenset({"create"})))
    assert injector.next("search").kind is None
    assert injector.next("create").kind == "drop"


def test_the_same_seed_gives_the_same_faults() -> None:
    def plans(seed: int) -> list[FaultPlan]:
        injector = FaultInjector(MIXED.model_copy(update={"seed": seed, "latency_jitter_ms": 50}))
        return [injector.next("create") for _ in range(50)]

    assert plans(7) == plans(7)
    assert plans(7) != plans(8)
    kinds = {plan.kind for plan in plans(7)}
    assert kinds == {None, "unavailable", "serialization_failure", "drop", "drop_after_commit"}


def test_settings_are_checked() -> None:
    with pytest.raises(pydantic.ValidationError, match="more than 1"):
        FaultSettings(unavailable_rate=0.6, drop_rate=0.6)
    with pytest.raises(pydantic.ValidationError):
        FaultSettings(drop_rate=-0.1)
    with pytest.raises(pydantic.ValidationError):
        FaultSettings(latency_ms=-1)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATRAXION_ODOO_STANDIN_DROP_AFTER_COMMIT_RATE", "0.25")
    monkeypatch.setenv("ATRAXION_ODOO_STANDIN_FAULT_METHODS", '["create", "action_confirm"]')
    monkeypatch.setenv("ATRAXION_ODOO_STANDIN_FAULT_SEED", "3")
    settings = FaultSettings.from_settings(Settings())
    assert settings.drop_after_commit_rate == 0.25
    assert settings.methods == {"create", "action_confirm"}
    assert settings.seed == 3
    # What the stack hands a child process comes back the same.
    env = Settings().as_env()
    assert env["ATRAXION_ODOO_STANDIN_FAULT_METHODS"] == '["create", "action_confirm"]'
    assert env["ATRAXION_ODOO_STANDIN_PORT"] == "58069"
