"""``python -m streams.sinks``: the materializer, every read-model sink in one process."""

from core.logs import configure_logging
from core.settings import get_settings
from readmodel.migrate import migrate
from schemas.entities import ENTITIES
from streams.kafka.liveness import Watchdog
from streams.sinks.feeds import feed_sink
from streams.sinks.runner import SinkRunner

if __name__ == "__main__":
    configure_logging("materializer")
    settings = get_settings()
    migrate(settings.readmodel_dsn)
    group = settings.materializer_group
    runner = SinkRunner([feed_sink(e) for e in ENTITIES], settings, group, settings.readmodel_dsn)
    Watchdog("materializer", settings, group, runner.topics).start()
    runner.run()
