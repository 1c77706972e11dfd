"""Distributed mode under stress: shared queues, dying workers, malformed jobs, Redis down.

Real worker processes and the API against the machine's Redis, each test under its own key
prefix (deleted afterwards).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid

import pytest
import redis

from tests.conftest import run_cli
from tests.services import REDIS_URL, api, clean_redis, new_prefix, read_sse, sandbox, set_faults, start_search, worker

_days = itertools.count(60)


def fresh_date() -> str:
    return f"+{next(_days)}"


@pytest.fixture(scope="module")
def box():
    proc, base, host_map = sandbox()
    asyncio.run(set_faults(base, {}, rate_limit=False))
    yield base, host_map
    proc.stop()


@pytest.fixture
def env(box):
    prefix = new_prefix()
    yield {"REDIS_URL": REDIS_URL, "FLIGHTCRAWL_REDIS_PREFIX": prefix, "FLIGHTCRAWL_HOST_MAP": box[1]}
    clean_redis(prefix)


@pytest.fixture
def processes():
    started = []
    yield started
    for proc in reversed(started):
        proc.stop()


def started_by(events):
    """site -> worker ids that announced they started the job."""
    found = {}
    for e in events:
        if e.event == "progress" and e.data.get("stage") == "started":
            found.setdefault(e.data["source"], []).append(e.data["worker"])
    return found


def test_two_workers_share_a_queue_and_no_job_runs_twice(env, processes):
    # This is about sharing a queue: with the sandbox's rate limit off, the workers' own
    # politeness delay (1 s per request, ixigo's documented rate) is lifted too.
    processes += [worker("ixigo", env, "DOWNLOAD_DELAY=0"), worker("ixigo", env, "DOWNLOAD_DELAY=0")]
    server, base = api(env, "--deadline", "10")
    processes.append(server)

    async def scenario():
        tasks = [await start_search(base, travel_date=fresh_date(), sources="ixigo") for _ in range(12)]
        return await asyncio.gather(*(read_sse(f"{base}/api/flight/stream/{t['task_id']}") for t in tasks))
    try:
        streams = asyncio.run(scenario())
    except Exception:
        print(server.output()[-4000:])
        raise
    workers_used = set()
    for events in streams:
        starts = started_by(events)["ixigo"]
        assert len(starts) == 1  # exactly one worker handled each job
        workers_used.add(starts[0])
        assert events[-1].event == "TOTAL" and events[-1].data["sources"]["ixigo"]["status"] == "ok"
    assert len(workers_used) == 2
    # the compose health check for workers: healthy while a worker of that site runs here
    assert run_cli("health", "worker", "ixigo", env=env).returncode == 0
    assert run_cli("health", "worker", "mmt", env=env).returncode == 1
    client = redis.Redis.from_url(REDIS_URL)
    assert client.llen(f"{env['FLIGHTCRAWL_REDIS_PREFIX']}:queue:ixigo") == 0


def test_worker_killed_mid_search_job_is_redelivered(env, box, processes):
    # The site answers late enough that the second worker is up before the first is killed.
    asyncio.run(set_faults(box[0], {}, rate_limit=False, delays={"mmt": 6.0}))
    try:
        pair = [worker("mmt", env), worker("mmt", env)]
        processes.extend(pair)
        server, base = api(env, "--deadline", "20")
        processes.append(server)

        async def scenario():
            task = await start_search(base, travel_date=fresh_date(), sources="mmt")
            url = f"{base}/api/flight/stream/{task['task_id']}"
            seen = await read_sse(url, limit=2)  # queued, then started by one of the workers
            assert seen[1].data.get("stage") == "started"
            pid = int(seen[1].data["worker"].split("-")[-2])  # worker ids are host-pid-random
            taker = next(p for p in pair if p.pid == pid)
            taker.kill()  # SIGKILL while the site is answering it; the other worker is idle
            return await read_sse(url)
        events = asyncio.run(scenario())
    finally:
        asyncio.run(set_faults(box[0], {}, rate_limit=False, delays={}))
    starts = started_by(events)["mmt"]
    assert len(starts) == 2 and starts[0] != starts[1]  # re-delivered to the other worker
    total = events[-1].data
    # "ok", not "timeout": the re-delivered job was answered within the search's deadline
    assert total["sources"]["mmt"]["status"] == "ok"
    keys = [o["flight_key"] for g in total["flights"].values() for o in g.get("mmt", [])]
    assert len(keys) == len(set(keys)) > 0  # nothing processed twice into TOTAL


def test_worker_killed_with_no_other_worker_times_out_by_the_deadline(env, box, processes):
    asyncio.run(set_faults(box[0], {}, rate_limit=False, delays={"mmt": 3.0}))
    try:
        only = worker("mmt", env)
        processes.append(only)
        server, base = api(env, "--deadline", "5")
        processes.append(server)

        async def scenario():
            task = await start_search(base, travel_date=fresh_date(), sources="mmt")
            url = f"{base}/api/flight/stream/{task['task_id']}"
            await read_sse(url, limit=2)
            only.kill()
            return await read_sse(url)
        started = time.monotonic()
        events = asyncio.run(scenario())
        elapsed = time.monotonic() - started
    finally:
        asyncio.run(set_faults(box[0], {}, rate_limit=False, delays={}))
    assert events[-1].event == "TOTAL"
    assert events[-1].data["sources"]["mmt"]["status"] == "timeout"
    assert elapsed < 5 + 1.5


def test_malformed_jobs_are_reported_and_skipped(env, processes):
    processes.append(worker("ixigo", env))
    server, base = api(env, "--deadline", "10")
    processes.append(server)
    prefix = env["FLIGHTCRAWL_REDIS_PREFIX"]
    client = redis.Redis.from_url(REDIS_URL)
    bad_task = str(uuid.uuid4())
    # A task the API knows, whose job is broken: its site must end with an error status.
    client.hset(f"{prefix}:task:{bad_task}", mapping={
        "query": json.dumps({"origin": "DEL", "destination": "BOM", "date": "2027-01-01", "adults": 1, "children": 0,
                             "infants": 0, "cabin": "economy"}),
        "sources": json.dumps(["ixigo"]), "deadline": str(time.time() + 10), "created": str(time.time())})
    client.zadd(f"{prefix}:pending", {bad_task: time.time() + 10})
    queue = f"{prefix}:queue:ixigo"
    client.lpush(queue, b"\xff not json", b"[1, 2]", json.dumps({"task_id": "x"}),
                 json.dumps({"task_id": bad_task, "site": "ixigo", "args": "DEL-BOM", "deadline": time.time() + 10}))

    async def scenario():
        broken = await read_sse(f"{base}/api/flight/stream/{bad_task}", timeout=15)
        task = await start_search(base, travel_date=fresh_date(), sources="ixigo")
        healthy = await read_sse(f"{base}/api/flight/stream/{task['task_id']}")
        return broken, healthy
    broken, healthy = asyncio.run(scenario())
    status = broken[-1].data["sources"]["ixigo"]
    assert status["status"] == "error" and "malformed job" in status["reason"]
    assert healthy[-1].data["sources"]["ixigo"]["status"] == "ok"  # the worker survived
    assert client.llen(f"{prefix}:dead:ixigo") == 4
    assert processes[0].alive()


def test_redis_unreachable_is_a_clear_error_not_a_hang(processes):
    env = {"REDIS_URL": "redis://127.0.0.1:1/0", "FLIGHTCRAWL_REDIS_PREFIX": new_prefix()}
    server, base = api(env)
    processes.append(server)
    lonely = worker("ixigo", env)
    processes.append(lonely)

    async def scenario():
        import aiohttp

        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            started = time.monotonic()
            async with session.get(f"{base}/api/flight/start",
                                   params={"from": "DEL", "to": "BOM", "travel_date": "+9"}) as r:
                start = r.status, await r.json(), time.monotonic() - started
            async with session.get(f"{base}/healthz") as r:
                health = r.status, await r.json()
        return start, health
    (status, body, elapsed), (health_status, health) = asyncio.run(scenario())
    assert status == 503 and body["error"] == "backend_unavailable"
    assert elapsed < 5
    assert health_status == 503
    time.sleep(1.5)
    assert lonely.alive() and "Redis unavailable" in lonely.output()


@pytest.mark.parametrize("dedupe_ttl, shared", [(300, True), (0, False)])
def test_identical_searches_share_a_task_only_within_the_dedupe_window(dedupe_ttl, shared):
    from flightcrawl.api.distributed import RedisBackend
    from flightcrawl.distributed.keys import Keys
    from flightcrawl.query import SearchQuery

    prefix = new_prefix()

    async def scenario():
        import redis.asyncio as aioredis

        backend = RedisBackend(aioredis.Redis.from_url(REDIS_URL), Keys(prefix), dedupe_ttl=dedupe_ttl)
        query = SearchQuery.parse("DEL", "BOM", fresh_date())
        try:
            return [await backend.start(query, ["mmt"], 5.0) for _ in range(2)]
        finally:
            await backend.client.aclose()

    try:
        (first, new_first), (second, new_second) = asyncio.run(scenario())
    finally:
        clean_redis(prefix)
    assert new_first and (second == first) is shared and new_second is not shared
