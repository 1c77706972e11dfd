"""SSE fan-out: many clients on one API process (distributed mode).

    python -m bench.fanout [--clients 10000] [--procs 4] [--sample 10] [--live 200]

Two scenarios, each with `--clients` SSE connections held by one API process, the clients in
`--procs` processes on this machine:

1. **Broadcast**: every client follows the same search (identical searches share a task, so a
   popular search is exactly this). The search is started while no worker runs (its jobs wait
   in Redis) and all clients connect; the API's memory is read then (clients held, idle). Then
   the workers start and the search runs: every client receives its events live.
2. **Held + live**: the clients follow searches that stay pending (a site with no worker, 100
   clients each), and while they are held, `--live` searches run one after another through
   the same API with one client each: is delivery to those slowed by the 10,000 held?

Delivery delay = receive time - the event's Redis Stream entry time (an entry id is its append
time in ms), per event type, live events only. One client in `--sample` decompresses its stream
and timestamps each event as it arrives (TOTAL is parsed after its time is taken); the others
read every byte and discard it, so 10,000 decoders on this machine's 2 cores (the clients' CPU,
on their own machines in real life) do not stand in for the server's delivery time. Every
client's stream is checked complete: the end of its deflate stream (after TOTAL, the server
ends it), or TOTAL itself for a sampled client.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import platform
import statistics
import sys
import threading
import time
import urllib.parse

import aiohttp

from bench.limits import API_ENV, UNTHROTTLED
from bench.overhead import cpu_seconds
from flightcrawl import fastjson
from flightcrawl.api.sse import FINAL_BLOCK
from tests.services import REDIS_URL, api, clean_redis, new_prefix, sandbox, set_faults, start_search, worker

DELAYS = {"mmt": 0.3, "ixigo": 0.5}
END = "TOTAL + end of stream (light clients)"
KINDS = ("progress", "partial", "source_done", "TOTAL", END)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def measured_client(session: aiohttp.ClientSession, url: str, delays: dict[str, list[float]],
                          marks: dict[str, float] | None = None) -> bool:
    """Reads like a browser's network stack: decompressed, every event timestamped on arrival. True on a whole TOTAL."""
    async with session.get(url) as response:
        connected_at = time.time()
        stamp, kind = 0.0, ""
        async for line in response.content:
            if line.startswith(b"id: "):
                stamp = int(line[4:].split(b"-")[0]) / 1000
            elif line.startswith(b"event: "):
                kind = line[7:].strip().decode()
            elif line.startswith(b"data: "):
                if stamp >= connected_at:  # live, not replayed from before the client came
                    delays.setdefault(kind, []).append(time.time() - stamp)  # received: before any parsing
                if kind == "TOTAL":
                    if marks is not None:
                        marks["TOTAL"] = stamp
                    # Checked whole, after its time is taken: parsing a 300 KB TOTAL in a client
                    # process that shares 2 cores with the server would otherwise be counted as
                    # delivery time for every client read after it.
                    return isinstance(fastjson.loads(line[6:]), dict)
    return False


class LightClient(asyncio.Protocol):
    """One SSE stream read straight off its socket, every byte counted and dropped (no HTTP client
    library: 10,000 aiohttp clients' parsing on these 2 cores would be measured as the server's
    slowness). Complete when the chunked body ends with the deflate stream's final block and
    checksum, then the last chunk: the server writes those only after TOTAL."""

    END = b"6\r\n" + FINAL_BLOCK  # the chunk holding the final block + Adler-32, then b"\r\n0\r\n\r\n"

    def __init__(self, request: bytes, received: list[int], connected: list[int], ends: list[float]) -> None:
        self.request, self.received, self.connected, self.ends = request, received, connected, ends
        self.done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.head = b""
        self.tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.connected[0] += 1
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.received[0] += len(data)
        if len(self.head) < 12:
            self.head += data[:12]
            if len(self.head) >= 12 and not self.head.startswith(b"HTTP/1.1 200"):
                self.transport.close()
                self.done.set_result(False)
                return
        self.tail = (self.tail + data)[-16:]
        if self.tail.endswith(b"\r\n0\r\n\r\n"):
            self.transport.close()
            self.ends.append(time.time())
            if not self.done.done():
                self.done.set_result(self.tail.startswith(self.END))

    def connection_lost(self, exc: Exception | None) -> None:
        self.connected[0] -= 1
        if not self.done.done():
            self.done.set_exception(exc or ConnectionResetError("closed before the end of the stream"))


async def light_client(url: str, received: list[int], connected: list[int], ends: list[float]) -> bool:
    parts = urllib.parse.urlsplit(url)
    request = (f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: text/event-stream\r\n"
               "Accept-Encoding: deflate\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(lambda: LightClient(request, received, connected, ends),
                                             parts.hostname, parts.port)
    return await client.done


def client_process(urls: list[str], sample: int, ready: multiprocessing.Queue, results: multiprocessing.Queue) -> None:
    async def main() -> None:
        delays: dict[str, list[float]] = {}
        received, connected, ends = [0], [0], []
        connector = aiohttp.TCPConnector(limit=0, force_close=True)
        timeout = aiohttp.ClientTimeout(total=900)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as browser:
            marks: dict[str, float] = {}
            tasks = [asyncio.ensure_future(measured_client(browser, url, delays, marks) if n % sample == 0
                                           else light_client(url, received, connected, ends))
                     for n, url in enumerate(urls)]
            started = time.monotonic()
            while len(browser.connector._acquired) + connected[0] < len(urls) \
                    and time.monotonic() - started < 600 and not all(t.done() for t in tasks):
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
            ready.put(len(urls))
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        errors = [repr(o) for o in outcomes if isinstance(o, BaseException)]
        complete = sum(1 for o in outcomes if o is True)
        if "TOTAL" in marks:  # the light clients' streams end after TOTAL: its delivery to them
            delays[END] = [end - marks["TOTAL"] for end in ends]
        results.put((delays, received[0], complete, errors[:3], len(errors)))

    asyncio.run(main())


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def sample_peak(pid: int, stop: threading.Event, peak: list[float]) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], rss_mb(pid))
        time.sleep(0.1)


def connect(urls: list[str], procs: int, sample: int) -> tuple[list, multiprocessing.Queue, int, float]:
    ready, results = multiprocessing.Queue(), multiprocessing.Queue()
    share = [urls[n::procs] for n in range(procs)]
    started = time.perf_counter()
    clients = [multiprocessing.Process(target=client_process, args=(part, sample, ready, results)) for part in share]
    for c in clients:
        c.start()
    connected = sum(ready.get(timeout=600) for _ in clients)
    return clients, results, connected, time.perf_counter() - started


def collect(clients: list, results: multiprocessing.Queue) -> tuple[dict[str, list[float]], int, int, int]:
    delays: dict[str, list[float]] = {}
    nbytes = complete = errors = 0
    for _ in clients:
        got, received, done, samples, failed = results.get(timeout=900)
        for kind, values in got.items():
            delays.setdefault(kind, []).extend(values)
        nbytes, complete, errors = nbytes + received, complete + done, errors + failed
        if samples:  # to stderr: the held + live scenario's clients are all cut when its API stops
            print("client errors:", samples, file=sys.stderr)
    for c in clients:
        c.join()
    return delays, nbytes, complete, errors


def delay_rows(delays: dict[str, list[float]]) -> list[str]:
    rows = ["| event (live) | deliveries measured | delay p50 ms | p99 ms | max ms |", "|---|---|---|---|---|"]
    for kind in KINDS:
        values = [v * 1000 for v in delays.get(kind, [])]
        if values:
            rows.append(f"| {kind} | {len(values)} | {statistics.median(values):.0f} | {pct(values, .99):.0f} | "
                        f"{max(values):.0f} |")
    every = [v * 1000 for kind, values in delays.items() if kind != END for v in values]
    if every:
        rows.append(f"| **all events, measured clients** | {len(every)} | {statistics.median(every):.0f} | "
                    f"**{pct(every, .99):.0f}** | "
                    f"{max(every):.0f} |")
    return rows


def broadcast(args: argparse.Namespace, env: dict[str, str]) -> list[str]:
    server, base = api({**env, **API_ENV}, "--deadline", "300")
    procs = [server]
    try:
        time.sleep(1)
        idle = rss_mb(server.pid)
        task = asyncio.run(start_search(base, travel_date="+45"))["task_id"]  # no worker yet: it waits
        clients, results, connected, connect_s = connect([f"{base}/api/flight/stream/{task}"] * args.clients,
                                                         args.procs, args.sample)
        time.sleep(2)
        held = rss_mb(server.pid)
        stop, peak = threading.Event(), [held]
        threading.Thread(target=sample_peak, args=(server.pid, stop, peak), daemon=True).start()
        run_started, api_cpu = time.perf_counter(), cpu_seconds(server.pid)
        procs += [worker("mmt", env, *UNTHROTTLED), worker("ixigo", env, *UNTHROTTLED)]  # the search runs now
        delays, nbytes, complete, errors = collect(clients, results)
        run_s, api_cpu = time.perf_counter() - run_started, cpu_seconds(server.pid) - api_cpu
        stop.set()
        time.sleep(2)
        after = rss_mb(server.pid)
    finally:
        for proc in reversed(procs):
            proc.stop()
    per_client = (held - idle) * 1024 / max(1, connected)
    return [
        f"**1. Broadcast**: {connected} clients on one search (1 in {args.sample} decoding every event)", "",
        "| clients connected | connect all (s) | API RSS idle MB | clients held (idle) MB | peak during the search MB "
        "| after MB | KB per client | streams complete | MB sent (compressed) | workers start -> all complete (s) "
        "| API CPU in that time (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {connected} | {connect_s:.1f} | {idle:.0f} | {held:.0f} | {peak[0]:.0f} | {after:.0f} | {per_client:.1f} "
        f"| {complete}/{connected} | {nbytes / 2**20:.0f} (light clients) | {run_s:.1f} | {api_cpu:.1f} |", "",
        *delay_rows(delays), "",
        json.dumps({"scenario": "broadcast", "clients": connected, "complete": complete, "client_errors": errors}), "",
    ]


async def live_searches(base: str, count: int) -> dict[str, list[float]]:
    delays: dict[str, list[float]] = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        for n in range(count):
            task = (await start_search(base, travel_date=f"+{100 + n % 200}"))["task_id"]
            await measured_client(session, f"{base}/api/flight/stream/{task}", delays)
    return delays


def held_and_live(args: argparse.Namespace, env: dict[str, str]) -> list[str]:
    server, base = api({**env, **API_ENV}, "--deadline", "300")  # the most serve allows: held searches outlast the run
    procs = [server, worker("mmt", env, *UNTHROTTLED), worker("ixigo", env, *UNTHROTTLED)]
    try:
        idle = rss_mb(server.pid)
        held_searches = max(1, args.clients // 100)
        # EaseMyTrip has no worker here: these searches stay pending, their clients held.
        tasks = [asyncio.run(start_search(base, travel_date=f"+{200 + n}", sources="emt"))["task_id"]
                 for n in range(held_searches)]
        urls = [f"{base}/api/flight/stream/{tasks[n % held_searches]}" for n in range(args.clients)]
        clients, results, connected, connect_s = connect(urls, args.procs, args.clients + 1)  # none decode
        time.sleep(2)
        held = rss_mb(server.pid)
        started = time.perf_counter()
        delays = asyncio.run(live_searches(base, args.live))
        live_s = time.perf_counter() - started
        during = rss_mb(server.pid)
    finally:
        for proc in reversed(procs):
            proc.stop()  # the held clients' streams end with the API
    _, _, _, errors = collect(clients, results)
    return [
        f"**2. Held + live**: {connected} clients held on {held_searches} pending searches while {args.live} "
        "searches run one after another, one client each", "",
        "| clients held | API RSS idle MB | held MB | after the live searches MB | KB per held client | "
        "live searches | their time (s) |", "|---|---|---|---|---|---|---|",
        f"| {connected} | {idle:.0f} | {held:.0f} | {during:.0f} | {(held - idle) * 1024 / max(1, connected):.1f} | "
        f"{args.live} | {live_s:.1f} |", "",
        *delay_rows(delays), "",
        json.dumps({"scenario": "held+live", "clients": connected, "client_errors_at_shutdown": errors}),
    ]


def main(args: argparse.Namespace) -> None:
    box, box_base, host_map = sandbox()
    asyncio.run(set_faults(box_base, {}, rate_limit=False, delays=DELAYS, density=args.density))
    lines = [f"# SSE fan-out ({dt.date.today()}, {platform.node()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}; one API process; clients in {args.procs} processes on the same machine; "
             f"density {args.density}, site delays MakeMyTrip 300 ms, ixigo 500 ms)", ""]
    try:
        for scenario in (broadcast, held_and_live):
            prefix = new_prefix()
            env = {"REDIS_URL": REDIS_URL, "FLIGHTCRAWL_REDIS_PREFIX": prefix, "FLIGHTCRAWL_HOST_MAP": host_map}
            try:
                lines += scenario(args, env)
            finally:
                clean_redis(prefix)
    finally:
        box.stop()
    print("\n".join(lines))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10000)
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--sample", type=int, default=10, help="one client in this many decodes every event")
    parser.add_argument("--live", type=int, default=200)
    parser.add_argument("--density", type=int, default=8)
    main(parser.parse_args())
