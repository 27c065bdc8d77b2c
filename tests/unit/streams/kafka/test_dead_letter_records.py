"""Dead letters as operators see them: ids, reason classes, filters, pages, values, re-drive
headers and groups (pure; the broker side is tested in tests/integration)."""

from __future__ import annotations

import base64

import pytest

from streams.kafka.dead_letter_records import (
    BadCursor,
    BadLetterId,
    LetterFilter,
    LetterId,
    counts_by_reason,
    decode_cursor,
    decoded_key,
    decoded_value,
    inherited_redrive_headers,
    letter_of,
    newest_first,
    page,
    reason_class,
    redrive_groups,
    redrive_headers,
    siblings,
)
from streams.kafka.deadletter import deadletter_headers

DLT = "atraxion.deadletter"
RAW = "odoo.public.product_template"


def letter(
    offset: int,
    *,
    processor: str = "build_products",
    reason: str = "value is not JSON: Expecting value: line 1 column 1 (char 0)",
    at_ms: int | None = None,
    source: tuple[str, int, int] | None = (RAW, 0, 7),
    key: bytes | None = b'{"id":1}',
    extra: list[tuple[str, bytes]] | None = None,
):
    headers: list[tuple[str, bytes | None]] = [
        ("dlq.reason", reason.encode()),
        ("dlq.processor", processor.encode()),
    ]
    if source is not None:
        headers += [
            ("dlq.source.topic", source[0].encode()),
            ("dlq.source.partition", str(source[1]).encode()),
            ("dlq.source.offset", str(source[2]).encode()),
        ]
    if at_ms is not None:
        headers.append(("dlq.failed_at_ms", str(at_ms).encode()))
    return letter_of(DLT, 0, offset, 1_000 + offset, key, b"\x00poison", headers + (extra or []))


def test_an_id_round_trips_and_names_topic_partition_offset_and_timestamp() -> None:
    letter_id = LetterId("atraxion.webshop-orders.deadletter", 2, 1234, 1_764_000_000_000)
    text = letter_id.encode()
    assert "=" not in text and "/" not in text  # one URL path segment
    assert LetterId.decode(text) == letter_id
    assert letter_id != LetterId(letter_id.topic, 2, 1234, 1_764_000_000_001)  # another life


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not base64 !",
        base64.urlsafe_b64encode(b"topic:0:12").decode().rstrip("="),  # no timestamp
        base64.urlsafe_b64encode(b"topic:x:1:2").decode().rstrip("="),
        base64.urlsafe_b64encode(b"topic:0:-1:2").decode().rstrip("="),
        base64.urlsafe_b64encode(b":0:1:2").decode().rstrip("="),
        base64.urlsafe_b64encode(b"\xff\xfe:0:1:2").decode().rstrip("="),
        LetterId("t", 0, 1, 2).encode() + "==",  # not the canonical spelling
    ],
)
def test_anything_else_is_not_an_id(text: str) -> None:
    with pytest.raises(BadLetterId):
        LetterId.decode(text)


@pytest.mark.parametrize(
    ("reason", "cls"),
    [
        ("value is not JSON: Expecting value: line 1", "value is not JSON"),
        ("unexpected ValidationError: 1 validation error for X", "unexpected ValidationError"),
        (
            "product state of 612345 bytes exceeds the 1047552-byte limit",
            "product state of N bytes exceeds the N-byte limit",
        ),
        ("unknown op 'x'", "unknown op '…'"),
        ("rejected by the read model: new row violates check", "rejected by the read model"),
        ("transient failures, 5 attempts: gave up", "transient failures, N attempts"),
        ("", "(no reason)"),
    ],
)
def test_the_reason_class_drops_the_particulars(reason: str, cls: str) -> None:
    assert reason_class(reason) == cls


def test_headers_are_read_and_missing_ones_are_none() -> None:
    one = letter(3, at_ms=5_000)
    assert (one.processor, one.source, one.at_ms, one.redrive_count) == (
        "build_products",
        (RAW, 0, 7),
        5_000,
        0,
    )
    bare = letter_of(DLT, 0, 4, 9_999, None, None, None)
    assert (bare.processor, bare.reason, bare.source, bare.at_ms) == ("unknown", "", None, 9_999)


def test_a_filter_matches_every_field_given() -> None:
    one = letter(1, at_ms=10_000, reason="value is not JSON: boom")
    assert LetterFilter().matches(one, "open")
    assert LetterFilter(processor="build_products").matches(one, "open")
    assert not LetterFilter(processor="build_prices").matches(one, "open")
    assert LetterFilter(reason="value is not JSON").matches(one, "open")  # the class
    assert LetterFilter(reason="BOOM").matches(one, "open")  # a part, any case
    assert not LetterFilter(reason="too big").matches(one, "open")
    assert LetterFilter(reason="too big").matches(one, "open", with_reason=False)
    assert LetterFilter(since_ms=10_000, until_ms=10_001).matches(one, "open")
    assert not LetterFilter(since_ms=10_001).matches(one, "open")
    assert not LetterFilter(until_ms=10_000).matches(one, "open")
    assert LetterFilter(source_topic=RAW, topic=DLT).matches(one, "open")
    assert not LetterFilter(topic="atraxion.webshop-orders.deadletter").matches(one, "open")


@pytest.mark.parametrize(
    ("wanted", "shown"),
    [
        ("visible", {"open", "redriving", "redriven"}),
        ("all", {"open", "redriving", "redriven", "purged"}),
        ("open", {"open"}),
        ("purged", {"purged"}),
    ],
)
def test_states(wanted, shown) -> None:
    one = letter(1)
    states = ("open", "redriving", "redriven", "purged")
    assert {s for s in states if LetterFilter(state=wanted).matches(one, s)} == shown


def test_pages_go_newest_first_and_a_cursor_survives_new_letters() -> None:
    letters = [letter(n, at_ms=1_000 * n) for n in range(5)]
    ordered = newest_first(letters)
    assert [one.id.offset for one in ordered] == [4, 3, 2, 1, 0]
    first, cursor = page(ordered, None, 2)
    assert [one.id.offset for one in first] == [4, 3] and cursor is not None
    # A newer letter arrives: the next page is still the one after offset 3.
    grown = newest_first([*letters, letter(9, at_ms=99_000)])
    second, cursor = page(grown, cursor, 2)
    assert [one.id.offset for one in second] == [2, 1]
    last, cursor = page(grown, cursor, 2)
    assert [one.id.offset for one in last] == [0] and cursor is None
    assert page(ordered, None, 5) == (ordered, None)


def test_a_cursor_from_elsewhere_is_refused_any_position_is_one() -> None:
    for text in ("nope", "1~t~0~1", "x~t~0~1~2", "1~a b~0~1~2"):
        with pytest.raises(BadCursor):
            decode_cursor(text)
    assert decode_cursor("5~atraxion.deadletter~0~3~-1") == (
        5,
        LetterId("atraxion.deadletter", 0, 3, -1),
    )
    # A position no letter has pages on all the same.
    letters = newest_first([letter(n, at_ms=1_000 * n) for n in range(3)])
    assert [one.id.offset for one in page(letters, "1500~zzz~0~0~0", 5)[0]] == [1, 0]


def test_counts_are_per_reason_class_most_first() -> None:
    letters = [
        letter(1, reason="value is not JSON: a"),
        letter(2, reason="value is not JSON: b"),
        letter(3, reason="unknown op 'q'"),
    ]
    assert counts_by_reason(letters) == {"value is not JSON": 2, "unknown op '…'": 1}


def test_values_and_keys_are_decoded_when_possible() -> None:
    assert decoded_value(b'{"a": 1}') == ("json", {"a": 1})
    assert decoded_value(b"plain text") == ("text", "plain text")
    assert decoded_value(b"\x00not json") == ("base64", base64.b64encode(b"\x00not json").decode())
    assert decoded_value(b"\xc3\x28") == ("base64", "wyg=")
    assert decoded_value(None) == ("null", None)
    assert decoded_key(b"WEB-1") == "WEB-1"
    assert decoded_key(b"\xff") == "base64:/w=="


def test_a_redrive_counts_on_and_a_dead_letter_of_it_carries_the_count() -> None:
    first = letter(1)
    sent = redrive_headers(first)
    assert sent == [("dlq.redrive.of", first.id.encode().encode()), ("dlq.redrive.count", b"1")]
    # The processor fails on the re-driven record again: its new letter inherits the headers.
    headers = deadletter_headers(
        reason="value is not JSON: again",
        processor="build_products",
        topic=RAW,
        partition=0,
        offset=90,
        inherited=[("other", b"x"), *sent],
    )
    again = letter_of(DLT, 0, 2, 2_000, first.key, b"\x00poison", headers)
    assert (again.redrive_count, again.redrive_of) == (1, first.id.encode())
    assert redrive_headers(again)[1] == ("dlq.redrive.count", b"2")
    assert inherited_redrive_headers({"dlq.redrive.count": b"3", "x": b"y"}) == [
        ("dlq.redrive.count", b"3")
    ]
    assert inherited_redrive_headers(None) == []


def test_letters_of_one_failed_record_are_redriven_together() -> None:
    products = letter(1, processor="build_products")
    prices = letter(2, processor="compute_prices")  # same source record, another processor
    other = letter(3, source=(RAW, 0, 8))
    lost = letter(4, source=None)
    groups, without_source = redrive_groups([products, other, lost])
    assert without_source == [lost]
    assert [(g.source, [one.id.offset for one in g.letters]) for g in groups] == [
        ((RAW, 0, 7), [1]),
        ((RAW, 0, 8), [3]),
    ]
    whole = siblings(groups[0], [products, prices, other, lost])
    assert [one.id.offset for one in whole.letters] == [1, 2]
    # Same coordinates but another key: another record (e.g. another life of the topic).
    stranger = letter(5, key=b'{"id":2}')
    assert [one.id.offset for one in siblings(groups[0], [stranger]).letters] == [1]
