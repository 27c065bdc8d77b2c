"""``python -m streams.sinks``: run the view materializer (every read-model sink)."""

from api.readmodel.migrate import migrate
from deploy.logs import configure_logging
from deploy.settings import get_settings
from streams.kafka.liveness import Watchdog
from streams.sinks.products_view import products_view
from streams.sinks.runner import SinkRunner

if __name__ == "__main__":
    configure_logging("materializer")
    settings = get_settings()
    migrate(settings.readmodel_dsn)
    group = settings.materializer_group
    Watchdog("materializer", settings, group, products_view.topics).start()
    SinkRunner(products_view, settings, group, settings.readmodel_dsn).run()
