"""The soak: rounds of many searches and many SSE clients against one API process.

    .venv/bin/python -m bench.soak [--searches 200] [--clients 2000] [--rounds 5] [--workers 2]

Starts its own redis-server on a spare port (no persistence), the sandbox, `--workers` workers
per site (mmt and ixigo) and one API; each round starts `--searches` new searches and opens
`--clients` streams over them, then checks every client's events against the search's log in
Redis (bench/load.py). Prints one line per round and a summary; exits 1 if any event was lost,
duplicated or out of order, or any client did not get exactly one TOTAL.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from bench.load import LoadReport, run_load
from tests.services import RedisServer, api, new_prefix, sandbox, set_faults, worker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="workers per site")
    args = parser.parse_args(argv)

    redis_server = RedisServer()
    box, box_url, host_map = sandbox()
    asyncio.run(set_faults(box_url, {}, rate_limit=False))
    prefix = new_prefix()
    env = {"REDIS_URL": redis_server.url, "FLIGHTCRAWL_REDIS_PREFIX": prefix, "FLIGHTCRAWL_HOST_MAP": host_map,
           "FLIGHTCRAWL_START_RATE": "1000000/1", "FLIGHTCRAWL_MAX_STREAMS": "1000000"}
    processes = [worker(site, env) for site in ("mmt", "ixigo") for _ in range(args.workers)]
    server, base = api(env, "--deadline", "60")
    processes += [server, box]
    reports: list[LoadReport] = []
    started = time.monotonic()
    try:
        for n in range(args.rounds):
            report = asyncio.run(run_load(base, redis_server.url, prefix, args.searches, args.clients,
                                          offset=n * args.searches))
            reports.append(report)
            print(f"round {n + 1}: {report.line()}", flush=True)
    finally:
        for proc in processes:
            proc.stop()
        redis_server.stop()
    bad = sum(r.lost + r.duplicated + r.out_of_order + r.clients_without_one_total + len(r.client_errors)
              for r in reports)
    print(f"soak: {sum(r.searches for r in reports)} searches, {sum(r.clients for r in reports)} SSE clients, "
          f"{sum(r.events_received for r in reports)}/{sum(r.events_logged for r in reports)} events received, "
          f"lost {sum(r.lost for r in reports)}, duplicated {sum(r.duplicated for r in reports)}, "
          f"out of order {sum(r.out_of_order for r in reports)}, clients without one TOTAL "
          f"{sum(r.clients_without_one_total for r in reports)}; API RSS {reports[0].rss_before_mb:.0f} MB before, "
          f"{max(r.rss_peak_mb for r in reports):.0f} MB peak, {reports[-1].rss_after_mb:.0f} MB after; "
          f"{time.monotonic() - started:.0f} s in all", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
