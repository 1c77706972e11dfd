"""The streaming API, the same suite in both modes: embedded (one process, no Redis) and
distributed (real worker processes and the API against the machine's Redis)."""

from __future__ import annotations

import asyncio
import itertools
import re
import time

import pytest

from tests.services import (
    REDIS_URL,
    api,
    clean_redis,
    get_json,
    new_prefix,
    read_sse,
    sandbox,
    set_faults,
    start_search,
    worker,
)

DEADLINE = 4.0
_days = itertools.count(20)


def fresh_date() -> str:
    """A date no earlier test searched: identical searches would share a task (by design)."""
    return f"+{next(_days)}"


class Stack:
    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.processes = []
        self.prefix = None
        if mode == "embedded":
            proc, _ = api({}, "--sandbox", "--deadline", str(DEADLINE))
            self.processes.append(proc)
            deadline = time.monotonic() + 10
            while "sandbox at" not in proc.output() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.api = re.search(r"on (http://\S+)", proc.output()).group(1)
            self.sandbox = re.search(r"sandbox at (http://\S+)", proc.output()).group(1)
        else:
            self.prefix = new_prefix()
            box, self.sandbox, host_map = sandbox()
            self.processes.append(box)
            env = {"REDIS_URL": REDIS_URL, "FLIGHTCRAWL_REDIS_PREFIX": self.prefix, "FLIGHTCRAWL_HOST_MAP": host_map}
            self.processes += [worker("mmt", env), worker("ixigo", env)]
            proc, self.api = api(env, "--deadline", str(DEADLINE))
            self.processes.append(proc)

    def close(self) -> None:
        for proc in reversed(self.processes):
            proc.stop()
        if self.prefix:
            clean_redis(self.prefix)


@pytest.fixture(scope="module", params=["embedded", "distributed"])
def stack(request):
    stack = Stack(request.param)
    yield stack
    stack.close()


@pytest.fixture(autouse=True)
def no_faults(stack):
    # ixigo's own rate limit (1 request/s, tested in test_sandbox) would throttle this suite's
    # back-to-back searches; politeness across searches is the spiders' job, not the API's.
    asyncio.run(set_faults(stack.sandbox, {}, rate_limit=False, delays={}))
    yield
    asyncio.run(set_faults(stack.sandbox, {}, rate_limit=False, delays={}))


def run(coro):
    return asyncio.run(coro)


def by_type(events, type_):
    return [e for e in events if e.event == type_]


def test_start_then_stream_until_total(stack):
    async def scenario():
        started = time.monotonic()
        task = await start_search(stack.api, travel_date=fresh_date())
        events = await read_sse(f"{stack.api}/api/flight/stream/{task['task_id']}")
        return task, events, time.monotonic() - started
    task, events, elapsed = run(scenario())
    assert task["new"] is True
    types = [e.event for e in events]
    assert types[-1] == "TOTAL" and types.count("TOTAL") == 1
    assert {e.data["source"] for e in by_type(events, "progress")} == {"mmt", "ixigo"}
    assert events[0].data["status"].startswith("Searching ")
    done = {e.data["source"]: e.data for e in by_type(events, "source_done")}
    assert {s: d["status"] for s, d in done.items()} == {"mmt": "ok", "ixigo": "ok"}
    # each site's partials come before its source_done, and TOTAL holds exactly what the partials held
    for site in ("mmt", "ixigo"):
        last_partial = max(i for i, e in enumerate(events) if e.event == "partial" and e.data["source"] == site)
        done_at = next(i for i, e in enumerate(events) if e.event == "source_done" and e.data["source"] == site)
        assert last_partial < done_at
    total = events[-1].data
    partial_keys = sorted((o["source"], o["flight_key"]) for e in by_type(events, "partial") for o in e.data["options"])
    total_keys = sorted((s, o["flight_key"]) for g in total["flights"].values() for s, opts in g.items() for o in opts)
    assert partial_keys == total_keys
    assert total["sources"]["mmt"]["options"] == sum(1 for s, _ in partial_keys if s == "mmt")
    assert len(set(e.id for e in events)) == len(events)  # ids unique
    assert elapsed < DEADLINE


def test_client_that_joins_late_gets_everything(stack):
    async def scenario():
        task = await start_search(stack.api, travel_date=fresh_date())
        for _ in range(100):
            status, result = await get_json(f"{stack.api}/api/flight/result/{task['task_id']}")
            if result["state"] == "done":
                break
            await asyncio.sleep(0.1)
        return result, await read_sse(f"{stack.api}/api/flight/stream/{task['task_id']}")
    result, events = run(scenario())
    assert result["state"] == "done" and result["total"]["counts"]["options"] > 0
    assert [e.event for e in events][-1] == "TOTAL"
    assert events[-1].data == result["total"]


def test_reconnect_with_last_event_id_resumes_without_duplicates(stack):
    async def scenario():
        task = await start_search(stack.api, travel_date=fresh_date())
        url = f"{stack.api}/api/flight/stream/{task['task_id']}"
        first = await read_sse(url, limit=3)
        rest = await read_sse(url, headers={"Last-Event-ID": first[-1].id})
        full = await read_sse(url)
        return first, rest, full
    first, rest, full = run(scenario())
    assert [e.id for e in first + rest] == [e.id for e in full]
    assert rest[-1].event == "TOTAL"


def test_two_clients_on_one_task_see_the_same_events(stack):
    async def scenario():
        task = await start_search(stack.api, travel_date=fresh_date())
        url = f"{stack.api}/api/flight/stream/{task['task_id']}"
        return await asyncio.gather(read_sse(url), read_sse(url))
    one, two = run(scenario())
    assert [(e.id, e.event) for e in one] == [(e.id, e.event) for e in two]
    assert by_type(one, "TOTAL")[0].data == by_type(two, "TOTAL")[0].data


def test_search_followed_while_another_waits_gets_every_event_once(stack):
    # Distributed: the API's shared read is waiting on the slow search when the second is followed,
    # so the second is read on its own until it joins; both reads must not deliver an event twice.
    async def scenario():
        await set_faults(stack.sandbox, {}, rate_limit=False, delays={"ixigo": 2.5})
        slow = await start_search(stack.api, travel_date=fresh_date(), sources="ixigo")
        slow_reader = asyncio.ensure_future(read_sse(f"{stack.api}/api/flight/stream/{slow['task_id']}"))
        await asyncio.sleep(0.5)
        quick = await start_search(stack.api, travel_date=fresh_date(), sources="mmt")
        url = f"{stack.api}/api/flight/stream/{quick['task_id']}"
        live = await read_sse(url)
        return live, await read_sse(url), await slow_reader
    live, replayed, slow = run(scenario())
    assert [e.event for e in live][-1] == "TOTAL" and by_type(live, "partial")
    assert [(e.id, e.event) for e in live] == [(e.id, e.event) for e in replayed]
    assert len({e.id for e in live}) == len(live)
    assert slow[-1].event == "TOTAL" and slow[-1].data["sources"]["ixigo"]["status"] == "ok"


def test_identical_search_shares_the_task(stack):
    async def scenario():
        date = fresh_date()
        return await start_search(stack.api, travel_date=date), await start_search(stack.api, travel_date=date)
    first, second = run(scenario())
    assert second["task_id"] == first["task_id"] and second["new"] is False


@pytest.mark.parametrize("fault, expected", [("gate403", "blocked"), ("http500", "error"), ("cut", "bad_response")])
def test_one_site_failing_does_not_stop_the_other(stack, fault, expected):
    async def scenario():
        await set_faults(stack.sandbox, {"mmt": fault})
        task = await start_search(stack.api, travel_date=fresh_date())
        return await read_sse(f"{stack.api}/api/flight/stream/{task['task_id']}")
    events = run(scenario())
    total = events[-1].data
    assert total["sources"]["mmt"]["status"] == expected and total["sources"]["mmt"]["reason"]
    assert total["sources"]["ixigo"]["status"] == "ok"
    assert any("ixigo" in g for g in total["flights"].values())


def test_deadline_expiry_sends_total_with_what_arrived(stack):
    async def scenario():
        await set_faults(stack.sandbox, {"ixigo": "slow"})
        started = time.monotonic()
        task = await start_search(stack.api, travel_date=fresh_date())
        events = await read_sse(f"{stack.api}/api/flight/stream/{task['task_id']}")
        return events, time.monotonic() - started
    events, elapsed = run(scenario())
    total = events[-1].data
    assert events[-1].event == "TOTAL"
    assert total["sources"]["ixigo"]["status"] == "timeout"
    assert total["sources"]["mmt"]["status"] == "ok" and total["counts"]["options"] > 0
    assert elapsed <= DEADLINE + 1.5


@pytest.mark.parametrize("params, field", [
    ({"from": "XXX"}, "from"),
    ({"to": "DEL"}, "to"),
    ({"travel_date": "2020-01-01"}, "travel_date"),
    ({"travel_date": "+400"}, "travel_date"),
    ({"travel_date": "tomorrow"}, "travel_date"),
    ({"adults": "0"}, "adults"),
    ({"adults": "5", "children": "5"}, "children"),
    ({"infants": "3"}, "infants"),
    ({"cabin": "cargo"}, "cabin"),
    ({"sources": "mmt,kayak"}, "sources"),
])
def test_bad_input_is_a_400_naming_the_field(stack, params, field):
    query = {"from": "DEL", "to": "BOM", "travel_date": "+5", **params}
    status, body = run(get_json(f"{stack.api}/api/flight/start", params=query))
    assert status == 400 and body["field"] == field and body["message"]


def test_post_start_and_bad_bodies(stack):
    async def scenario():
        ok = await get_json(f"{stack.api}/api/flight/start", "POST",
                            json={"from": "BLR", "to": "GOI", "travel_date": fresh_date(), "sources": ["ixigo"]})
        missing = await get_json(f"{stack.api}/api/flight/start", "POST", json={"from": "BLR"})
        broken = await get_json(f"{stack.api}/api/flight/start", "POST", data=b"{not json",
                                headers={"Content-Type": "application/json"})
        huge = await get_json(f"{stack.api}/api/flight/start", "POST", data=b"x" * 100_000)
        return ok, missing, broken, huge
    ok, missing, broken, huge = run(scenario())
    assert ok[0] == 200 and ok[1]["task_id"]
    assert missing == (400, {"error": "invalid_parameter", "field": "to", "message": "is required"})
    assert broken[0] == 400 and broken[1]["field"] == "body"
    assert huge[0] == 413 and huge[1]["error"]


def test_unknown_tasks_are_404_json(stack):
    status, body = run(get_json(f"{stack.api}/api/flight/stream/00000000-0000-4000-8000-000000000000"))
    assert status == 404 and body["error"] == "unknown_task"
    status, body = run(get_json(f"{stack.api}/api/flight/result/not-a-uuid"))
    assert status == 400 and body["field"] == "task_id"


def test_cors_headers_and_preflight(stack):
    async def scenario():
        import aiohttp

        async with aiohttp.ClientSession() as session:
            async with session.options(f"{stack.api}/api/flight/start",
                                       headers={"Origin": "https://example.org",
                                                "Access-Control-Request-Method": "GET"}) as r:
                preflight = r.status, dict(r.headers)
            async with session.get(f"{stack.api}/api/sources", headers={"Origin": "https://example.org"}) as r:
                simple = dict(r.headers)
        return preflight, simple
    (status, headers), simple = run(scenario())
    assert status == 204 and headers["Access-Control-Allow-Origin"] == "*"
    assert simple["Access-Control-Allow-Origin"] == "*"


def test_sources_and_health(stack):
    status, health = run(get_json(f"{stack.api}/healthz"))
    assert status == 200 and health["status"] == "ok" and health["mode"] == stack.mode
    status, sources = run(get_json(f"{stack.api}/api/sources"))
    assert status == 200 and set(sources) >= {"mmt", "ixigo"}
    assert sources["mmt"]["live_workers"] >= 1
