"""Delivery to many clients (api/fanout.py) and the shared, compressed wire (api/sse.py)."""

import asyncio
import random
import zlib

import aiohttp
import pytest
from aiohttp import web

from flightcrawl.api import sse
from flightcrawl.api.backend import Event
from flightcrawl.api.fanout import SearchLog


class FakeSink:
    """Records what was written; `full` makes push() report a full buffer."""

    def __init__(self, full: bool = False, gone: bool = False) -> None:
        self.frames: list[bytes] = []
        self.full, self.gone = full, gone
        self.drains = 0

    def push(self, wire: sse.Wire) -> bool:
        if self.gone:
            raise ConnectionResetError("gone")
        self.frames.append(wire.payload)
        return self.full

    async def send_wire(self, wire: sse.Wire) -> None:
        if self.push(wire):
            await self.drain()

    async def drain(self) -> None:
        self.drains += 1
        self.full = False
        await asyncio.sleep(0)


def numbered(n: int, type_: str = "progress") -> Event:
    return Event(str(n), type_, {"n": n})


def test_live_clients_get_every_event_once_in_order_and_stop_at_total():
    async def run() -> tuple[list[FakeSink], SearchLog]:
        log = SearchLog()
        log.append(numbered(1))
        sinks = [FakeSink() for _ in range(50)]
        tasks = [asyncio.ensure_future(log.stream(s)) for s in sinks]
        await asyncio.sleep(0)
        assert log.live_clients() == 50  # caught up on event 1, now live
        for n in range(2, 6):
            log.append(numbered(n, "partial"))
        log.append(numbered(6, "TOTAL"))
        log.append(numbered(7))  # after TOTAL: nobody is sent it
        await asyncio.wait_for(asyncio.gather(*tasks), 2)
        return sinks, log

    sinks, log = asyncio.run(run())
    expected = [e.frame() for e in log.events[:6]]
    assert all(s.frames == expected for s in sinks)
    assert log.live_clients() == 0


def test_a_client_with_a_full_buffer_drains_then_catches_up_and_others_are_not_held():
    async def run() -> tuple[FakeSink, FakeSink, list[Event]]:
        log = SearchLog()
        slow, quick = FakeSink(), FakeSink()
        tasks = [asyncio.ensure_future(log.stream(s)) for s in (slow, quick)]
        await asyncio.sleep(0)
        slow.full = True
        log.append(numbered(1, "partial"))  # slow's buffer is full after this one: it leaves the live set
        assert log.live_clients() == 1
        log.append(numbered(2, "partial"))  # written to quick at once; slow catches up after draining
        assert len(quick.frames) == 2
        log.append(numbered(3, "TOTAL"))
        await asyncio.wait_for(asyncio.gather(*tasks), 2)
        return slow, quick, log.events

    slow, quick, events = asyncio.run(run())
    assert slow.frames == quick.frames == [e.frame() for e in events]
    assert slow.drains == 1


def test_a_client_that_left_does_not_stop_the_others():
    async def run() -> tuple[list[BaseException | None], FakeSink]:
        log = SearchLog()
        gone, staying = FakeSink(), FakeSink()
        tasks = [asyncio.ensure_future(log.stream(s)) for s in (gone, staying)]
        await asyncio.sleep(0)
        gone.gone = True
        log.append(numbered(1, "partial"))
        log.append(numbered(2, "TOTAL"))
        results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 2)
        return results, staying

    results, staying = asyncio.run(run())
    assert isinstance(results[0], ConnectionResetError) and results[1] is None
    assert len(staying.frames) == 2


def test_a_failed_log_ends_its_live_clients_with_the_error():
    async def run() -> BaseException:
        log = SearchLog()
        task = asyncio.ensure_future(log.stream(FakeSink()))
        await asyncio.sleep(0)
        log.fail(ConnectionError("redis gone"))
        return (await asyncio.gather(task, return_exceptions=True))[0]

    assert isinstance(asyncio.run(run()), ConnectionError)


@pytest.mark.parametrize("seed", range(5))
def test_adler32_combine_is_the_checksum_of_the_concatenation(seed):
    rng = random.Random(seed)
    a, b = rng.randbytes(rng.randrange(0, 200_000)), rng.randbytes(rng.randrange(0, 200_000))
    assert sse.adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)


@pytest.mark.parametrize("header, accepted", [
    ("gzip, deflate, br, zstd", True), ("deflate;q=0.5", True), ("deflate;q=0", False), ("gzip", False),
    ("", False), ("*", True), ("identity", False),
])
def test_accepts_deflate(header, accepted):
    from aiohttp.test_utils import make_mocked_request

    assert sse.accepts_deflate(make_mocked_request("GET", "/", headers={"Accept-Encoding": header})) is accepted


async def _serve(handler) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/"


def test_each_clients_compressed_stream_is_valid_whatever_it_joined_for():
    """Events compressed once, sent to clients that joined at different points and resumed:
    every stream inflates (checksum verified by zlib) to exactly the frames it was sent."""
    log = SearchLog()

    async def handler(request: web.Request) -> web.StreamResponse:
        response = sse.DeflatedFrameResponse(ping_interval=0.05)  # pings land between events
        await response.prepare(request)
        await log.stream(response, None)
        await response.write_eof()
        return response

    async def run() -> list[tuple[bytes, bytes]]:
        runner, url = await _serve(handler)
        try:
            async with aiohttp.ClientSession(auto_decompress=False) as session:
                async def client() -> bytes:
                    async with session.get(url) as response:
                        assert response.headers["Content-Encoding"] == "deflate"
                        return await response.read()
                early = asyncio.ensure_future(client())
                await asyncio.sleep(0.1)
                log.append(Event("1", "progress", {"status": "Searching..."}))
                options = [{"price": p, "airline": "IndiGo ✈"} for p in range(3000)]
                log.append(Event("2", "partial", {"options": options}))
                late = asyncio.ensure_future(client())
                await asyncio.sleep(0.2)
                log.append(Event("3", "TOTAL", {"flights": list(range(5000))}))
                return [(raw, b"".join(e.frame() for e in log.events)) for raw in await asyncio.gather(early, late)]
        finally:
            await runner.cleanup()

    for raw, frames in asyncio.run(run()):
        inflater = zlib.decompressobj()
        text = inflater.decompress(raw)
        assert inflater.eof and not inflater.unused_data  # a whole zlib stream, Adler-32 checked
        assert text.replace(b": ping\r\n\r\n", b"") == frames
        assert len(raw) < len(frames) / 5


def test_a_stalled_client_is_cut_off_after_the_send_timeout_and_the_others_finish():
    log = SearchLog()
    outcomes: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        response = sse.FrameResponse(send_timeout=0.5)
        await response.prepare(request)
        try:
            await log.stream(response, None)
            outcomes.append("done")
        except (TimeoutError, ConnectionResetError):
            outcomes.append("cut off")
        return response

    async def run() -> bytes:
        runner, url = await _serve(handler)
        try:
            host, port = url.split("/")[2].split(":")
            reader, writer = await asyncio.open_connection(host, int(port))  # sends a request, never reads
            writer.write(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            await writer.drain()
            async with aiohttp.ClientSession() as session:
                async with session.get(url) as response:
                    await asyncio.sleep(0.1)
                    big = {"options": ["x" * 1000] * 2000}  # 2 MB a frame: the stalled socket fills
                    for n in range(1, 8):
                        log.append(Event(str(n), "partial", big))
                        await asyncio.sleep(0.05)
                    log.append(Event("8", "TOTAL", {}))
                    body = await asyncio.wait_for(response.read(), 10)
            await asyncio.sleep(1.0)  # the stalled one's send timeout passes
            writer.close()
            return body
        finally:
            await runner.cleanup()

    body = asyncio.run(run())
    assert body.count(b"event: partial") == 7 and body.endswith(b"event: TOTAL\r\ndata: {}\r\n\r\n")
    assert sorted(outcomes) == ["cut off", "done"]
