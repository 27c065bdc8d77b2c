"""The Prometheus series that the stack's processes record themselves (README "Metrics").

Every process of the stack (the faust worker, the materializer, the order sink, Debezium's
connect worker, the API) updates these in its own memory and, in prometheus-client's
multiprocess mode, in files of the folder ``PROMETHEUS_MULTIPROC_DIR`` names: one file per
process and metric kind (``counter_<pid>.db``, ``gauge_livemostrecent_<pid>.db`` ...). The API's
``GET /metrics`` (api/metrics.py) reads every file of that folder at scrape time and adds up the
processes' counters and histograms, so a processor's series reach Prometheus without that
processor serving HTTP. Without the variable (unit tests, a process on its own) the series are
ordinary in-memory ones of the default registry.

prometheus-client picks the multiprocess value class when it is first imported, from the
environment: the variable must be set before a process starts (``atraxion up`` sets it for
every child, docker-compose.yml in ``x-app-env``), never changed afterwards.

Dead processes: their counter and histogram files stay, so totals never go down when a process
is restarted (a restarted process counts from 0 in a new file; the sum goes on). Their gauges
(``livemostrecent``: the value of a process still running) are removed by ``mark_dead`` (the
supervisor calls it when it starts a child again) so a dead process's last reading does not
linger.

Names follow ``atraxion_<what>_<unit>``; labels are bounded sets (processor and sink names,
route templates, entity names), never record keys or free text.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram, values

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# The files are named after the process: host and pid, since containers sharing the folder
# (docker-compose.yml) each have their own pid namespace (every one's first process is pid 1).
# The file name's parts are split at "_", so the host name has none.
HOST = socket.gethostname().replace("_", "-")


def process_identifier(pid: int | None = None) -> str:
    """``<host>-<pid>``: the name part of this (or ``pid``'s) multiprocess files."""
    return f"{HOST}-{os.getpid() if pid is None else pid}"


def multiproc_dir() -> Path | None:
    """The multiprocess folder of this process (``PROMETHEUS_MULTIPROC_DIR``), or None."""
    value = os.environ.get(MULTIPROC_ENV) or os.environ.get(MULTIPROC_ENV.lower())
    return Path(value) if value else None


if multiproc_dir() is not None:
    # Before any metric below is created: each takes its value class when constructed.
    values.ValueClass = values.MultiProcessValue(process_identifier)

# -- processors: the faust agents, the materializer's sinks, the order sink ------------------

EVENTS_IN = Counter(
    "atraxion_events_in",
    "Events a processor read from its input topics (each counted once it is handled: "
    "its effects done or dead-lettered).",
    ["processor"],
)
EVENTS_OUT = Counter(
    "atraxion_events_out",
    "Records a processor produced to its output topics (dead letters not included) or, for "
    "the materializer's sinks, records written to the read model.",
    ["processor"],
)
DEAD_LETTERS = Counter(
    "atraxion_events_dead_lettered",
    "Events a processor sent to its dead-letter topic, counted by the processor as it sends "
    "them (the letters on the topics, with reasons: atraxion_dead_letters_total).",
    ["processor"],
)

# -- sinks: the materializer's transactions, the order sink's fetches ------------------------

BATCH_RECORDS_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
SINK_BATCH_RECORDS = Histogram(
    "atraxion_sink_batch_records",
    "Records per batch: one read-model transaction of the materializer, one fetch of the "
    "order sink.",
    ["sink"],
    buckets=BATCH_RECORDS_BUCKETS,
)
SINK_BATCH_SECONDS = Histogram(
    "atraxion_sink_batch_seconds",
    "Time to process one batch: decode, write in one transaction, dead letters, commit.",
    ["sink"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

# -- API -------------------------------------------------------------------------------------

API_REQUEST_SECONDS = Histogram(
    "atraxion_api_request_duration_seconds",
    "API requests by method, route template (/api/v1/products/{odoo_id}, not the raw path; "
    "<unmatched> for no route) and response status, from the request to the response's end.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# -- Debezium's own progress (read from its JMX MBeans in the connect worker) ----------------
# Gauges of a running process only, the latest reading: a dead connect worker's values go.

DEBEZIUM_SNAPSHOT_RUNNING = Gauge(
    "atraxion_debezium_snapshot_running",
    "1 while Debezium's snapshot runs (SnapshotRunning), else 0.",
    ["server"],
    multiprocess_mode="livemostrecent",
)
DEBEZIUM_SNAPSHOT_COMPLETED = Gauge(
    "atraxion_debezium_snapshot_completed",
    "1 once Debezium's snapshot has completed (SnapshotCompleted), else 0.",
    ["server"],
    multiprocess_mode="livemostrecent",
)
DEBEZIUM_SNAPSHOT_ROWS = Gauge(
    "atraxion_debezium_snapshot_rows",
    "Rows the current or last snapshot has read (the snapshot's TotalNumberOfEventsSeen).",
    ["server"],
    multiprocess_mode="livemostrecent",
)
DEBEZIUM_SNAPSHOT_REMAINING_TABLES = Gauge(
    "atraxion_debezium_snapshot_remaining_tables",
    "Tables the snapshot has still to read (RemainingTableCount).",
    ["server"],
    multiprocess_mode="livemostrecent",
)
DEBEZIUM_EVENTS_SEEN = Gauge(
    "atraxion_debezium_events_seen_records",
    "Change events Debezium has seen since its task started (TotalNumberOfEventsSeen), "
    "per context: snapshot or streaming.",
    ["server", "context"],
    multiprocess_mode="livemostrecent",
)
DEBEZIUM_LAST_EVENT_AGE = Gauge(
    "atraxion_debezium_last_event_age_seconds",
    "Seconds since Debezium saw its last event (MilliSecondsSinceLastEvent / 1000) per "
    "context, at the last reading; absent before the first event.",
    ["server", "context"],
    multiprocess_mode="livemostrecent",
)
DEBEZIUM_STREAMING_CONNECTED = Gauge(
    "atraxion_debezium_streaming_connected",
    "1 while Debezium is connected to the database's replication stream (Connected).",
    ["server"],
    multiprocess_mode="livemostrecent",
)

# Every series name this module defines, as /metrics shows them (counters with _total).
SERIES: tuple[str, ...] = (
    "atraxion_events_in_total",
    "atraxion_events_out_total",
    "atraxion_events_dead_lettered_total",
    "atraxion_sink_batch_records",
    "atraxion_sink_batch_seconds",
    "atraxion_api_request_duration_seconds",
    "atraxion_debezium_snapshot_running",
    "atraxion_debezium_snapshot_completed",
    "atraxion_debezium_snapshot_rows",
    "atraxion_debezium_snapshot_remaining_tables",
    "atraxion_debezium_events_seen_records",
    "atraxion_debezium_last_event_age_seconds",
    "atraxion_debezium_streaming_connected",
)


def fresh_multiproc_dir(path: Path) -> Path:
    """Create ``path`` or empty it of series files: a new stack's processes must not add to
    the counters of an earlier run's processes, whose pids may even be reused."""
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.db"):
        old.unlink()
    return path


def mark_dead(pid: int, path: Path) -> None:
    """Forget the live gauges of the process ``pid`` of this host (exited or killed) in
    ``path``; its counters and histograms stay, so totals do not drop."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(process_identifier(pid), str(path))
