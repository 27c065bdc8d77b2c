"""What operators did with dead letters (table ``dead_letter_state``, migration 0003): the
claim, outcome and release of a re-drive, and purges. The letters themselves are read from
their topics (streams/kafka/dead_letter_topics.py); a letter without a row is open."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row, tuple_row

STATES_SQL = """
SELECT letter_id, state, redrive_topic, redrive_partition, redrive_offset, redrive_count,
    redriven_at, purged_at, actor
FROM dead_letter_state"""

STATE_NAMES_SQL = "SELECT letter_id, state FROM dead_letter_state"

# A letter is claimed once: a new row, or (force) a row that is not purged. RETURNING gives
# only the rows inserted or updated, i.e. the claims won.
CLAIM_SQL = """
INSERT INTO dead_letter_state (letter_id, state, actor)
SELECT unnest(%(ids)s::text[]), 'redriving', %(actor)s
ON CONFLICT (letter_id) DO UPDATE SET state = 'redriving', actor = excluded.actor,
    updated_at = now()
WHERE %(force)s AND dead_letter_state.state <> 'purged'
RETURNING letter_id"""

REDRIVEN_SQL = """
UPDATE dead_letter_state SET state = 'redriven', redrive_topic = %(topic)s,
    redrive_partition = %(partition)s, redrive_offset = %(offset)s, redrive_count = %(count)s,
    redriven_at = now(), updated_at = now()
WHERE letter_id = ANY(%(ids)s) AND state = 'redriving'"""

# A failed produce: the claim goes; a letter re-driven before (force) is re-driven still.
RELEASE_SQL = """
WITH gone AS (
    DELETE FROM dead_letter_state
    WHERE letter_id = ANY(%(ids)s) AND state = 'redriving' AND redriven_at IS NULL
)
UPDATE dead_letter_state SET state = 'redriven', updated_at = now()
WHERE letter_id = ANY(%(ids)s) AND state = 'redriving' AND redriven_at IS NOT NULL"""

# Any letter but one being re-driven right now.
PURGE_SQL = """
INSERT INTO dead_letter_state (letter_id, state, actor, purged_at)
SELECT unnest(%(ids)s::text[]), 'purged', %(actor)s, now()
ON CONFLICT (letter_id) DO UPDATE SET state = 'purged', actor = excluded.actor,
    purged_at = now(), updated_at = now()
WHERE dead_letter_state.state IN ('redriven', 'purged')
RETURNING letter_id"""


@dataclass(frozen=True)
class LetterState:
    letter_id: str
    state: str  # redriving, redriven, purged
    redrive_topic: str | None
    redrive_partition: int | None
    redrive_offset: int | None
    redrive_count: int | None
    redriven_at: datetime | None
    purged_at: datetime | None
    actor: str


async def states(conn: AsyncConnection[Any]) -> dict[str, LetterState]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(STATES_SQL)
        return {row["letter_id"]: LetterState(**row) for row in await cur.fetchall()}


def state_names(conn: psycopg.Connection[Any]) -> dict[str, str]:
    """Letter id -> state, for the metrics collector (which runs outside the event loop)."""
    with conn.cursor(row_factory=tuple_row) as cur:
        return {row[0]: row[1] for row in cur.execute(STATE_NAMES_SQL).fetchall()}


async def claim(
    conn: AsyncConnection[Any], ids: Sequence[str], actor: str, *, force: bool
) -> set[str]:
    """Claim ``ids`` for a re-drive; returns those claimed (the others are re-driven or being
    re-driven already, or purged)."""
    async with conn.cursor(row_factory=tuple_row) as cur:
        # Each id once: ON CONFLICT DO UPDATE cannot touch one row twice in a statement.
        unique = list(dict.fromkeys(ids))
        await cur.execute(CLAIM_SQL, {"ids": unique, "actor": actor, "force": force})
        return {row[0] for row in await cur.fetchall()}


async def redriven(
    conn: AsyncConnection[Any],
    ids: Sequence[str],
    topic: str,
    partition: int,
    offset: int,
    count: int,
) -> None:
    await conn.execute(
        REDRIVEN_SQL,
        {
            "ids": list(ids),
            "topic": topic,
            "partition": partition,
            "offset": offset,
            "count": count,
        },
    )


async def release(conn: AsyncConnection[Any], ids: Sequence[str]) -> None:
    await conn.execute(RELEASE_SQL, {"ids": list(ids)})


async def purge(conn: AsyncConnection[Any], ids: Sequence[str], actor: str) -> set[str]:
    """Mark ``ids`` purged, except those being re-driven right now; returns those purged."""
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(PURGE_SQL, {"ids": list(dict.fromkeys(ids)), "actor": actor})
        return {row[0] for row in await cur.fetchall()}
