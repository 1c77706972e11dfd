"""Server-Sent Events on the wire: each event's bytes made once, written to every client as is.

aiohttp-sse's `send()` builds each frame per client: a regex split of the data, a StringIO,
and a UTF-8 encode of the whole text. For a 300 KB TOTAL to 10,000 clients that is 3 GB of
encoding; profiled as the API's largest self cost at one search in flight. Here the frame is
built once per event (`frame`), and so is what goes on the wire (`Wire`): the HTTP chunk
around it and, for a client that accepts it, its deflate-compressed form.

Compression (`Content-Encoding: deflate`, a zlib stream) is shared too. Each event is
compressed on its own by a fresh compressor and sync-flushed, so it never refers back to
bytes another client may not have seen; a client's stream is the zlib header, the events'
compressed chunks in its own order, and at the end a final empty block and the Adler-32 of
everything it was sent (combined per event, never recomputed over the bytes). The JSON
compresses 13-18x, so 10,000 clients of one search take a tenth of the bytes and syscall work.

`FrameResponse.push` writes an event without awaiting (fanout.py calls it for every caught-up
client in one loop); it reports a client whose buffer is full, which then drains with
`send_timeout`, as aiohttp-sse's `send()` would: a stalled client is cut off.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

from aiohttp import web
from aiohttp_sse import EventSourceResponse

SEP = EventSourceResponse.DEFAULT_SEPARATOR  # the frames below are what its send() would write
LEVEL = 3  # 13-14x on our JSON at a third of level 6's time (measured: 0.6 ms for 200 KB)
# An event written to many clients is compressed harder: the cost is paid once, the saving per
# client (a 290-option TOTAL: 22.7 KB at level 3, 18.7 KB at 6, for 1.5 ms more).
WIDE_LEVEL, WIDE_AUDIENCE = 6, 32
ZLIB_HEADER = b"\x78\x5e"  # deflate, 32 KB window, "fast" level flag (RFC 1950)
FINAL_BLOCK = b"\x03\x00"  # an empty final block with fixed codes: what compress(b"") ends with
ADLER_BASE = 65521


def frame(id_: str | None, event: str | None, data: str) -> bytes:
    lines = []
    if id_ is not None:
        if EventSourceResponse.LINE_SEP_EXPR.search(id_) or "\0" in id_:
            raise ValueError("id must not contain line separators or null characters")
        lines.append(f"id: {id_}")
    if event is not None:
        if EventSourceResponse.LINE_SEP_EXPR.search(event):
            raise ValueError("event must not contain line separators")
        lines.append(f"event: {event}")
    if "\n" in data or "\r" in data:  # never for our compact JSON: skip the regex over 300 KB
        lines.extend(f"data: {chunk}" for chunk in EventSourceResponse.LINE_SEP_EXPR.split(data))
    else:
        lines.append(f"data: {data}")
    return (SEP.join(lines) + SEP + SEP).encode("utf-8")


def deflate(payload: bytes, level: int = LEVEL) -> bytes:
    """`payload` as deflate blocks that stand alone (no reference to earlier bytes), byte-aligned."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)


def adler32_combine(first: int, second: int, second_length: int) -> int:
    """Adler-32 of A + B from the checksums of A and B and the length of B (zlib's adler32_combine)."""
    rem = second_length % ADLER_BASE
    sum1 = first & 0xFFFF
    sum2 = (rem * sum1) % ADLER_BASE
    sum1 = (sum1 + (second & 0xFFFF) + ADLER_BASE - 1) % ADLER_BASE
    sum2 = (sum2 + ((first >> 16) & 0xFFFF) + ((second >> 16) & 0xFFFF) + ADLER_BASE - rem) % ADLER_BASE
    return sum1 | (sum2 << 16)


def http_chunk(payload: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(payload), payload)


class Wire:
    """What one payload (an event's frame, a ping) looks like on the wire, in each form, made once."""

    __slots__ = ("payload", "adler", "level", "_forms")

    def __init__(self, payload: bytes, audience: int = 1) -> None:
        """`audience`: how many clients it is first written to."""
        self.payload = payload
        self.level = WIDE_LEVEL if audience >= WIDE_AUDIENCE else LEVEL
        self.adler = zlib.adler32(payload)
        self._forms: dict[tuple[bool, bool], bytes] = {}

    def form(self, deflated: bool, chunked: bool) -> bytes:
        key = (deflated, chunked)
        data = self._forms.get(key)
        if data is None:
            data = self._forms.get((deflated, False))
            if data is None:
                data = deflate(self.payload, self.level) if deflated else self.payload
                self._forms[(deflated, False)] = data
            if chunked:
                data = http_chunk(data)
                self._forms[key] = data
        return data


PING = Wire(f": ping{SEP}{SEP}".encode())


def accepts_deflate(request: web.BaseRequest) -> bool:
    """Whether the client accepts `deflate` (q=0 refuses it)."""
    for part in request.headers.get("Accept-Encoding", "").lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("deflate", "*"):
            q = params.strip()
            return not (q.startswith("q=") and float(q[2:] or 0) == 0)
    return False


class FrameResponse(EventSourceResponse):
    """An SSE response written with shared bytes (`Wire`); DeflatedFrameResponse compresses."""

    deflated = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.deflated:
            self.headers["Content-Encoding"] = "deflate"
        self.headers["Vary"] = "Accept-Encoding"
        self._adler = 1  # Adler-32 of everything sent so far, uncompressed
        self._chunked = True
        self._ended = False

    async def prepare(self, request: web.BaseRequest) -> Any:
        if self.prepared:  # aiohttp prepares a returned response again: nothing more to send
            return await super().prepare(request)
        writer = await super().prepare(request)
        self._chunked = self._payload_writer.chunked
        # aiohttp holds the headers back until the first write; frames go to the transport itself.
        self._payload_writer.send_headers()
        if self.deflated:
            self._transport().write(http_chunk(ZLIB_HEADER) if self._chunked else ZLIB_HEADER)
        return writer

    def _transport(self) -> asyncio.Transport:
        transport = self._req.transport if self._req is not None else None
        if transport is None or transport.is_closing():
            raise ConnectionResetError("the client has gone")
        return transport

    def push(self, wire: Wire) -> bool:
        """Write now, without awaiting; True when the client's buffer is over its limit (drain it)."""
        transport = self._transport()
        transport.write(wire.form(self.deflated, self._chunked))
        if self.deflated:
            self._adler = adler32_combine(self._adler, wire.adler, len(wire.payload))
        return transport.get_write_buffer_size() > transport.get_write_buffer_limits()[1]

    async def drain(self) -> None:
        """Wait until the client has taken what was written; a stalled client is cut off."""
        try:
            async with asyncio.timeout(self._send_timeout):
                await self._payload_writer.drain()
        except TimeoutError:
            self.stop_streaming()
            self._abort_transport()
            raise

    async def send_wire(self, wire: Wire) -> None:
        try:
            if self.push(wire):
                await self.drain()
        except ConnectionResetError:
            self.stop_streaming()
            raise

    async def write_eof(self, data: bytes = b"") -> None:
        if self.deflated and not self._ended:
            self._ended = True
            end = FINAL_BLOCK + self._adler.to_bytes(4, "big")
            try:
                self._transport().write(http_chunk(end) if self._chunked else end)
            except ConnectionResetError:
                pass
        await super().write_eof(data)

    async def _ping(self) -> None:
        # aiohttp-sse's ping, written as every frame is (compressed, counted in the checksum).
        while True:
            await asyncio.sleep(self._ping_interval)
            try:
                await self.send_wire(PING)
            except TimeoutError:
                break
            except (ConnectionResetError, RuntimeError):
                break


class DeflatedFrameResponse(FrameResponse):
    deflated = True
