"""SSE frames are made once per event: byte for byte what aiohttp-sse's send() writes."""

import asyncio

import pytest
from aiohttp_sse import EventSourceResponse

from flightcrawl.api import sse
from flightcrawl.api.backend import Event


def written_by_send(data: str, id_: str | None, event: str | None) -> bytes:
    response = EventSourceResponse()
    chunks: list[bytes] = []

    async def write(payload: bytes) -> None:
        chunks.append(payload)

    response.write = write
    asyncio.run(response.send(data, id=id_, event=event))
    return b"".join(chunks)


@pytest.mark.parametrize("data, id_, event", [
    ('{"options":[{"airline":"IndiGo ✈","price":5101}]}', "1733212345678-0", "partial"),
    ("line one\nline two\r\nline three\rfour", "7", "progress"),
    ("", None, None),
])
def test_frame_is_what_send_writes(data, id_, event):
    assert sse.frame(id_, event, data) == written_by_send(data, id_, event)


def test_an_event_parses_logged_text_only_when_read_and_frames_once():
    event = Event("1-0", "partial", text='{"source":"mmt","options":[]}')
    assert event._data is None  # streaming it never parses it
    frame = event.frame()
    assert frame is event.frame() and frame.startswith(b"id: 1-0\r\nevent: partial\r\ndata: {")
    assert event.data == {"source": "mmt", "options": []}
    assert Event("2", "TOTAL", {"a": "é"}).text() == '{"a":"é"}'


def test_an_id_with_a_line_break_is_refused_like_send_refuses_it():
    with pytest.raises(ValueError):
        sse.frame("1\n2", "partial", "{}")
