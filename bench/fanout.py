"""SSE fan-out: many clients on one API process (distributed mode).

    python -m bench.fanout [--clients 10000] [--procs 4]

A search is started while no worker runs (its jobs wait in Redis), and `--clients` SSE
clients, in `--procs` client processes, connect to it: the API's memory is read then (clients
held, idle). Then the workers start and the search runs: every client receives its events
live. Measured: resident memory idle, with the clients idle, during the search and after;
memory per client; and delivery delay = receive time - the event's Redis Stream entry time
(the entry id is the append time in ms), p50/p99 per event type, live events only.
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
import threading
import time

import aiohttp

from bench.limits import API_ENV, UNTHROTTLED
from tests.services import REDIS_URL, api, clean_redis, new_prefix, sandbox, set_faults, start_search, worker

DELAYS = {"mmt": 0.3, "ixigo": 0.5}


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def client_process(url: str, count: int, ready: multiprocessing.Queue, results: multiprocessing.Queue) -> None:
    async def one(session: aiohttp.ClientSession, delays: dict[str, list[float]], connected: list[int],
                  received: list[int]) -> None:
        async with session.get(url) as response:
            connected_at = time.time()
            connected[0] += 1
            stamp, kind = 0.0, ""
            async for line in response.content:
                received[1] += len(line)
                if line.startswith(b"id: "):
                    stamp = int(line[4:].split(b"-")[0]) / 1000
                elif line.startswith(b"event: "):
                    kind = line[7:].strip().decode()
                elif line.startswith(b"data: "):
                    received[0] += 1
                    if stamp >= connected_at:  # live, not replayed from before the client came
                        delays.setdefault(kind, []).append(time.time() - stamp)

    async def main() -> None:
        delays: dict[str, list[float]] = {}
        connected, received = [0], [0, 0]  # events, bytes
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=900)) as session:
            tasks = [asyncio.ensure_future(one(session, delays, connected, received)) for _ in range(count)]
            while connected[0] < count and not all(t.done() for t in tasks):
                await asyncio.sleep(0.05)
            ready.put(connected[0])
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        errors = [repr(o) for o in outcomes if isinstance(o, BaseException)]
        results.put((delays, received, errors[:3], len(errors)))

    asyncio.run(main())


def sample_peak(pid: int, stop: threading.Event, peak: list[float]) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], rss_mb(pid))
        time.sleep(0.1)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(args: argparse.Namespace) -> None:
    box, box_base, host_map = sandbox()
    asyncio.run(set_faults(box_base, {}, rate_limit=False, delays=DELAYS, density=args.density))
    prefix = new_prefix()
    env = {"REDIS_URL": REDIS_URL, "FLIGHTCRAWL_REDIS_PREFIX": prefix, "FLIGHTCRAWL_HOST_MAP": host_map}
    server, base = api({**env, **API_ENV}, "--deadline", "300")
    procs = [server]
    try:
        time.sleep(1)
        idle = rss_mb(server.pid)
        task = asyncio.run(start_search(base, travel_date="+45"))["task_id"]  # no worker yet: it waits
        url = f"{base}/api/flight/stream/{task}"
        ready, results = multiprocessing.Queue(), multiprocessing.Queue()
        per = args.clients // args.procs
        started = time.perf_counter()
        clients = [multiprocessing.Process(target=client_process, args=(url, per, ready, results))
                   for _ in range(args.procs)]
        for c in clients:
            c.start()
        connected = sum(ready.get(timeout=600) for _ in clients)
        connect_s = time.perf_counter() - started
        time.sleep(2)
        held = rss_mb(server.pid)
        stop, peak = threading.Event(), [held]
        sampler = threading.Thread(target=sample_peak, args=(server.pid, stop, peak), daemon=True)
        sampler.start()
        run_started = time.perf_counter()
        procs += [worker("mmt", env, *UNTHROTTLED), worker("ixigo", env, *UNTHROTTLED)]  # the search runs now
        delays: dict[str, list[float]] = {}
        events = nbytes = errors = 0
        for _ in clients:
            got, received, samples, failed = results.get(timeout=600)
            for kind, values in got.items():
                delays.setdefault(kind, []).extend(values)
            events, nbytes, errors = events + received[0], nbytes + received[1], errors + failed
            if samples:
                print("client errors:", samples)
        run_s = time.perf_counter() - run_started
        stop.set()
        for c in clients:
            c.join()
        time.sleep(2)
        after = rss_mb(server.pid)
    finally:
        for proc in reversed(procs):
            proc.stop()
        box.stop()
        clean_redis(prefix)
    per_client = (held - idle) * 1024 / max(1, connected)
    print(f"# SSE fan-out ({dt.date.today()}, {platform.node()}, {os.cpu_count()} cores; clients in {args.procs} "
          f"processes on the same machine; density {args.density}, site delays MakeMyTrip 300 ms, ixigo 500 ms)")
    print("| clients connected | connect all (s) | API RSS idle MB | clients held (idle) MB | peak during the search "
          "MB | after MB | KB per client | events delivered | MB delivered | workers start -> all have TOTAL (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {connected} | {connect_s:.1f} | {idle:.0f} | {held:.0f} | {peak[0]:.0f} | {after:.0f} | {per_client:.1f} "
          f"| {events} | {nbytes / 2**20:.0f} | {run_s:.1f} |")
    print("\n| event (live) | deliveries | delay p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|")
    for kind in ("progress", "partial", "source_done", "TOTAL"):
        values = [v * 1000 for v in delays.get(kind, [])]
        if values:
            print(f"| {kind} | {len(values)} | {statistics.median(values):.0f} | {pct(values, .99):.0f} | "
                  f"{max(values):.0f} |")
    print(json.dumps({"clients": connected, "events": events, "client_errors": errors}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10000)
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--density", type=int, default=8)
    main(parser.parse_args())
