"""``python -m streams.sinks``: the materializer, every read-model sink in one process: the
feed sinks of ``ENTITIES`` and the record sinks of ``COMPUTED``, one consumer, one
transaction per batch (runner.py)."""

from core.logs import configure_logging
from core.settings import get_settings
from readmodel.migrate import migrate
from schemas.entities import COMPUTED, ENTITIES
from streams.kafka.liveness import Watchdog
from streams.sinks.feeds import feed_sink
from streams.sinks.records import record_sink
from streams.sinks.runner import SinkRunner

if __name__ == "__main__":
    configure_logging("materializer")
    settings = get_settings()
    migrate(settings.readmodel_dsn)
    group = settings.materializer_group
    sinks = [*(feed_sink(e) for e in ENTITIES), *(record_sink(c) for c in COMPUTED)]
    runner = SinkRunner(sinks, settings, group, settings.readmodel_dsn)
    Watchdog("materializer", settings, group, runner.topics).start()
    runner.run()
