"""Dead letters as an operator sees them (pure: no broker here; the reading is in
streams/kafka/dead_letter_topics.py, the state kept per letter in readmodel/dead_letters.py).

A dead letter is a record of a dead-letter topic (``atraxion.deadletter``: the processors and
the materializer; ``atraxion.webshop-orders.deadletter``: the order sink) whose key and value
are the failed record's, byte for byte, and whose headers say why and where from
(streams/kafka/deadletter.py).

- **Id**: ``<topic>:<partition>:<offset>:<timestamp ms>`` in base64url without padding (so it
  is one URL path segment). The timestamp tells two letters apart that got the same offset in
  two lives of a topic: the embedded broker starts empty at every start, and a topic deleted
  and created again on Kafka starts at offset 0 too; the state recorded for a letter (re-driven,
  purged) must not stick to its successor.
- **Reason class**: the reason up to its first ``": "`` with numbers as ``N`` and quoted
  values as ``'…'``: what ``countsByReason`` and the metric count by (the full reason names
  record ids and error details, unbounded as labels).
- **Re-drive headers**: a re-driven record carries ``dlq.redrive.of`` (the id of the letter
  it came from) and ``dlq.redrive.count``; a processor that dead-letters it again copies both
  into the new letter (``inherited_redrive_headers``), so a record that stays poison is seen
  with its count.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

REASON = "dlq.reason"
PROCESSOR = "dlq.processor"
SOURCE_TOPIC = "dlq.source.topic"
SOURCE_PARTITION = "dlq.source.partition"
SOURCE_OFFSET = "dlq.source.offset"
FAILED_AT_MS = "dlq.failed_at_ms"
REDRIVE_OF = "dlq.redrive.of"
REDRIVE_COUNT = "dlq.redrive.count"
REDRIVE_HEADERS = (REDRIVE_OF, REDRIVE_COUNT)

State = Literal["open", "redriving", "redriven", "purged"]
StateFilter = Literal["open", "redriving", "redriven", "purged", "visible", "all"]
STATE_FILTERS: tuple[str, ...] = ("open", "redriving", "redriven", "purged", "visible", "all")
"""``visible`` (the default): every state but ``purged``; ``all``: purged ones too."""

Headers = Sequence[tuple[str, bytes | None]]


ID_PATTERN = r"^[A-Za-z0-9_-]{1,400}$"
"""What an id looks like (base64url); one that matches may still name no letter."""


class BadLetterId(ValueError):
    """Not an id this module made."""


class BadCursor(ValueError):
    """Not a cursor this module made."""


@dataclass(frozen=True, slots=True, order=True)
class LetterId:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int

    def encode(self) -> str:
        raw = f"{self.topic}:{self.partition}:{self.offset}:{self.timestamp_ms}".encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    @classmethod
    def decode(cls, text: str) -> LetterId:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            topic, partition, offset, timestamp = raw.rsplit(":", 3)
            letter = cls(topic, int(partition), int(offset), int(timestamp))
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise BadLetterId(f"not a dead-letter id: {text!r}") from exc
        if not topic or min(letter.partition, letter.offset) < 0 or letter.encode() != text:
            raise BadLetterId(f"not a dead-letter id: {text!r}")
        return letter


def _text(headers: Mapping[str, bytes | None], name: str) -> str | None:
    value = headers.get(name)
    return None if value is None else value.decode("utf-8", "replace")


def _int(headers: Mapping[str, bytes | None], name: str) -> int | None:
    text = _text(headers, name)
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One letter's metadata (its value stays on the broker: values can be megabytes)."""

    id: LetterId
    key: bytes | None
    headers: tuple[tuple[str, bytes | None], ...]
    value_size: int
    _named: dict[str, bytes | None] = field(compare=False, repr=False)

    @property
    def processor(self) -> str:
        return _text(self._named, PROCESSOR) or "unknown"

    @property
    def reason(self) -> str:
        return _text(self._named, REASON) or ""

    @property
    def reason_class(self) -> str:
        return reason_class(self.reason)

    @property
    def source_topic(self) -> str | None:
        return _text(self._named, SOURCE_TOPIC)

    @property
    def source_partition(self) -> int | None:
        return _int(self._named, SOURCE_PARTITION)

    @property
    def source_offset(self) -> int | None:
        return _int(self._named, SOURCE_OFFSET)

    @property
    def at_ms(self) -> int:
        """When the processor gave up on it (its header), else the record's timestamp."""
        failed = _int(self._named, FAILED_AT_MS)
        return failed if failed is not None else self.id.timestamp_ms

    @property
    def redrive_count(self) -> int:
        """How often the record was re-driven before it landed here (0: never)."""
        return _int(self._named, REDRIVE_COUNT) or 0

    @property
    def redrive_of(self) -> str | None:
        return _text(self._named, REDRIVE_OF)

    @property
    def source(self) -> tuple[str, int, int] | None:
        """(topic, partition, offset) of the failed record, when the headers say it."""
        topic, partition, offset = self.source_topic, self.source_partition, self.source_offset
        if topic is None or partition is None or offset is None:
            return None
        return topic, partition, offset


def letter_of(
    topic: str,
    partition: int,
    offset: int,
    timestamp_ms: int,
    key: bytes | None,
    value: bytes | None,
    headers: Headers | None,
) -> DeadLetter:
    kept = tuple(headers or ())
    return DeadLetter(
        id=LetterId(topic, partition, offset, timestamp_ms),
        key=key,
        headers=kept,
        value_size=len(value or b""),
        _named=dict(kept),  # a repeated header: the last one counts, as in the processors
    )


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"\d+")


def reason_class(reason: str) -> str:
    """The reason without its particulars (module docstring); at most 120 characters."""
    head = reason.split(": ", 1)[0]
    head = _NUMBER.sub("N", _QUOTED.sub("'…'", head)).strip()
    return head[:120] or "(no reason)"


@dataclass(frozen=True, slots=True)
class LetterFilter:
    """Which letters an operator means; every field set must match (None: any)."""

    processor: str | None = None  # exact
    reason: str | None = None  # the reason class exactly, or a case-insensitive part of it
    since_ms: int | None = None  # at_ms >= since_ms
    until_ms: int | None = None  # at_ms < until_ms
    topic: str | None = None  # the dead-letter topic, exact
    source_topic: str | None = None  # exact
    state: StateFilter = "visible"

    def matches(self, letter: DeadLetter, state: State, *, with_reason: bool = True) -> bool:
        if self.processor is not None and letter.processor != self.processor:
            return False
        if with_reason and self.reason is not None and not reason_matches(letter, self.reason):
            return False
        if self.since_ms is not None and letter.at_ms < self.since_ms:
            return False
        if self.until_ms is not None and letter.at_ms >= self.until_ms:
            return False
        if self.topic is not None and letter.id.topic != self.topic:
            return False
        if self.source_topic is not None and letter.source_topic != self.source_topic:
            return False
        return state_matches(self.state, state)


def reason_matches(letter: DeadLetter, wanted: str) -> bool:
    return letter.reason_class == wanted or wanted.casefold() in letter.reason.casefold()


def state_matches(wanted: StateFilter, state: State) -> bool:
    if wanted == "all":
        return True
    if wanted == "visible":
        return state != "purged"
    return wanted == state


def newest_first(letters: Iterable[DeadLetter]) -> list[DeadLetter]:
    return sorted(letters, key=_sort_key, reverse=True)


def _by_id(letter: DeadLetter) -> LetterId:
    return letter.id


def _sort_key(letter: DeadLetter) -> tuple[int, LetterId]:
    return (letter.at_ms, letter.id)


# A cursor is a sort position: <at ms>~<topic>~<partition>~<offset>~<timestamp ms>. Any
# string matching the pattern is a position (of a letter or not), so any such cursor pages on.
CURSOR_PATTERN = r"^\d{1,16}~[A-Za-z0-9._-]{1,249}~\d{1,9}~\d{1,19}~-?\d{1,19}$"
_CURSOR = re.compile(CURSOR_PATTERN)


def encode_cursor(letter: DeadLetter) -> str:
    i = letter.id
    return f"{letter.at_ms}~{i.topic}~{i.partition}~{i.offset}~{i.timestamp_ms}"


def decode_cursor(text: str) -> tuple[int, LetterId]:
    if _CURSOR.match(text) is None:
        raise BadCursor(f"not a cursor of this listing: {text!r}")
    at_ms, topic, partition, offset, timestamp = text.split("~")
    return int(at_ms), LetterId(topic, int(partition), int(offset), int(timestamp))


def page(
    ordered: Sequence[DeadLetter], cursor: str | None, limit: int
) -> tuple[list[DeadLetter], str | None]:
    """``limit`` letters of ``ordered`` (newest first) after ``cursor``, and the cursor of the
    next page (None: none). A cursor stays valid while letters come and go: it is the sort
    position of the last letter shown, not an index."""
    start = 0
    if cursor is not None:
        after = decode_cursor(cursor)
        start = next((i for i, one in enumerate(ordered) if _sort_key(one) < after), len(ordered))
    chosen = list(ordered[start : start + limit])
    more = start + limit < len(ordered)
    return chosen, encode_cursor(chosen[-1]) if more and chosen else None


def counts_by_reason(letters: Iterable[DeadLetter]) -> dict[str, int]:
    counts = Counter(letter.reason_class for letter in letters)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def decoded_value(value: bytes | None) -> tuple[str, Any]:
    """(encoding, value) for display: ``json`` (parsed), ``text`` (UTF-8), ``base64`` (raw
    bytes, e.g. Avro), or ``null`` (a tombstone)."""
    if value is None:
        return "null", None
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return "base64", base64.b64encode(value).decode()
    if "\x00" in text:  # valid UTF-8 but binary all the same
        return "base64", base64.b64encode(value).decode()
    try:
        return "json", json.loads(text)
    except ValueError:
        return "text", text


def decoded_key(key: bytes | None) -> str | None:
    """The key as text when it is UTF-8 (every key the project writes is), else base64."""
    if key is None:
        return None
    try:
        return key.decode("utf-8")
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(key).decode()


def header_text(value: bytes | None) -> str | None:
    if value is None:
        return None
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(value).decode()


def redrive_headers(letter: DeadLetter) -> list[tuple[str, bytes]]:
    """The re-driven record's headers: its own ones from before it failed are not known (a
    dead letter keeps only the processor's), so just where it comes from and how often."""
    return [
        (REDRIVE_OF, letter.id.encode().encode()),
        (REDRIVE_COUNT, str(letter.redrive_count + 1).encode()),
    ]


def inherited_redrive_headers(headers: Any) -> list[tuple[str, bytes]]:
    """The re-drive headers of a record a processor is dead-lettering (a list of pairs, a
    mapping, or None), to be copied into its letter."""
    if not headers:
        return []
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return [
        (str(name), bytes(value))
        for name, value in pairs
        if name in REDRIVE_HEADERS and value is not None
    ]


@dataclass(frozen=True, slots=True)
class RedriveGroup:
    """Letters of one failed record: re-driven once, together (several processors read the
    same topic, and each dead-letters what it fails on under its own name)."""

    source: tuple[str, int, int]
    letters: tuple[DeadLetter, ...]

    @property
    def first(self) -> DeadLetter:
        return self.letters[0]


def redrive_groups(letters: Iterable[DeadLetter]) -> tuple[list[RedriveGroup], list[DeadLetter]]:
    """(groups by failed record, letters that cannot be re-driven: no source headers)."""
    groups: dict[tuple[str, int, int, bytes | None], list[DeadLetter]] = {}
    lost: list[DeadLetter] = []
    for letter in sorted(letters, key=_by_id):
        source = letter.source
        if source is None:
            lost.append(letter)
            continue
        groups.setdefault((*source, letter.key), []).append(letter)
    return [RedriveGroup(k[:3], tuple(v)) for k, v in groups.items()], lost


def siblings(group: RedriveGroup, every: Iterable[DeadLetter]) -> RedriveGroup:
    """``group`` with every other letter of ``every`` from the same failed record (same source
    topic, partition, offset and key): re-driving the record once answers all of them."""
    members = {one.id: one for one in group.letters}
    for letter in every:
        if letter.source == group.source and letter.key == group.first.key:
            members.setdefault(letter.id, letter)
    return RedriveGroup(group.source, tuple(sorted(members.values(), key=_by_id)))
