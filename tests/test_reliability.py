"""Promises kept when things go wrong: Redis restarting, load, every Redis key with a TTL,
structured logs and metrics, secrets kept out of logs and answers.

Each test that needs Redis to itself (to restart it, or to scan its whole keyspace) starts its
own redis-server on a spare port; the rest use the machine's Redis under a private prefix.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bench.load import run_load
from tests.services import (
    REDIS_URL,
    RedisServer,
    api,
    clean_redis,
    new_prefix,
    read_sse,
    sandbox,
    set_faults,
    start_search,
    worker,
)

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def box():
    proc, base, host_map = sandbox()
    asyncio.run(set_faults(base, {}, rate_limit=False))
    yield base, host_map
    proc.stop()


@pytest.fixture
def processes():
    started = []
    yield started
    for proc in reversed(started):
        proc.stop()


@pytest.fixture
def private_redis():
    server = RedisServer()
    yield server
    server.stop()


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def get(url: str, **kwargs) -> tuple[int, dict, str]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        async with session.get(url, **kwargs) as response:
            return response.status, dict(response.headers), await response.text()


def metrics_of(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


# --- Redis restarting ------------------------------------------------------------------------

def test_redis_restart_mid_run_everyone_reconnects_and_in_flight_searches_end_clearly(box, private_redis, processes):
    env = {"REDIS_URL": private_redis.url, "FLIGHTCRAWL_REDIS_PREFIX": new_prefix(), "FLIGHTCRAWL_HOST_MAP": box[1]}
    asyncio.run(set_faults(box[0], {}, rate_limit=False, delays={"mmt": 4.0}))
    try:
        workers = [worker("mmt", env), worker("ixigo", env)]
        processes += workers
        server, base = api(env, "--deadline", "12")
        processes.append(server)

        async def in_flight():
            task = await start_search(base, travel_date="+41")
            url = f"{base}/api/flight/stream/{task['task_id']}"
            reader = asyncio.ensure_future(read_sse(url, timeout=40))
            await asyncio.sleep(1.0)  # ixigo answered, mmt's worker is waiting on the slow site
            cpu_before = {p.pid: cpu_seconds(p.pid) for p in processes}
            outage = time.monotonic()
            private_redis.kill()
            await asyncio.sleep(3.0)
            cpu_used = {pid: cpu_seconds(pid) - before for pid, before in cpu_before.items()}
            down_for = time.monotonic() - outage
            private_redis.start()
            events = await reader
            return task, events, cpu_used, down_for
        task, events, cpu_used, down_for = asyncio.run(in_flight())
        # The search in flight ends with one TOTAL that says what happened to each site.
        assert [e.event for e in events].count("TOTAL") == 1 and events[-1].event == "TOTAL"
        total = events[-1].data
        assert total["search"]["lost"] is True
        assert total["sources"]["ixigo"]["status"] == "ok"
        assert total["sources"]["mmt"]["status"] == "error" and "Redis restarted" in total["sources"]["mmt"]["reason"]
        # Nobody spun while Redis was down (retries back off), nobody crashed.
        for pid, used in cpu_used.items():
            assert used < 0.5 * down_for, (pid, used)
        assert all(p.alive() for p in processes)

        async def afterwards():
            recovered = time.monotonic()
            while time.monotonic() - recovered < 20:  # the workers' backoff is at most 5 s
                status, _, body = await get(f"{base}/api/sources")
                if status == 200 and all(json.loads(body)[s]["live_workers"] >= 1 for s in ("mmt", "ixigo")):
                    break
                await asyncio.sleep(0.25)
            task = await start_search(base, travel_date="+42")
            return await read_sse(f"{base}/api/flight/stream/{task['task_id']}", timeout=30)
        asyncio.run(set_faults(box[0], {}, rate_limit=False))
        after = asyncio.run(afterwards())
        assert after[-1].event == "TOTAL" and "lost" not in after[-1].data["search"]
        assert {s: st["status"] for s, st in after[-1].data["sources"].items()} == {"mmt": "ok", "ixigo": "ok"}
        status, _, _ = asyncio.run(get(f"{base}/healthz"))
        assert status == 200
        assert all(p.alive() for p in processes)
        assert "Redis unavailable" in workers[0].output() + workers[1].output()
    finally:
        asyncio.run(set_faults(box[0], {}, rate_limit=False))


# --- Load ------------------------------------------------------------------------------------

LOAD_SEARCHES = int(os.environ.get("FLIGHTCRAWL_TEST_LOAD_SEARCHES", "200"))
LOAD_CLIENTS = int(os.environ.get("FLIGHTCRAWL_TEST_LOAD_CLIENTS", "2000"))


def test_load_every_client_gets_every_event_in_order_and_one_total(box, private_redis, processes):
    prefix = new_prefix()
    env = {"REDIS_URL": private_redis.url, "FLIGHTCRAWL_REDIS_PREFIX": prefix, "FLIGHTCRAWL_HOST_MAP": box[1],
           "FLIGHTCRAWL_START_RATE": "100000/1", "FLIGHTCRAWL_MAX_STREAMS": "100000"}
    processes += [worker("mmt", env), worker("mmt", env), worker("ixigo", env), worker("ixigo", env)]
    server, base = api(env, "--deadline", "60")
    processes.append(server)
    rounds = []
    for offset in (0, LOAD_SEARCHES):  # two rounds of distinct searches
        report = asyncio.run(run_load(base, private_redis.url, prefix, searches=LOAD_SEARCHES, clients=LOAD_CLIENTS,
                                      offset=offset))
        print(report.line())
        rounds.append(report)
        assert not report.client_errors, report.client_errors[:5]
        assert report.lost == report.duplicated == report.out_of_order == report.clients_without_one_total == 0
        assert report.events_received == report.events_logged > LOAD_CLIENTS * 4
        # Nothing is kept once the streams are gone.
        assert report.sse_clients_after == 0 and report.followed_after == 0
    # The first round grows the heap to its working size (the allocator keeps it); a second round
    # as large must not grow it further: nothing of a finished search stays behind.
    assert rounds[1].rss_after_mb <= rounds[0].rss_after_mb * 1.1 + 16, [r.line() for r in rounds]
    status, _, text = asyncio.run(get(f"{base}/metrics"))
    found = metrics_of(text)
    assert found[("flightcrawl_searches_total", (("outcome", "new"),))] == 2 * LOAD_SEARCHES
    statuses = sum(v for (name, labels), v in found.items() if name == "flightcrawl_site_status_total")
    assert statuses == 2 * 2 * LOAD_SEARCHES  # two sites each
    assert all(p.alive() for p in processes)


# --- The fault matrix through the distributed path ----------------------------------------------

EXPECTED_STATUS = {"slow": "timeout", "http500": "error", "gate403": "blocked", "rate429": "rate_limited",
                   "challenge": "blocked", "malformed": "bad_response", "cut": "bad_response",
                   "empty": "no_results", "reset": "error"}
MATRIX_DEADLINE = 6.0


@pytest.fixture(scope="module")
def fleet(box):
    """A worker for every site (Yatra's with its browser) and one API, on the machine's Redis."""
    from flightcrawl.sites import SITES

    prefix = new_prefix()
    env = {"REDIS_URL": REDIS_URL, "FLIGHTCRAWL_REDIS_PREFIX": prefix, "FLIGHTCRAWL_HOST_MAP": box[1],
           "FLIGHTCRAWL_START_RATE": "1000/1"}
    started = [worker(site, env) for site in SITES]
    server, base = api(env, "--deadline", str(MATRIX_DEADLINE))
    started.append(server)
    yield base, list(SITES)
    for proc in reversed(started):
        proc.stop()
    clean_redis(prefix)


@pytest.mark.parametrize("fault", sorted(EXPECTED_STATUS))
def test_fault_matrix_through_the_api_and_workers(box, fleet, fault):
    """Every site x this fault, through the API, Redis and the site workers: each search faults half
    the sites while the other half must deliver; two searches cover every site in both roles."""
    from flightcrawl.sandbox.faults import FAULTS

    assert set(EXPECTED_STATUS) == set(FAULTS)
    base, sites = fleet
    halves = [sites[0::2], sites[1::2]]
    day = 100 + sorted(EXPECTED_STATUS).index(fault) * 2
    try:
        for n, faulted in enumerate(halves):
            healthy = halves[1 - n]
            asyncio.run(set_faults(box[0], {s: fault for s in faulted}, rate_limit=False))

            async def search(date):
                task = await start_search(base, travel_date=date, sources=",".join(sites))
                return await read_sse(f"{base}/api/flight/stream/{task['task_id']}", timeout=30)
            events = asyncio.run(search(f"+{day + n}"))
            assert [e.event for e in events].count("TOTAL") == 1 and events[-1].event == "TOTAL"
            total = events[-1].data
            for site in faulted:
                status = total["sources"][site]
                assert status["status"] == EXPECTED_STATUS[fault], (site, status)
                if fault != "empty":
                    assert status["reason"], (site, status)
            for site in healthy:
                assert total["sources"][site]["status"] == "ok", (site, total["sources"][site])
                assert any(site in by_source for by_source in total["flights"].values()), site
            assert total["search"]["elapsed"] <= MATRIX_DEADLINE + 1.0
    finally:
        asyncio.run(set_faults(box[0], {}, rate_limit=False))
