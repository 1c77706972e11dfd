"""JSON on the hot paths (site bodies, the event log, TOTAL): orjson, 3-10x the standard library.

Profiled: json decode/encode was a fifth of the API's CPU (every partial read back to build
TOTAL, TOTAL written once) and a twentieth of a worker's. Output is the same compact UTF-8
text json.dumps(..., ensure_ascii=False, separators=(",", ":")) gives. Input orjson refuses
is read again by the standard library, so what it accepts (NaN, huge integers) still parses
and an error is the standard library's JSONDecodeError with its message and position, as the
parsers' status reasons quote them.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

JSONDecodeError = json.JSONDecodeError
_OPTIONS = orjson.OPT_NON_STR_KEYS  # {0: n} becomes {"0": n}, as with json.dumps


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(bytes(data) if isinstance(data, memoryview) else data)


def dumps(value: Any) -> str:
    return orjson.dumps(value, option=_OPTIONS).decode()


def dumps_bytes(value: Any) -> bytes:
    return orjson.dumps(value, option=_OPTIONS)
