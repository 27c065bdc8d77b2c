"""``python -m streams.order_sink``: the order sink process (runner.py). Ready when it logs
``order_sink.started``; SIGTERM/SIGINT stop it after committing what is finished."""

from __future__ import annotations

import asyncio
import signal

from confluent_kafka import Consumer

from core.logs import configure_logging
from core.settings import Settings, get_settings
from schemas.topics import WEBSHOP_ORDERS_TOPIC
from streams.kafka.clients import consumer_config, producer_config
from streams.kafka.delivery import AckedProducer
from streams.kafka.liveness import Watchdog
from streams.odoo.client import connect
from streams.order_sink.attempts import RetryPolicy, policy_total_s
from streams.order_sink.placing import STEPS
from streams.order_sink.runner import OrderSink

PROCESS = "order_sink"


def liveness_settings(settings: Settings) -> Settings:
    """An order retrying holds its partition's committed offset (runner.py): the watchdog
    calls that a stall only once it lasts longer than every step of one order retrying at
    its longest (10 steps x ~63 s by default), and exits the process only after twice that."""
    patience = len(STEPS) * policy_total_s(RetryPolicy.from_settings(settings))
    return settings.model_copy(
        update={
            "liveness_stall_after_s": max(settings.liveness_stall_after_s, patience),
            "liveness_exit_after_s": max(settings.liveness_exit_after_s, 2 * patience),
        }
    )


async def main() -> None:
    settings = get_settings()
    group = settings.order_sink_group
    # The rebalance timeout: how long a rebalance waits for a member. It must cover a
    # revocation waiting for Odoo calls under way (runner.py); librdkafka's 5 min default
    # would let a member that left mid-join hold the group up that long on Tansu.
    poll_interval_ms = int((settings.odoo_timeout_s + 35) * 1000)
    sink = OrderSink(
        settings,
        Consumer({**consumer_config(settings, group), "max.poll.interval.ms": poll_interval_ms}),
        AckedProducer(producer_config(settings)),
        connect(settings),
    )
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, sink.stop)
    Watchdog(PROCESS, liveness_settings(settings), group, [WEBSHOP_ORDERS_TOPIC]).start()
    await sink.run()


if __name__ == "__main__":
    configure_logging(PROCESS)
    asyncio.run(main())
