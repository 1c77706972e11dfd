"""Many searches, many SSE clients, one API process: did every client get every event, in order?

`run_load()` starts `searches` distinct searches at once and opens `clients` streams spread over
them, reads every stream to its end, then compares what each client received with the search's
event log in Redis (the truth): events lost, duplicated or out of order, and TOTALs per client.
It samples the API's resident memory (its /metrics) before, during and after.
Used by tests/test_reliability.py (CI size) and bench/soak.py (full size, repeated).
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import time
from dataclasses import dataclass, field

import aiohttp
import redis

ROUTES = [("DEL", "BOM"), ("BLR", "GOI"), ("BOM", "DEL"), ("MAA", "CCU"), ("HYD", "BLR"), ("CCU", "DEL"),
          ("GOI", "BLR"), ("BOM", "BLR"), ("DEL", "HYD"), ("PNQ", "DEL")]


@dataclass
class LoadReport:
    searches: int = 0
    clients: int = 0
    events_logged: int = 0  # in Redis, summed over clients (what they should have received)
    events_received: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    clients_without_one_total: int = 0
    client_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rss_before_mb: float = 0.0
    rss_peak_mb: float = 0.0
    rss_after_mb: float = 0.0
    sse_clients_after: float = -1
    followed_after: float = -1

    def line(self) -> str:
        return (f"{self.searches} searches, {self.clients} SSE clients in {self.seconds:.1f} s: "
                f"{self.events_received}/{self.events_logged} events received, lost {self.lost}, duplicated "
                f"{self.duplicated}, out of order {self.out_of_order}, clients without exactly one TOTAL "
                f"{self.clients_without_one_total}, errors {len(self.client_errors)}; API RSS "
                f"{self.rss_before_mb:.0f} MB before, {self.rss_peak_mb:.0f} MB peak, {self.rss_after_mb:.0f} MB "
                f"after; open streams after {self.sse_clients_after:.0f}, followed searches after "
                f"{self.followed_after:.0f}")


async def metric(session: aiohttp.ClientSession, api: str, name: str) -> float:
    async with session.get(f"{api}/metrics") as response:
        for line in (await response.text()).splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{}"):
                return float(line.rsplit(" ", 1)[1])
    return float("nan")


async def read_stream(session: aiohttp.ClientSession, url: str) -> list[tuple[str, str]]:
    """(id, event type) of every event until the server closes the stream."""
    received: list[tuple[str, str]] = []
    async with session.get(url) as response:
        if response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response.status}: {(await response.text())[:200]}")
        fields: dict[str, str] = {}
        async for raw in response.content:
            line = raw.decode().rstrip("\r\n")
            if line.startswith(":"):
                continue
            if line:
                name, _, value = line.partition(": ")
                fields[name] = value
                continue
            if "data" in fields:
                if not (fields["data"].startswith("{") and fields["data"].endswith("}")):
                    raise ValueError(f"{url}: an event's data is not a whole JSON object")
                received.append((fields.get("id", ""), fields.get("event", "message")))
            fields = {}
    return received


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


async def run_load(api: str, redis_url: str, prefix: str, searches: int, clients: int,
                   sources: str = "mmt,ixigo", offset: int = 0, timeout: float = 300) -> LoadReport:
    """`offset` numbers the searches (route and day), so successive runs never repeat one (which the
    API would share with the earlier task, by design)."""
    report = LoadReport(searches=searches, clients=clients)
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        report.rss_before_mb = await metric(session, api, "process_resident_memory_bytes") / 2**20
        peak = report.rss_before_mb
        sampling = True

        async def sample() -> None:
            nonlocal peak
            while sampling:
                try:
                    peak = max(peak, await metric(session, api, "process_resident_memory_bytes") / 2**20)
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.5)

        sampler = asyncio.ensure_future(sample())
        started = time.monotonic()
        starts = asyncio.Semaphore(50)

        async def start_one(n: int) -> str:
            k = offset + n
            origin, destination = ROUTES[k % len(ROUTES)]
            query = {"from": origin, "to": destination, "travel_date": f"+{1 + (k // len(ROUTES)) % 360}",
                     "sources": sources}
            async with starts, session.get(f"{api}/api/flight/start", params=query) as response:
                body = await response.json()
                if response.status != 200:
                    raise RuntimeError(f"start: HTTP {response.status}: {body}")
                return body["task_id"]

        per_search = [clients // searches + (1 if i < clients % searches else 0) for i in range(searches)]

        async def search_with_clients(n: int) -> tuple[str, list[list[tuple[str, str]] | BaseException]]:
            task_id = await start_one(n)
            url = f"{api}/api/flight/stream/{task_id}"
            streams = await asyncio.gather(*(read_stream(session, url) for _ in range(per_search[n])),
                                           return_exceptions=True)
            return task_id, streams

        results = await asyncio.gather(*(search_with_clients(n) for n in range(searches)))
        report.seconds = time.monotonic() - started
        sampling = False
        await sampler
        # Let the API drop what it kept for the streams, then read its memory again.
        for _ in range(40):
            report.sse_clients_after = await metric(session, api, "flightcrawl_sse_clients")
            report.followed_after = await metric(session, api, "flightcrawl_followed_tasks")
            if report.sse_clients_after == 0 and report.followed_after == 0:
                break
            await asyncio.sleep(0.25)
        await asyncio.sleep(1.0)
        report.rss_after_mb = await metric(session, api, "process_resident_memory_bytes") / 2**20
        report.rss_peak_mb = max(peak, report.rss_after_mb)
    client = redis.Redis.from_url(redis_url)
    try:
        for task_id, streams in results:
            truth = [(i.decode(), f[b"t"].decode()) for i, f in client.xrange(f"{prefix}:task:{task_id}:events")]
            for stream in streams:
                report.events_logged += len(truth)
                if isinstance(stream, BaseException):
                    report.client_errors.append(f"{task_id}: {type(stream).__name__}: {stream}")
                    report.lost += len(truth)
                    report.clients_without_one_total += 1
                    continue
                report.events_received += len(stream)
                ids = [i for i, _ in stream]
                report.duplicated += len(ids) - len(set(ids))
                report.out_of_order += sum(1 for a, b in itertools.pairwise(ids) if _id_key(a) >= _id_key(b))
                report.lost += len(set(truth) - set(stream))
                if [t for _, t in stream].count("TOTAL") != 1 or stream[-1][1] != "TOTAL":
                    report.clients_without_one_total += 1
    finally:
        client.close()
    del results
    gc.collect()
    return report
