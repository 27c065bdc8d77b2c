"""The committable offset never passes an unfinished record."""

from __future__ import annotations

import pytest

from streams.order_sink.offsets import PartitionProgress


def test_nothing_read_nothing_to_commit() -> None:
    assert PartitionProgress().committable() is None


def test_records_finishing_out_of_order() -> None:
    progress = PartitionProgress()
    for offset in (10, 11, 12, 13):
        progress.read(offset)
    assert (progress.committable(), progress.unfinished) == (10, 4)
    progress.finish(12)
    progress.finish(11)
    assert (progress.committable(), progress.unfinished) == (10, 2)  # 10 still runs
    progress.finish(10)
    assert progress.committable() == 13
    progress.finish(13)
    assert (progress.committable(), progress.unfinished) == (14, 0)


def test_gaps_in_offsets_are_fine() -> None:
    progress = PartitionProgress()
    progress.read(5)
    progress.read(9)  # 6-8 were deleted by retention, or were transaction markers
    progress.finish(9)
    assert progress.committable() == 5
    progress.finish(5)
    assert progress.committable() == 10


def test_to_commit_only_when_it_moved() -> None:
    progress = PartitionProgress()
    progress.read(0)
    assert progress.to_commit() == 0
    progress.committed = 0
    assert progress.to_commit() is None
    progress.finish(0)
    assert progress.to_commit() == 1


def test_offsets_must_come_in_order() -> None:
    progress = PartitionProgress()
    progress.read(3)
    with pytest.raises(ValueError, match="offset 2 read after 3"):
        progress.read(2)
