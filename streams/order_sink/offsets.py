"""Which offset of a partition may be committed while its records finish out of order.

The sink works on many records of a partition at once (different references), and they
finish in any order. The committed offset must never pass a record that is not finished: it is
the lowest unfinished offset, or one past the last record read when all are finished. A crash
then repeats the unfinished records and, harmlessly (placing.py finds what was made), the
finished ones after the lowest unfinished. Pure: the runner feeds it.
"""

from __future__ import annotations

from collections import deque


class PartitionProgress:
    """Offsets of one partition in the order they were read (ascending)."""

    def __init__(self) -> None:
        self._pending: deque[int] = deque()  # read, in order; finished ones until they lead
        self._finished: set[int] = set()
        self._next: int | None = None  # one past the last offset read
        self.committed: int | None = None  # what the runner last committed

    def read(self, offset: int) -> None:
        if self._next is not None and offset < self._next:
            raise ValueError(f"offset {offset} read after {self._next - 1}")
        self._pending.append(offset)
        self._next = offset + 1

    def finish(self, offset: int) -> None:
        self._finished.add(offset)
        while self._pending and self._pending[0] in self._finished:
            self._finished.discard(self._pending.popleft())

    @property
    def unfinished(self) -> int:
        return len(self._pending) - len(self._finished)

    def committable(self) -> int | None:
        """The offset to commit: the lowest unfinished one, else one past the last read;
        None before anything was read."""
        if self._pending:
            return self._pending[0]
        return self._next

    def to_commit(self) -> int | None:
        """``committable`` if it moved since ``committed`` (then the caller commits it and
        sets ``committed``), else None."""
        offset = self.committable()
        if offset is None or offset == self.committed:
            return None
        return offset
