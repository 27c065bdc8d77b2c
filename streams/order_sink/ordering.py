"""One thing at a time per key, any number of keys at once.

The sink takes the records of one reference (a submission, a re-drive) one after the other
and in the order they were read, while records of other references go on beside them; the
customer step of two orders of one new customer likewise (or both would create the partner).
``asyncio.Lock`` wakes its waiters first come, first served, so the records of a key run in
the order their tasks asked. A key's lock is dropped when no one holds or waits for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class KeyedLocks:
    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def __call__(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
