"""Pick-up latency: a job pushed to Redis -> the site's first request, flightcrawl's worker
against stock scrapy-redis; and start -> TOTAL for a two-site search through the API.

    python -m bench.pickup [--jobs 200] [--stock-jobs 40] [--searches 50]

Everything runs on loopback against the sandbox and the machine's Redis (own key prefix).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import uuid

import redis
from aiohttp import web

from bench.limits import API_ENV, UNTHROTTLED
from flightcrawl.hostmap import format_host_map
from flightcrawl.query import today
from flightcrawl.sandbox.app import SandboxServer, create_app
from flightcrawl.sandbox.faults import SandboxConfig
from tests.services import REDIS_URL, api, clean_redis, new_prefix, read_sse, start_search, worker

ARRIVALS: dict[str, float] = {}
# Jobs arrive at random moments, not back to back: a queue read right after the previous job
# finished would hide the idle-heartbeat wait that stock scrapy-redis makes a job sit through.
SPACING = random.Random(7)


class RecordingSandbox(SandboxServer):
    """The sandbox, noting when each request arrives (keyed by the searched itinerary)."""

    async def start(self) -> RecordingSandbox:
        app = create_app(self.config)

        @web.middleware
        async def record(request: web.Request, handler):  # noqa: ANN001
            key = request.query.get("it") or request.query.get("job")
            if key and key not in ARRIVALS:
                ARRIVALS[key] = time.time()
            return await handler(request)

        app.middlewares.insert(0, record)
        app.router.add_get("/probe", lambda request: web.Response(text="ok"))
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        return self


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return {"n": len(ordered), "min": ordered[0], "p50": statistics.median(ordered), "p99": p99, "max": ordered[-1]}


def fmt(stats: dict[str, float]) -> str:
    return " | ".join(f"{stats[k] * 1000:.1f}" for k in ("min", "p50", "p99", "max"))


async def wait_arrival(key: str, timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if key in ARRIVALS:
            return ARRIVALS[key]
        await asyncio.sleep(0.0005)
    return None


async def flightcrawl_pickup(client: redis.Redis, prefix: str, jobs: int) -> list[float]:
    latencies = []
    base = today() + dt.timedelta(days=1)
    for n in range(jobs):
        day = base + dt.timedelta(days=n % 360)
        args = {"origin": "DEL", "destination": ["BOM", "BLR", "HYD", "MAA"][n // 360], "date": day.isoformat(),
                "adults": 1, "children": 0, "infants": 0, "cabin": "economy"}
        key = f"{args['origin']}-{args['destination']}-{day:%Y%m%d}"
        job = {"task_id": str(uuid.uuid4()), "site": "mmt", "args": args, "deadline": time.time() + 30}
        pushed = time.time()
        client.lpush(f"{prefix}:queue:mmt", json.dumps(job))
        arrived = await wait_arrival(key, 10)
        if arrived is None:
            raise RuntimeError(f"job {n} never reached the site")
        latencies.append(arrived - pushed)
        await asyncio.sleep(SPACING.uniform(0.05, 0.5))  # an idle worker, as between real searches
    return latencies


async def stock_pickup(client: redis.Redis, prefix: str, base_url: str, jobs: int) -> list[float]:
    latencies = []
    for n in range(jobs):
        key = f"stock-{n}"
        pushed = time.time()
        client.lpush(f"{prefix}:stock", json.dumps({"url": f"{base_url}/probe?job={key}"}))
        arrived = await wait_arrival(key, 15)
        if arrived is None:
            raise RuntimeError(f"stock job {n} never reached the site")
        latencies.append(arrived - pushed)
        await asyncio.sleep(SPACING.uniform(0.05, 0.5))
    return latencies


async def api_searches(api_base: str, searches: int) -> list[float]:
    elapsed = []
    for n in range(searches):
        started = time.perf_counter()
        task = await start_search(api_base, travel_date=f"+{200 + n}")
        events = await read_sse(f"{api_base}/api/flight/stream/{task['task_id']}")
        assert events[-1].event == "TOTAL"
        elapsed.append(time.perf_counter() - started)
    return elapsed


async def main(args: argparse.Namespace) -> None:
    prefix = new_prefix()
    client = redis.Redis.from_url(REDIS_URL)
    processes = []
    async with RecordingSandbox(SandboxConfig(rate_limit=False)) as sandbox:
        env = {"REDIS_URL": REDIS_URL, "FLIGHTCRAWL_REDIS_PREFIX": prefix,
               "FLIGHTCRAWL_HOST_MAP": format_host_map(sandbox.host_map)}
        try:
            processes.append(await asyncio.to_thread(worker, "mmt", env, *UNTHROTTLED))
            await asyncio.sleep(1.0)
            ours = await flightcrawl_pickup(client, prefix, args.jobs)

            stock = subprocess.Popen(
                [sys.executable, "-m", "scrapy", "runspider", "bench/stock_spider.py", "-s", f"REDIS_URL={REDIS_URL}",
                 "-s", f"REDIS_START_URLS_KEY={prefix}:stock", "-s", "LOG_LEVEL=WARNING",
                 "-s", "TELNETCONSOLE_ENABLED=False", "-s", "REMOTE_CONTROL_ENABLED=False"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **env})
            await asyncio.sleep(3.0)
            try:
                theirs = await stock_pickup(client, prefix, sandbox.base_url, args.stock_jobs)
            finally:
                stock.terminate()
                stock.wait()

            processes.append(await asyncio.to_thread(worker, "ixigo", env, *UNTHROTTLED))
            server, api_base = await asyncio.to_thread(api, {**env, **API_ENV})
            processes.append(server)
            distributed = await api_searches(api_base, args.searches)
        finally:
            for proc in processes:
                await asyncio.to_thread(proc.stop)
            clean_redis(prefix)
    ours_s, theirs_s, api_s = summary(ours), summary(theirs), summary(distributed)
    print(f"# Pick-up latency ({dt.date.today()}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()})")
    print("| | jobs | min ms | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|")
    print(f"| flightcrawl worker (BLMOVE in start()) | {ours_s['n']} | {fmt(ours_s)} |")
    print(f"| stock scrapy-redis RedisSpider (idle heartbeat) | {theirs_s['n']} | {fmt(theirs_s)} |")
    print(f"| ratio stock / flightcrawl (p50) | | | {theirs_s['p50'] / ours_s['p50']:.0f}x | | |")
    print(f"| start -> TOTAL, 2 sites via the API (distributed) | {api_s['n']} | {fmt(api_s)} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--stock-jobs", type=int, default=40)
    parser.add_argument("--searches", type=int, default=50)
    asyncio.run(main(parser.parse_args()))
