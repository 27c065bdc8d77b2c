"""A send's future settles from its delivery report: acknowledged, failed, or given up on."""

from __future__ import annotations

import asyncio

import pytest
from confluent_kafka import KafkaError, KafkaException, Message

from streams.kafka.delivery import _settle

MESSAGE = Message(topic="t", partition=0, offset=7, key=b"k", value=b"v")


def test_delivery_reports_settle_the_send() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        acknowledged, failed, abandoned = (loop.create_future() for _ in range(3))
        _settle(acknowledged, None, MESSAGE)
        assert (await acknowledged).offset() == 7
        _settle(failed, KafkaError(KafkaError._MSG_TIMED_OUT), MESSAGE)
        with pytest.raises(KafkaException):
            await failed
        abandoned.cancel()  # the caller stopped waiting: the late report is dropped
        _settle(abandoned, None, MESSAGE)
        assert abandoned.cancelled()

    asyncio.run(scenario())
