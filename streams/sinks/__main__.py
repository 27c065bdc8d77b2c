"""``python -m streams.sinks``: the materializer, every read-model sink in one process: the
feed sinks of ``ENTITIES``, the record sinks of ``COMPUTED``, the external-id sink (of
Debezium's raw ir_model_data topic) and the webshop-order status sink (of the order sink's
results), one consumer, one transaction per batch (runner.py)."""

from core.logs import configure_logging
from core.settings import get_settings
from readmodel.migrate import migrate
from schemas.entities import COMPUTED, ENTITIES, EXTERNAL_IDS
from streams.kafka.liveness import Watchdog
from streams.sinks.external_ids import external_id_sink
from streams.sinks.feeds import feed_sink
from streams.sinks.freshness import feed_freshness, record_freshness
from streams.sinks.order_status import order_status_sink
from streams.sinks.records import record_sink
from streams.sinks.replay_jobs import ReplayJobs
from streams.sinks.resync_notifications import resync_sink
from streams.sinks.runner import SinkRunner

if __name__ == "__main__":
    configure_logging("materializer")
    settings = get_settings()
    migrate(settings.readmodel_dsn)
    group = settings.materializer_group
    # Each entity's sink also records its freshness (README "Lag and freshness").
    sinks = [
        *(feed_freshness(e, feed_sink(e, settings)) for e in ENTITIES),
        *(record_freshness(c, record_sink(c)) for c in COMPUTED),
    ]
    sinks.append(external_id_sink(EXTERNAL_IDS, settings))
    sinks.append(order_status_sink())
    sinks.append(resync_sink(settings))  # Debezium's notifications -> ops_resync
    runner = SinkRunner(sinks, settings, group, settings.readmodel_dsn)
    ReplayJobs(settings).start()  # the replays the API queued (ops_replay)
    Watchdog("materializer", settings, group, runner.topics).start()
    runner.run()
