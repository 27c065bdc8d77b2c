"""The monitoring files of docker-compose.yml (deploy/prometheus, deploy/grafana): they parse,
and every series the dashboard and the JMX rules name is one that the code serves."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import REGISTRY

import core.metrics
from api.metrics import COLLECTORS
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "atraxion.json"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
JMX_RULES = ROOT / "deploy" / "prometheus" / "debezium-jmx.yml"
COMPOSE = ROOT / "docker-compose.yml"

# Series of scrape-time collectors written for other concerns of issue 11, registered in
# api/metrics.py COLLECTORS at merge (name -> collector). Once a collector is in COLLECTORS
# its names come from its describe() and its entries here go.
OTHER_CONCERNS = {
    # DeadLetterCollector has no describe(): this entry stays after the merge.
    "atraxion_dead_letters_open": "DeadLetterCollector (api/dead_letters.py)",
}
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gauge": ("",),
}


def _exposed(family_name: str, kind: str) -> set[str]:
    return {family_name + suffix for suffix in SUFFIXES.get(kind, ("",))}


def served_names() -> set[str]:
    """Every sample name /metrics can show: core/metrics.py's series, and the families each
    collector of COLLECTORS describes."""
    names: set[str] = set()
    for family in REGISTRY.collect():
        if family.name.startswith("atraxion_"):
            names |= _exposed(family.name, family.type)
    for make in COLLECTORS:
        collector: Any = make(Settings())
        # A collector without describe() can only tell its names by collecting (I/O): its
        # names stay in OTHER_CONCERNS.
        for family in getattr(collector, "describe", list)():
            names |= _exposed(family.name, family.type)
    return names


def dashboard_exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def test_core_series_are_all_registered() -> None:
    assert core.metrics.SERIES  # imported: its metrics are in the default registry
    names = served_names()
    for series in core.metrics.SERIES:
        assert series in names or f"{series}_count" in names, series


def test_dashboard_names_only_served_series() -> None:
    known = served_names() | set(OTHER_CONCERNS)
    exprs = dashboard_exprs()
    assert len(exprs) >= 15
    used = {name for expr in exprs for name in re.findall(r"\batraxion_[a-z0-9_]+", expr)}
    histograms = {n.removesuffix("_bucket") for n in used if n.endswith("_bucket")}
    unknown = sorted(n for n in used if n not in known and n.removesuffix("_bucket") not in known)
    assert unknown == []
    # What the issue asks the dashboard for is all there.
    for wanted in (
        "atraxion_consumer_lag_records",
        "atraxion_consumer_lag_seconds",
        "atraxion_freshness_seconds_bucket",
        "atraxion_events_in_total",
        "atraxion_events_out_total",
        "atraxion_events_dead_lettered_total",
        "atraxion_sink_batch_records_sum",
        "atraxion_sink_batch_seconds_bucket",
        "atraxion_api_request_duration_seconds_bucket",
        "atraxion_feed_pending_records",
        "atraxion_debezium_snapshot_running",
        "atraxion_debezium_snapshot_rows",
        "atraxion_debezium_last_event_age_seconds",
    ):
        assert wanted in used, wanted
    assert "atraxion_api_request_duration_seconds" in histograms


def test_dashboard_uses_the_provisioned_datasource() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    datasources = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text()
    )
    uid = datasources["datasources"][0]["uid"]
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == uid, panel["title"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_jmx_rules_name_core_series() -> None:
    rules = yaml.safe_load(JMX_RULES.read_text())["rules"]
    names = {rule["name"] for rule in rules}
    assert names <= set(core.metrics.SERIES)
    assert {
        "atraxion_debezium_snapshot_running",
        "atraxion_debezium_snapshot_rows",
        "atraxion_debezium_last_event_age_seconds",
    } <= names
    for rule in rules:
        re.compile(rule["pattern"])


def test_prometheus_scrapes_the_api_with_a_token() -> None:
    config = yaml.safe_load(PROMETHEUS.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    api = jobs["atraxion"]
    assert api["metrics_path"] == "/metrics"
    assert api["static_configs"][0]["targets"] == ["api:8000"]
    assert api["authorization"]["credentials_file"].startswith("/etc/prometheus/secrets/")


def test_compose_runs_the_monitoring_services() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert {"prometheus", "grafana", "kafka-ui", "metrics-token"} <= set(services)
    mounts = " ".join(services["grafana"]["volumes"])
    assert "./deploy/grafana/provisioning:" in mounts and "./deploy/grafana/dashboards:" in mounts
    token_file = yaml.safe_load(PROMETHEUS.read_text())["scrape_configs"][0]["authorization"]
    secrets_mount = next(v for v in services["prometheus"]["volumes"] if "secrets" in v)
    assert token_file["credentials_file"].startswith(secrets_mount.split(":")[1])
    # Every app process shares the multiprocess folder with the API.
    for name in ("streams", "materializer", "api"):
        service = services[name]
        assert service["environment"]["PROMETHEUS_MULTIPROC_DIR"] == "/app/.atraxion/metrics"
        assert any(v.startswith("atraxion-metrics:") for v in service["volumes"])
