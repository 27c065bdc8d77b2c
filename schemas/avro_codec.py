"""Avro single-object encoding of domain events (Avro spec, "Single object encoding").

Each record is ``C3 01`` + the schema's 8-byte CRC-64-AVRO fingerprint (little endian) + the
Avro binary body, so a consumer needs no registry: it looks the fingerprint up among the
schemas published in ``schemas/avro/``.
"""

from __future__ import annotations

import io
import json
from functools import cache
from importlib import resources
from typing import Any

import fastavro
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

MAGIC = b"\xc3\x01"


class AvroCodec:
    def __init__(self, schema_name: str) -> None:
        text = resources.files("schemas.avro").joinpath(f"{schema_name}.avsc").read_text()
        self.schema = parse_schema(json.loads(text))
        canonical = to_parsing_canonical_form(self.schema)
        # fastavro gives the fingerprint's bytes in wire (little-endian) order already.
        self.fingerprint = bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))
        self._header = MAGIC + self.fingerprint

    def encode(self, record: dict[str, Any]) -> bytes:
        buffer = io.BytesIO()
        buffer.write(self._header)
        fastavro.schemaless_writer(buffer, self.schema, record)
        return buffer.getvalue()

    def decode(self, payload: bytes) -> dict[str, Any]:
        if payload[:2] != MAGIC:
            raise ValueError("not Avro single-object encoded (bad magic)")
        if payload[2:10] != self.fingerprint:
            raise ValueError(f"unknown schema fingerprint {payload[2:10].hex()}")
        try:
            return fastavro.schemaless_reader(io.BytesIO(payload[10:]), self.schema, None)
        except Exception as exc:  # fastavro raises IndexError, EOFError... on corrupt bodies
            raise ValueError(f"corrupt Avro body: {exc!r}") from exc


@cache
def codec(schema_name: str) -> AvroCodec:
    return AvroCodec(schema_name)
