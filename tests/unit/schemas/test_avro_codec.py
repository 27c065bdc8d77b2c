"""Unit tests for schemas.avro_codec (Avro single-object encoding) and schemas.documents."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastavro.schema import to_parsing_canonical_form
from pydantic import ValidationError

from schemas.avro_codec import MAGIC, AvroCodec, codec
from schemas.documents import DocumentChange, StreamPosition

# CRC-64-AVRO as given in the Avro specification ("Schema Fingerprints").
_EMPTY = 0xC15D213AA4D7A795


def _table() -> list[int]:
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (_EMPTY & -(fp & 1))
        table.append(fp)
    return table


_FP_TABLE = _table()


def crc64_avro(data: bytes) -> int:
    fp = _EMPTY
    for byte in data:
        fp = (fp >> 8) ^ _FP_TABLE[(fp ^ byte) & 0xFF]
    return fp


def record(**overrides: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "odooId": 7,
        "externalId": "TYRE-7",
        "changedFields": ["list_price", "variants.12.barcode"],
        "data": json.dumps({"id": 7, "list_price": 1.5, "variants": [{"id": 12}]}, sort_keys=True),
        "isNew": False,
        "deleted": False,
        "position": {"commitLsn": 24023128, "lsn": 24023192, "seq": 4},
        "sourceTsMs": 1_700_000_000_123,
    }
    rec.update(overrides)
    return rec


@pytest.fixture(scope="module")
def product_codec() -> AvroCodec:
    return AvroCodec("product_change")


def test_crc64_reference_implementation_matches_spec_vector() -> None:
    # Sanity check of the test's own CRC: fingerprint of the primitive schema "int".
    # Wire order (little endian), as the Java, Rust and fastavro implementations print it.
    assert crc64_avro(b'"int"').to_bytes(8, "little").hex() == "8f5c393f1ad57572"
    assert crc64_avro(b'"long"').to_bytes(8, "little").hex() == "b71df49344e154d0"


def test_round_trip(product_codec: AvroCodec) -> None:
    rec = record()
    assert product_codec.decode(product_codec.encode(rec)) == rec


def test_round_trip_of_deleted_event_with_nulls(product_codec: AvroCodec) -> None:
    rec = record(externalId=None, data=None, changedFields=[], deleted=True)
    assert product_codec.decode(product_codec.encode(rec)) == rec


def test_round_trip_of_large_longs(product_codec: AvroCodec) -> None:
    big = 2**63 - 1
    rec = record(odooId=big, position={"commitLsn": big, "lsn": big - 1, "seq": 1}, sourceTsMs=0)
    assert product_codec.decode(product_codec.encode(rec)) == rec


def test_round_trip_of_unicode(product_codec: AvroCodec) -> None:
    rec = record(externalId="Ré-€-タイヤ", data=json.dumps({"name": {"ja_JP": "タイヤ"}}))
    assert product_codec.decode(product_codec.encode(rec)) == rec


def test_header_is_magic_plus_the_codec_fingerprint(product_codec: AvroCodec) -> None:
    payload = product_codec.encode(record())
    assert MAGIC == b"\xc3\x01"
    assert payload[:2] == MAGIC
    assert payload[2:10] == product_codec.fingerprint
    assert len(product_codec.fingerprint) == 8


def test_fingerprint_is_the_crc64_of_the_canonical_schema_in_some_byte_order(
    product_codec: AvroCodec,
) -> None:
    canonical = to_parsing_canonical_form(product_codec.schema)
    crc = crc64_avro(canonical.encode())
    assert product_codec.fingerprint in (crc.to_bytes(8, "little"), crc.to_bytes(8, "big"))


def test_header_fingerprint_is_little_endian_as_in_the_avro_spec(
    product_codec: AvroCodec,
) -> None:
    payload = product_codec.encode(record())
    canonical = to_parsing_canonical_form(product_codec.schema)
    expected = crc64_avro(canonical.encode()).to_bytes(8, "little")
    assert payload[2:10] == expected


def test_body_is_plain_avro_binary(product_codec: AvroCodec) -> None:
    # First field is odooId (long, zig-zag varint): 7 -> 0x0e.
    payload = product_codec.encode(record(odooId=7))
    assert payload[10] == 0x0E


def test_encoding_is_deterministic(product_codec: AvroCodec) -> None:
    assert product_codec.encode(record()) == product_codec.encode(record())


def test_wrong_magic_is_rejected(product_codec: AvroCodec) -> None:
    payload = product_codec.encode(record())
    with pytest.raises(ValueError, match="bad magic"):
        product_codec.decode(b"\x00\x01" + payload[2:])
    with pytest.raises(ValueError, match="bad magic"):
        product_codec.decode(b'{"odooId": 7}')
    with pytest.raises(ValueError, match="bad magic"):
        product_codec.decode(b"")


def test_unknown_fingerprint_is_rejected(product_codec: AvroCodec) -> None:
    payload = product_codec.encode(record())
    tampered = payload[:2] + bytes(b ^ 0xFF for b in payload[2:10]) + payload[10:]
    with pytest.raises(ValueError, match="unknown schema fingerprint"):
        product_codec.decode(tampered)


def test_big_endian_fingerprint_is_rejected(product_codec: AvroCodec) -> None:
    payload = product_codec.encode(record())
    swapped = payload[:2] + payload[2:10][::-1] + payload[10:]
    assert swapped != payload
    with pytest.raises(ValueError, match="unknown schema fingerprint"):
        product_codec.decode(swapped)


def test_truncated_header_is_rejected(product_codec: AvroCodec) -> None:
    with pytest.raises(ValueError, match="unknown schema fingerprint"):
        product_codec.decode(product_codec.encode(record())[:6])


def test_body_cut_short_early_fails(product_codec: AvroCodec) -> None:
    payload = product_codec.encode(record())
    with pytest.raises(ValueError, match="corrupt Avro body"):
        product_codec.decode(payload[:10])
    with pytest.raises(ValueError, match="corrupt Avro body"):
        product_codec.decode(payload[:12])


# A feed sink turns (ValueError, EOFError, TypeError, KeyError) from decode() into a
# dead letter; anything else escapes its poison handling.
SINK_HANDLED = (ValueError, EOFError, TypeError, KeyError)


def test_every_truncated_body_fails_with_an_error_the_sink_handles(
    product_codec: AvroCodec,
) -> None:
    payload = product_codec.encode(record())
    for end in range(10, len(payload)):
        with pytest.raises(SINK_HANDLED):
            product_codec.decode(payload[:end])


def test_encoding_rejects_records_that_do_not_fit_the_schema(product_codec: AvroCodec) -> None:
    with pytest.raises((ValueError, TypeError)):
        product_codec.encode(record(data={"not": "a string"}))
    with pytest.raises((ValueError, TypeError, KeyError)):
        bad = record()
        del bad["position"]
        product_codec.encode(bad)


def test_codec_is_cached_per_schema_name() -> None:
    assert codec("product_change") is codec("product_change")
    assert codec("product_change").fingerprint == AvroCodec("product_change").fingerprint


def test_unknown_schema_name_fails() -> None:
    with pytest.raises(FileNotFoundError):
        AvroCodec("no_such_schema")


def test_schema_fields_match_the_pydantic_contract(product_codec: AvroCodec) -> None:
    avro_fields = {f["name"] for f in product_codec.schema["fields"]}
    assert avro_fields == set(DocumentChange.model_fields)
    position = next(f for f in product_codec.schema["fields"] if f["name"] == "position")
    assert [f["name"] for f in position["type"]["fields"]] == list(StreamPosition.model_fields)


def test_product_change_round_trips_through_avro_like_the_processor_and_sink(
    product_codec: AvroCodec,
) -> None:
    change = DocumentChange(
        odooId=7,
        externalId="TYRE-7",
        changedFields=["name.en_US"],
        data={"id": 7, "name": {"en_US": "Tyre"}, "variants": [{"id": 12, "barcode": "x"}]},
        isNew=False,
        deleted=False,
        position=StreamPosition(commitLsn=10, lsn=11, seq=2),
        sourceTsMs=99,
    )
    # Processor side (streams/documents.py _encode): data as a JSON string.
    rec = change.model_dump()
    rec["data"] = json.dumps(change.data, sort_keys=True)
    decoded = product_codec.decode(product_codec.encode(rec))
    # Sink side (streams/sinks/feeds.py decode).
    decoded["data"] = json.loads(decoded["data"]) if decoded["data"] is not None else None
    assert DocumentChange.model_validate(decoded) == change


# --- schemas.documents --------------------------------------------------------------------------


def test_stream_position_orders_lexicographically() -> None:
    def p(c: int, lsn: int, s: int) -> tuple[int, int, int]:
        return StreamPosition(commitLsn=c, lsn=lsn, seq=s).as_tuple()

    assert p(1, 9, 9) < p(2, 0, 0)
    assert p(2, 1, 9) < p(2, 2, 0)
    assert p(2, 2, 1) < p(2, 2, 2)
    assert p(2, 2, 2) == (2, 2, 2)


def test_stream_position_is_frozen() -> None:
    pos = StreamPosition(commitLsn=1, lsn=2, seq=3)
    with pytest.raises(ValidationError):
        pos.seq = 4  # type: ignore[misc]


def test_product_change_requires_its_fields() -> None:
    with pytest.raises(ValidationError):
        DocumentChange.model_validate({"odooId": 7})
