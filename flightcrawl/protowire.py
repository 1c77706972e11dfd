"""The protobuf wire format, just enough for Google Flights' `tfs` query message.

Varints and length-delimited fields, written by hand so a few bytes of query do not need a
protobuf dependency. The encoder writes fields in the order given (callers give them in
field-number order, as protobuf's own serializers do); the decoder reads any order, both
packed and unpacked repeated varints, and raises ValueError on a malformed message.
"""

from __future__ import annotations

from collections.abc import Iterable

VARINT = 0
FIXED64 = 1
LEN = 2
FIXED32 = 5


def varint(value: int) -> bytes:
    if value < 0:
        raise ValueError(f"varint: {value} is negative (not needed here)")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def tag(field: int, wire_type: int) -> bytes:
    return varint(field << 3 | wire_type)


def varint_field(field: int, value: int) -> bytes:
    return tag(field, VARINT) + varint(value)


def len_field(field: int, payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return tag(field, LEN) + varint(len(data)) + data


def packed_field(field: int, values: Iterable[int]) -> bytes:
    """A repeated varint field, packed (the proto3 default for repeated enums)."""
    return len_field(field, b"".join(varint(v) for v in values))


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """(value, next position); ValueError when the varint runs past the end or is too long."""
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("protobuf: varint runs past the end of the message")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ValueError("protobuf: varint longer than 10 bytes")


def fields(data: bytes) -> list[tuple[int, int, int | bytes]]:
    """Every (field number, wire type, value) of a message: ints for varints, bytes otherwise."""
    found: list[tuple[int, int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        field, wire_type = key >> 3, key & 7
        if field == 0:
            raise ValueError("protobuf: field number 0")
        value: int | bytes
        if wire_type == VARINT:
            value, pos = read_varint(data, pos)
        elif wire_type == LEN:
            size, pos = read_varint(data, pos)
            if pos + size > len(data):
                raise ValueError(f"protobuf: field {field} runs past the end of the message")
            value, pos = data[pos:pos + size], pos + size
        elif wire_type in (FIXED64, FIXED32):
            size = 8 if wire_type == FIXED64 else 4
            if pos + size > len(data):
                raise ValueError(f"protobuf: field {field} runs past the end of the message")
            value, pos = data[pos:pos + size], pos + size
        else:
            raise ValueError(f"protobuf: unsupported wire type {wire_type} in field {field}")
        found.append((field, wire_type, value))
    return found


def unpack_varints(value: int | bytes) -> list[int]:
    """A repeated varint field's entries, whether it came packed (bytes) or one by one (int)."""
    if isinstance(value, int):
        return [value]
    out, pos = [], 0
    while pos < len(value):
        number, pos = read_varint(value, pos)
        out.append(number)
    return out
