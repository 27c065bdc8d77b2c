"""Debezium's own progress as Prometheus gauges, read in the connect worker's JVM.

Debezium registers JMX MBeans in the JVM's platform MBean server
(``debezium.postgres:type=connector-metrics,context=snapshot|streaming,server=<topic.prefix>``,
with a ``task=`` key on some versions). The connect worker runs that JVM in-process through
JPype, so ``DebeziumMetrics`` reads those MBeans directly (no JMX port, no agent) every
``metrics_debezium_interval_s`` in a daemon thread and sets the gauges of core/metrics.py,
which reach ``GET /metrics`` through the multiprocess folder. What each gauge takes:

  snapshot context   SnapshotRunning -> atraxion_debezium_snapshot_running
                     SnapshotCompleted -> atraxion_debezium_snapshot_completed
                     TotalNumberOfEventsSeen -> atraxion_debezium_snapshot_rows and
                       atraxion_debezium_events_seen_records{context="snapshot"}
                     RemainingTableCount -> atraxion_debezium_snapshot_remaining_tables
  streaming context  Connected -> atraxion_debezium_streaming_connected
                     TotalNumberOfEventsSeen -> ..._events_seen_records{context="streaming"}
  both               MilliSecondsSinceLastEvent / 1000 -> atraxion_debezium_last_event_age_seconds
                       (Debezium says -1 before the first event: the series is left out then)

Production runs Debezium in the ``quay.io/debezium/connect`` image instead: its JMX exporter
agent publishes the same MBeans under the same names with deploy/prometheus/debezium-jmx.yml
(README "Metrics").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import Gauge

from core.metrics import (
    DEBEZIUM_EVENTS_SEEN,
    DEBEZIUM_LAST_EVENT_AGE,
    DEBEZIUM_SNAPSHOT_COMPLETED,
    DEBEZIUM_SNAPSHOT_REMAINING_TABLES,
    DEBEZIUM_SNAPSHOT_ROWS,
    DEBEZIUM_SNAPSHOT_RUNNING,
    DEBEZIUM_STREAMING_CONNECTED,
)

PATTERN = "debezium.*:type=connector-metrics,*"
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "snapshot": (
        "SnapshotRunning",
        "SnapshotCompleted",
        "TotalNumberOfEventsSeen",
        "RemainingTableCount",
        "MilliSecondsSinceLastEvent",
    ),
    "streaming": ("Connected", "TotalNumberOfEventsSeen", "MilliSecondsSinceLastEvent"),
}


@dataclass(frozen=True)
class Reading:
    """One gauge value to set."""

    gauge: Gauge
    labels: tuple[str, ...]
    value: float


def readings(server: str, context: str, attributes: Mapping[str, Any]) -> list[Reading]:
    """The gauge values of one MBean's ``attributes`` (name -> Python value; missing ones
    are skipped). Pure: unit-tested without a JVM."""
    out: list[Reading] = []

    def put(gauge: Gauge, labels: tuple[str, ...], attribute: str, scale: float = 1.0) -> None:
        value = attributes.get(attribute)
        if value is not None:
            out.append(Reading(gauge, labels, float(value) * scale))

    seen = attributes.get("TotalNumberOfEventsSeen")
    if seen is not None:
        out.append(Reading(DEBEZIUM_EVENTS_SEEN, (server, context), float(seen)))
    since = attributes.get("MilliSecondsSinceLastEvent")
    if since is not None and since >= 0:
        out.append(Reading(DEBEZIUM_LAST_EVENT_AGE, (server, context), since / 1000))
    if context == "snapshot":
        put(DEBEZIUM_SNAPSHOT_RUNNING, (server,), "SnapshotRunning")
        put(DEBEZIUM_SNAPSHOT_COMPLETED, (server,), "SnapshotCompleted")
        put(DEBEZIUM_SNAPSHOT_ROWS, (server,), "TotalNumberOfEventsSeen")
        put(DEBEZIUM_SNAPSHOT_REMAINING_TABLES, (server,), "RemainingTableCount")
    elif context == "streaming":
        put(DEBEZIUM_STREAMING_CONNECTED, (server,), "Connected")
    return out


def apply(found: list[Reading]) -> None:
    for reading in found:
        reading.gauge.labels(*reading.labels).set(reading.value)


def _python(value: Any) -> Any:
    """A JMX attribute value as a Python number (JPype's Java boxes, booleans as 0/1: JPype
    renders a java.lang.Boolean as "True"/"False")."""
    if value is None:
        return None
    text = str(value).lower()
    if text in ("true", "false"):
        return 1 if text == "true" else 0
    try:
        return float(text)
    except ValueError:
        return None


def read_mbeans() -> list[Reading]:
    """Every Debezium connector-metrics MBean of this JVM, as gauge readings (needs a started
    JVM; JPype attaches the calling thread)."""
    from jpype import JClass, JString

    factory = JClass("java.lang.management.ManagementFactory")
    object_name = JClass("javax.management.ObjectName")
    server = factory.getPlatformMBeanServer()
    out: list[Reading] = []
    for name in server.queryNames(object_name(PATTERN), None):
        context = str(name.getKeyProperty("context"))
        wanted = ATTRIBUTES.get(context)
        if wanted is None:
            continue
        names = JClass("java.lang.String")[:]([JString(a) for a in wanted])
        values = {
            str(attribute.getName()): _python(attribute.getValue())
            for attribute in server.getAttributes(name, names).asList()
        }
        out += readings(str(name.getKeyProperty("server")), context, values)
    return out


class DebeziumMetrics:
    """A daemon thread that publishes ``read_mbeans()`` every ``interval_s`` until stopped.
    A failing read is reported once through ``report`` (and again after a success), never
    raised: metrics must not stop the capture."""

    def __init__(
        self,
        interval_s: float,
        report: Callable[..., None],
        read: Callable[[], list[Reading]] = read_mbeans,
    ) -> None:
        self.interval_s = interval_s
        self.report = report
        self.read = read
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="debezium-metrics", daemon=True)
        self._failing = False
        self._reading = False

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def poll(self) -> None:
        try:
            found = self.read()
        except Exception as exc:  # a JVM error or an MBean going away mid-read
            if not self._failing:
                self.report("debezium_metrics.failed", error=str(exc))
            self._failing = True
            return
        self._failing = False
        apply(found)
        if found and not self._reading:  # once: the MBeans are there (Debezium started)
            self._reading = True
            self.report("debezium_metrics.reading", gauges=len(found))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            self._stop.wait(self.interval_s)
