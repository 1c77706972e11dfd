"""Writing Server-Sent Events frames the way the replicated sites do."""

from __future__ import annotations

from aiohttp import web


def frame(data: str | None = None, *, id: str | None = None, event: str | None = None) -> bytes:
    lines = []
    if id is not None:
        lines.append(f"id: {id}")
    if event is not None:
        lines.append(f"event: {event}")
    if data is not None:
        lines.extend(f"data: {line}" for line in data.split("\n"))
    return ("\n".join(lines) + "\n\n").encode()


async def open_stream(request: web.Request, headers: dict[str, str] | None = None) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8",
                                           "Cache-Control": "no-cache", **(headers or {})})
    await response.prepare(request)
    return response


async def cut_here(request: web.Request, response: web.StreamResponse, partial: bytes) -> None:
    """Send part of a frame, then drop the connection without finishing the chunked body."""
    await response.write(partial)
    if request.transport is not None:
        request.transport.close()
