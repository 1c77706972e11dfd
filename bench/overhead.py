"""Overhead, throughput, and embedded against distributed, through the real API.

    python -m bench.overhead [--mode distributed|embedded|both] [--seconds 20] [--concurrency 24] [--code DIR]

`--code DIR` runs the workers and the API from another checkout's `flightcrawl` package (the
sandbox and this harness stay as they are): the same load against code before and after a change.

Sandbox site delays: MakeMyTrip 300 ms, ixigo 500 ms, 100+ options per site (density 8). Overhead is
what flightcrawl adds on top of the sites: start -> first `partial` minus the fastest site's
delay, and start -> TOTAL minus the slowest site's delay.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import os
import platform
import re
import statistics
import time

import aiohttp
import redis

from bench.limits import API_ENV, UNTHROTTLED, scrapy_args
from tests.services import REDIS_URL, api, clean_redis, new_prefix, sandbox, set_faults, worker

DELAYS = {"mmt": 0.3, "ixigo": 0.5}
ROUTES = [("DEL", "BOM"), ("BOM", "DEL"), ("DEL", "BLR"), ("BLR", "DEL"), ("BOM", "BLR"), ("BLR", "BOM"),
          ("DEL", "HYD"), ("HYD", "DEL"), ("BLR", "GOI"), ("DEL", "CCU"), ("MAA", "DEL"), ("BOM", "GOI")]
POOL = 72  # distinct searches the load cycles (12 routes x 6 days); warmed once, see bench/limits.py
_next = itertools.count()
CODE_ENV: dict[str, str] = {}  # PYTHONPATH of another checkout, for the processes under test (--code)


def search_params(n: int) -> dict[str, str]:
    origin, destination = ROUTES[n % len(ROUTES)]
    return {"from": origin, "to": destination, "travel_date": f"+{30 + (n // len(ROUTES)) % (POOL // len(ROUTES))}",
            "sources": "mmt,ixigo"}


def next_search() -> dict[str, str]:
    return search_params(next(_next) % POOL)


async def warm(base: str) -> None:
    """Every search of the pool once: the sandbox builds each answer, the workers their sessions."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        for batch in range(0, POOL, 8):
            await asyncio.gather(*(one_search(session, base) for _ in range(batch, min(POOL, batch + 8))))


async def one_search(session: aiohttp.ClientSession, base: str) -> dict[str, float]:
    started = time.perf_counter()
    async with session.get(f"{base}/api/flight/start", params=next_search()) as response:
        task = (await response.json())["task_id"]
    first_partial = None
    async with session.get(f"{base}/api/flight/stream/{task}") as response:
        async for line in response.content:
            if line.startswith(b"event: partial") and first_partial is None:
                first_partial = time.perf_counter() - started
            if line.startswith(b"event: TOTAL"):
                break
    total = time.perf_counter() - started
    return {"first": (first_partial or total) - min(DELAYS.values()), "total": total - max(DELAYS.values()),
            "elapsed": total}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def in_flight(base: str, concurrent: int, rounds: int) -> list[dict[str, float]]:
    results = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        for _ in range(rounds):
            results += await asyncio.gather(*(one_search(session, base) for _ in range(concurrent)))
    return results


async def throughput(base: str, seconds: float, concurrency: int) -> tuple[float, list[float]]:
    done: list[float] = []
    stop_at = time.perf_counter() + seconds

    async def client(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < stop_at:
            done.append((await one_search(session, base))["elapsed"])

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return len(done) / wall, done


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def redis_pid() -> int:
    return int(redis.Redis.from_url(REDIS_URL).info("server")["process_id"])


def row(label: str, values: list[dict[str, float]]) -> str:
    first = [v["first"] * 1000 for v in values]
    total = [v["total"] * 1000 for v in values]
    return (f"| {label} | {len(values)} | {statistics.median(first):.0f} | {pct(first, .99):.0f} | "
            f"{statistics.median(total):.0f} | {pct(total, .99):.0f} |")


def stack(mode: str, box_base: str, host_map: str, prefix: str) -> tuple[list, str]:
    """The processes under test (named by role) and the API's base URL."""
    if mode == "embedded":
        proc, _ = api({**API_ENV, **CODE_ENV}, "--sandbox", *scrapy_args())
        while "sandbox at" not in proc.output():
            time.sleep(0.05)
        base = re.search(r"on (http://\S+)", proc.output()).group(1)
        embedded_box = re.search(r"sandbox at (http://\S+)", proc.output()).group(1)
        asyncio.run(set_faults(embedded_box, {}, rate_limit=False, delays=DELAYS, density=8))
        return [("API + spiders + sandbox (one process)", proc)], base
    env = {"REDIS_URL": REDIS_URL, "FLIGHTCRAWL_REDIS_PREFIX": prefix, "FLIGHTCRAWL_HOST_MAP": host_map, **CODE_ENV}
    procs = [("worker mmt", worker("mmt", env, *UNTHROTTLED)), ("worker ixigo", worker("ixigo", env, *UNTHROTTLED))]
    proc, base = api({**env, **API_ENV})
    return procs + [("API", proc)], base


def main(args: argparse.Namespace) -> None:
    if args.code:
        CODE_ENV["PYTHONPATH"] = os.path.abspath(args.code)
    box, box_base, host_map = sandbox()
    asyncio.run(set_faults(box_base, {}, rate_limit=False, delays=DELAYS, density=8))
    modes = ["distributed", "embedded"] if args.mode == "both" else [args.mode]
    lines = [f"# Overhead and throughput ({dt.date.today()}, {platform.node()}, {os.cpu_count()} cores, "
             f"Python {platform.python_version()}; site delays MakeMyTrip 300 ms, ixigo 500 ms; density 8"
             + (f"; workers and API from {args.code}" if args.code else "") + ")", "",
             "| mode, searches in flight | searches | first partial - 300 ms p50 | p99 | TOTAL - 500 ms p50 | p99 |",
             "|---|---|---|---|---|---|"]
    tput, cpu = [], []
    try:
        for mode in modes:
            prefix = new_prefix()
            procs, base = stack(mode, box_base, host_map, prefix)
            try:
                asyncio.run(warm(base))
                lines.append(row(f"{mode}, 1", asyncio.run(in_flight(base, 1, args.sequential))))
                lines.append(row(f"{mode}, 20", asyncio.run(in_flight(base, 20, 3))))
                # Where the CPU goes during the throughput run, per process, per search.
                watched = [*procs, ("Redis", redis_pid())]
                if mode == "distributed":
                    watched.append(("sandbox (stands in for the sites)", box.pid))
                before = {name: cpu_seconds(getattr(p, "pid", p)) for name, p in watched}
                client_before = time.process_time()
                rate, elapsed = asyncio.run(throughput(base, args.seconds, args.concurrency))
                used = {name: cpu_seconds(getattr(p, "pid", p)) - before[name] for name, p in watched}
                used["load generator (the clients)"] = time.process_time() - client_before
                tput.append(f"| {mode} | {args.concurrency} | {rate:.1f} | {statistics.median(elapsed) * 1000:.0f} | "
                            f"{pct(elapsed, .99) * 1000:.0f} | {len(elapsed)} |")
                cpu.append(f"| {mode} | " + "; ".join(f"{name} {seconds * 1000 / len(elapsed):.1f}"
                                                      for name, seconds in used.items())
                           + f" | {sum(used.values()) * 1000 / len(elapsed):.1f} |")
            finally:
                for _, proc in reversed(procs):
                    proc.stop()
                clean_redis(prefix)
    finally:
        box.stop()
    lines += ["", "| throughput: mode | clients | searches/s | start->TOTAL p50 ms | p99 ms | searches |",
              "|---|---|---|---|---|---|", *tput,
              "", f"CPU per search during the throughput run, ms ({os.cpu_count()} cores = "
              f"{os.cpu_count() * 1000} CPU-ms a second):", "",
              "| mode | by process | all |", "|---|---|---|", *cpu]
    print("\n".join(lines))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["distributed", "embedded", "both"], default="both")
    parser.add_argument("--sequential", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=24)
    parser.add_argument("--code", help="a checkout whose flightcrawl package the workers and API run")
    main(parser.parse_args())
