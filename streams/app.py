"""The faust application that hosts every stream processor.

Run: ``python -m streams`` (what ``atraxion up`` starts). Processing guarantee: at least once.
An agent acknowledges an event once its effects are done (streams/kafka/faust_io.py); faust
commits the offsets of acknowledged events every ``broker_commit_interval`` seconds, after
flushing the producer, so every event a processor sent (domain events, table changelog, dead
letters) is on the broker before the source offset that caused it is committed. After a
crash, events since the last commit are processed again; the processors recognise them (see
streams/changes).
"""

from __future__ import annotations

import gc

import faust

from core.logs import logging_dict
from core.settings import Settings, get_settings
from schemas.entities import COMPUTED, ENTITIES
from streams import computed, documents
from streams.kafka import tansu
from streams.kafka.faust_recovery import hold_streams_until_seeked


def create_app(settings: Settings) -> faust.App:
    hold_streams_until_seeked()
    gc.set_threshold(*settings.streams_gc_thresholds)
    if settings.broker_flavor == "tansu":
        tansu.patch_faust(settings.kafka_bootstrap, settings.tansu_fetch_max_wait_ms)
    return faust.App(
        settings.streams_app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=1,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=6,
        broker_heartbeat_interval=2,
        broker_commit_interval=1.0,
        producer_linger_ms=settings.streams_producer_linger_ms,
        producer_max_batch_size=settings.streams_producer_batch_bytes,
        consumer_max_fetch_size=settings.streams_fetch_partition_bytes,
        stream_wait_empty=False,
        web_enabled=True,
        web_host="127.0.0.1",
        web_port=settings.streams_web_port,
        autodiscover=False,
        origin="streams",
        logging_config=logging_dict("streams"),
    )


settings = get_settings()
app = create_app(settings)

# Every entity's processors, tables and topics, from the registry.
for _entity in ENTITIES:
    documents.register(app, _entity, settings)
for _computed in COMPUTED:
    computed.register(app, _computed, settings)


def agent_topics(faust_app: faust.App) -> list[str]:
    """The topics the worker's group consumes: every agent's input (raw and re-keyed)."""
    return sorted({name for agent in faust_app.agents.values() for name in agent.channel.topics})


@app.task
async def start_liveness_watchdog() -> None:
    # A task runs only when the worker has started (after table recovery), never in a
    # process that merely imports the app (tests, `python -m streams.kafka.topics`).
    from streams.kafka.liveness import Watchdog

    gc.freeze()  # what table recovery loaded stays: no collection need walk it again
    Watchdog("streams", settings, settings.streams_app_id, agent_topics(app)).start()
