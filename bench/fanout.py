"""SSE fan-out: many clients on one API process (distributed mode).

    python -m bench.fanout [--clients 10000] [--procs 4]

Client processes (`--procs`) each hold `clients/procs` SSE connections. Measured: the API's
resident memory idle, with every client connected to an open search, and after; memory per
client; and event delivery delay = receive time - the event's Redis Stream entry time (the
entry id is the append time in ms), p50/p99, for the events of that search.
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
import time

import aiohttp

from bench.limits import API_ENV, UNTHROTTLED
from tests.services import REDIS_URL, api, clean_redis, new_prefix, sandbox, set_faults, start_search, worker


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def client_process(url: str, count: int, ready: multiprocessing.Queue, results: multiprocessing.Queue) -> None:
    async def one(session: aiohttp.ClientSession, delays: list[float], connected: list[int]) -> None:
        async with session.get(url) as response:
            connected[0] += 1
            async for line in response.content:
                if line.startswith(b"id: "):
                    stamp = int(line[4:].split(b"-")[0]) / 1000
                    delays.append(time.time() - stamp)

    async def main() -> None:
        delays: list[float] = []
        connected = [0]
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=600)) as session:
            tasks = [asyncio.ensure_future(one(session, delays, connected)) for _ in range(count)]
            while connected[0] < count:
                await asyncio.sleep(0.05)
            ready.put(count)
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        errors = [repr(o) for o in outcomes if isinstance(o, BaseException)]
        results.put((delays, errors[:3], len(errors)))

    asyncio.run(main())


def main(args: argparse.Namespace) -> None:
    box, box_base, host_map = sandbox()
    asyncio.run(set_faults(box_base, {}, rate_limit=False, delays={"mmt": 8.0, "ixigo": 9.0}))
    prefix = new_prefix()
    env = {"REDIS_URL": REDIS_URL, "FLIGHTCRAWL_REDIS_PREFIX": prefix, "FLIGHTCRAWL_HOST_MAP": host_map}
    procs = [worker("mmt", env, *UNTHROTTLED), worker("ixigo", env, *UNTHROTTLED)]
    server, base = api({**env, **API_ENV}, "--deadline", "60")
    procs.append(server)
    try:
        time.sleep(1)
        idle = rss_mb(server.pid)
        task = asyncio.run(start_search(base, travel_date="+45"))["task_id"]
        url = f"{base}/api/flight/stream/{task}"
        ready, results = multiprocessing.Queue(), multiprocessing.Queue()
        per = args.clients // args.procs
        started = time.perf_counter()
        clients = [multiprocessing.Process(target=client_process, args=(url, per, ready, results))
                   for _ in range(args.procs)]
        for c in clients:
            c.start()
        connected = sum(ready.get(timeout=300) for _ in clients)
        connect_s = time.perf_counter() - started
        loaded = rss_mb(server.pid)
        delays, errors = [], 0
        for _ in clients:
            got, samples, failed = results.get(timeout=300)
            delays += got
            errors += failed
            if samples:
                print("client errors:", samples)
        for c in clients:
            c.join()
        time.sleep(2)
        after = rss_mb(server.pid)
    finally:
        for proc in reversed(procs):
            proc.stop()
        box.stop()
        clean_redis(prefix)
    delays.sort()
    p99 = delays[int(0.99 * (len(delays) - 1))]
    print(f"# SSE fan-out ({dt.date.today()}, {platform.node()}, {os.cpu_count()} cores, clients in {args.procs} "
          f"processes on the same machine)")
    print("| clients connected | connect all (s) | API RSS idle MB | with clients MB | after MB | KB per client | "
          "events delivered | delay p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {connected} | {connect_s:.1f} | {idle:.0f} | {loaded:.0f} | {after:.0f} | "
          f"{(loaded - idle) * 1024 / max(1, connected):.1f} | {len(delays)} | "
          f"{statistics.median(delays) * 1000:.0f} | "
          f"{p99 * 1000:.0f} |")
    print(json.dumps({"clients": connected, "events": len(delays), "client_errors": errors}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10000)
    parser.add_argument("--procs", type=int, default=4)
    main(parser.parse_args())
