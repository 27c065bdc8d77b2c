"""Per key one at a time, in the order asked; keys apart at once."""

from __future__ import annotations

import asyncio

from streams.order_sink.ordering import KeyedLocks


def test_one_key_runs_in_order_other_keys_run_beside_it() -> None:
    async def scenario() -> list[str]:
        locks = KeyedLocks()
        log: list[str] = []
        release_a1 = asyncio.Event()

        async def work(key: str, name: str, wait: asyncio.Event | None = None) -> None:
            async with locks(key):
                log.append(f"start {name}")
                if wait is not None:
                    await wait.wait()
                log.append(f"end {name}")

        tasks = [
            asyncio.create_task(work("A", "a1", release_a1)),
            asyncio.create_task(work("A", "a2")),
            asyncio.create_task(work("B", "b1")),
            asyncio.create_task(work("A", "a3")),
        ]
        await asyncio.sleep(0.01)
        assert log == ["start a1", "start b1", "end b1"]  # b1 did not wait for a1
        release_a1.set()
        await asyncio.gather(*tasks)
        assert len(locks) == 0  # nothing kept for keys no one holds
        return log

    log = asyncio.run(scenario())
    assert [e for e in log if "a" in e.split()[1]] == [
        "start a1", "end a1", "start a2", "end a2", "start a3", "end a3",
    ]  # fmt: skip
