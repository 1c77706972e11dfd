"""Promises kept when things go wrong: Redis restarting, load, every Redis key with a TTL,
structured logs and metrics, secrets kept out of logs and answers.

Each test that needs Redis to itself (to restart it, or to scan its whole keyspace) starts its
own redis-server on a spare port; the rest use the machine's Redis under a private prefix.
"""

from __future__ import annotations

import asyncio
import collections
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
    # mmt answers 8 s in, well after Redis is back (4 s) and the API has noticed the search is gone.
    asyncio.run(set_faults(box[0], {}, rate_limit=False, delays={"mmt": 8.0}))
    try:
        workers = [worker("mmt", env), worker("ixigo", env)]
        processes += workers
        server, base = api(env, "--deadline", "15")
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
        asyncio.run(set_faults(box[0], {}, rate_limit=False, delays={}))
        after = asyncio.run(afterwards())
        assert after[-1].event == "TOTAL" and "lost" not in after[-1].data["search"]
        assert {s: st["status"] for s, st in after[-1].data["sources"].items()} == {"mmt": "ok", "ixigo": "ok"}
        status, _, _ = asyncio.run(get(f"{base}/healthz"))
        assert status == 200
        assert all(p.alive() for p in processes)
        assert "Redis unavailable" in workers[0].output() + workers[1].output()
    finally:
        asyncio.run(set_faults(box[0], {}, rate_limit=False, delays={}))


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
MATRIX_DEADLINE = 10.0  # Yatra's browser, with six other workers on two busy cores


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
            asyncio.run(set_faults(box[0], {s: fault for s in faulted}, rate_limit=False, delays={}))

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
        asyncio.run(set_faults(box[0], {}, rate_limit=False, delays={}))


# --- Bad input: the OpenAPI description, and a fuzz run from it ---------------------------------

FUZZ_EXAMPLES = 1300


@pytest.fixture(scope="module")
def edge_api():
    """An API with no workers (a start only queues jobs), its limits out of the fuzzer's way."""
    prefix = new_prefix()
    env = {"REDIS_URL": REDIS_URL, "FLIGHTCRAWL_REDIS_PREFIX": prefix, "FLIGHTCRAWL_START_RATE": "100000/1",
           "FLIGHTCRAWL_MAX_STREAMS": "1000"}
    server, base = api(env, "--deadline", "2")
    yield base, prefix, server
    server.stop()
    clean_redis(prefix)


def http(base: str, method: str, path: str, query: dict | None = None, body: bytes | None = None,
         headers: dict | None = None) -> tuple[int, dict, bytes]:
    import http.client
    import urllib.parse

    host = urllib.parse.urlsplit(base).netloc
    target = path + ("?" + urllib.parse.urlencode(query, doseq=True) if query else "")
    connection = http.client.HTTPConnection(host, timeout=15)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_openapi_description_names_every_route(edge_api):
    base = edge_api[0]
    status, headers, body = http(base, "GET", "/api/openapi.json")
    doc = json.loads(body)
    assert status == 200 and doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {"/api/flight/start", "/api/flight/stream/{task_id}", "/api/flight/result/{task_id}",
                                 "/api/sources", "/healthz", "/metrics", "/api/openapi.json"}
    assert set(doc["paths"]["/api/flight/start"]) == {"get", "post"}
    names = {p["name"] for p in doc["paths"]["/api/flight/start"]["get"]["parameters"]}
    assert names == {"from", "to", "travel_date", "adults", "children", "infants", "cabin", "sources"}


def _value_strategy(schema: dict):
    from hypothesis import strategies as st

    junk = st.text(max_size=40) | st.sampled_from(["", " ", "null", "-1", "0", "9" * 30, "%00", "../x", "DEL,BOM"])
    # Valid values three times as likely as the rest, so whole valid requests are common too.
    if "enum" in schema:
        return st.one_of(*[st.sampled_from(schema["enum"])] * 3, junk)
    if schema.get("pattern") == "^[A-Za-z]{3}$":
        real = st.sampled_from(["DEL", "BOM", "BLR", "goi", "MAA", "CCU", "HYD"])
        return st.one_of(real, real, real, st.from_regex(r"[A-Za-z]{3}", fullmatch=True), junk)
    if schema.get("type") == "integer":
        return st.one_of(*[st.integers(0, 3).map(str)] * 3, st.integers(-5, 15).map(str), junk)
    if "oneOf" in schema:
        return st.one_of(*(_value_strategy(s) for s in schema["oneOf"]))
    if schema.get("type") == "array":
        return st.lists(_value_strategy(schema["items"]), max_size=4)
    if "date" not in schema.get("description", "") and schema.get("examples"):
        return st.one_of(*[st.sampled_from(schema["examples"])] * 3, junk)
    if "date" in schema.get("description", ""):
        import datetime as dt

        days, near = st.integers(-30, 500), st.integers(1, 300)
        return st.one_of(near.map(lambda d: f"+{d}"), near.map(lambda d: f"+{d}"),
                         days.map(lambda d: f"+{d}"),
                         days.map(lambda d: (dt.date.today() + dt.timedelta(d)).isoformat()), junk)
    return junk


def _json_strategy():
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8),
                                                                                              inner, max_size=3),
                        max_leaves=8)


def _requests_from(doc: dict):
    """A strategy of (method, path, query, body, headers) drawn from the OpenAPI description."""
    import urllib.parse

    from hypothesis import strategies as st

    header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
    operations = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            params = op.get("parameters", [])
            in_query = [p for p in params if p["in"] == "query"]
            # Half the time every required parameter is there (so valid requests are common too).
            query = st.fixed_dictionaries({}, optional={p["name"]: _value_strategy(p["schema"]) for p in in_query}) \
                | st.fixed_dictionaries({p["name"]: _value_strategy(p["schema"]) for p in in_query if p["required"]},
                                        optional={p["name"]: _value_strategy(p["schema"]) for p in in_query
                                                  if not p["required"]})
            headers = st.fixed_dictionaries({}, optional={
                p["name"]: header_text for p in params if p["in"] == "header"})
            if "{task_id}" in path:
                ids = st.uuids().map(str) | st.text(min_size=1, max_size=40)
                paths = ids.map(lambda i, p=path: p.replace("{task_id}", urllib.parse.quote(i, safe="")))
            else:
                paths = st.just(path)
            if "requestBody" in op:
                props = op["requestBody"]["content"]["application/json"]["schema"]["properties"]
                required = op["requestBody"]["content"]["application/json"]["schema"]["required"]
                objects = st.fixed_dictionaries({}, optional={k: _value_strategy(v) | _json_strategy()
                                                              for k, v in props.items()}) \
                    | st.fixed_dictionaries({k: _value_strategy(props[k]) for k in required},
                                            optional={k: _value_strategy(v) for k, v in props.items()
                                                      if k not in required})
                bodies = (objects.map(lambda o: json.dumps(o).encode()) | _json_strategy().map(
                    lambda o: json.dumps(o).encode()) | st.binary(max_size=200))
            else:
                bodies = st.none()
            operations.append(st.tuples(st.just(method.upper()), paths, query, bodies, headers))
    # Routes and methods that are not in the description must be refused cleanly too.
    operations.append(st.tuples(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
                                st.text(max_size=30).map(lambda t: "/api/" + urllib.parse.quote(t)),
                                st.just({}), st.none() | st.binary(max_size=50), st.just({})))
    return st.one_of(*operations)


def test_fuzz_from_the_openapi_description_no_5xx_and_every_4xx_names_the_problem(edge_api):
    from hypothesis import HealthCheck, given, settings

    base, prefix, server = edge_api
    doc = json.loads(http(base, "GET", "/api/openapi.json")[2])
    seen: list[tuple[str, str, int]] = []
    problems: list[str] = []

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(_requests_from(doc))
    def one_request(request):
        method, path, query, body, headers = request
        if body is not None and method == "POST":
            headers = {**headers, "Content-Type": "application/json"}
        if path.startswith("/api/flight/stream/"):
            headers = {**headers, "Accept": "text/event-stream"}
        status, response_headers, payload = http(base, method, path, query, body, headers)
        seen.append((method, path, status))
        where = f"{method} {path} {query} {body!r:.80} -> {status}"
        if status >= 500:
            problems.append(f"{where}: {payload[:200]!r}")
        elif status >= 400 and method != "OPTIONS":
            try:
                error = json.loads(payload)
            except ValueError:
                problems.append(f"{where}: not JSON: {payload[:100]!r}")
                return
            if not (isinstance(error, dict) and error.get("error") and error.get("message")):
                problems.append(f"{where}: {error}")
            elif status == 400 and not error.get("field"):
                problems.append(f"{where}: a 400 must name its field: {error}")
        elif status == 200 and path == "/api/flight/start":
            assert UUID.match(json.loads(payload)["task_id"])

    one_request()
    print(f"fuzz: {len(seen)} requests, statuses {sorted(collections.Counter(s for _, _, s in seen).items())}")
    assert len(seen) >= 1000
    assert not problems, problems[:10]
    codes = {status for _, _, status in seen}
    assert {200, 400, 404}.issubset(codes), codes  # the fuzzer reached valid and invalid requests alike
    assert server.alive()
    # Nothing the fuzzer sent became a Redis key or a job unchecked: every key is one of ours, every
    # queued job names real airports and a date within bounds.
    import datetime as dt

    import airportsdata
    import redis

    from flightcrawl.sites import SITES

    client = redis.Redis.from_url(REDIS_URL)
    pattern = re.compile(rf"^{prefix}:(task:[0-9a-f-]{{36}}(:events|:status|:total)?|queue:({'|'.join(SITES)})"
                         r"|dedupe:[0-9a-f]{32}|pending|completions|stats:[a-z]+)$")
    iata = airportsdata.load("IATA")
    keys = [k.decode() for k in client.scan_iter(match=f"{prefix}:*", count=1000)]
    assert keys and all(pattern.match(k) for k in keys), [k for k in keys if not pattern.match(k)][:5]
    today = dt.date.today()
    for site in SITES:
        for raw in client.lrange(f"{prefix}:queue:{site}", 0, -1):
            args = json.loads(raw)["args"]
            assert args["origin"] in iata and args["destination"] in iata, args
            assert today <= dt.date.fromisoformat(args["date"]) <= today + dt.timedelta(days=366), args
    assert all(client.ttl(k) > 0 for k in keys), [k for k in keys if client.ttl(k) <= 0][:5]


# --- Abuse and limits ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def limited_api():
    prefix = new_prefix()
    env = {"REDIS_URL": REDIS_URL, "FLIGHTCRAWL_REDIS_PREFIX": prefix, "FLIGHTCRAWL_START_RATE": "3/60",
           "FLIGHTCRAWL_MAX_STREAMS": "2", "FLIGHTCRAWL_CORS_ORIGINS": "https://good.example,https://also.example",
           "FLIGHTCRAWL_TRUST_FORWARDED": "1"}
    server, base = api(env, "--deadline", "4")
    yield base
    server.stop()
    clean_redis(prefix)


def test_limits_on_starts_streams_and_bodies(limited_api):
    base = limited_api
    query = {"from": "DEL", "to": "BOM", "sources": "mmt"}
    answers = [http(base, "GET", "/api/flight/start", {**query, "travel_date": f"+{d}"}) for d in (11, 12, 13, 14)]
    assert [a[0] for a in answers] == [200, 200, 200, 429]
    status, headers, body = answers[-1]
    assert json.loads(body)["error"] == "rate_limited" and int(headers["Retry-After"]) >= 1
    # Another client (as the trusted proxy in front says) has its own allowance.
    other = http(base, "GET", "/api/flight/start", {**query, "travel_date": "+15"},
                 headers={"X-Forwarded-For": "10.9.8.7"})
    assert other[0] == 200
    task = json.loads(answers[0][2])["task_id"]

    async def streams():
        async with aiohttp.ClientSession() as session:
            url = f"{base}/api/flight/stream/{task}"
            first = await session.get(url)
            second = await session.get(url)
            third = await session.get(url)
            refused = third.status, await third.json()
            first.close()
            await asyncio.sleep(0.3)
            fourth = await session.get(url)
            accepted = fourth.status
            for r in (second, fourth):
                r.close()
            return first.status, second.status, refused, accepted
    first, second, refused, accepted = asyncio.run(streams())
    assert (first, second) == (200, 200)
    assert refused[0] == 429 and refused[1]["error"] == "too_many_streams"
    assert accepted == 200  # a closed stream frees its place
    status, _, body = http(base, "POST", "/api/flight/start", body=b"{" + b" " * 17_000 + b"}",
                           headers={"Content-Type": "application/json", "X-Forwarded-For": "10.1.1.1"})
    assert status == 413 and json.loads(body)["error"]


def test_cors_allow_list_is_honoured(limited_api):
    base = limited_api
    preflight = {"Access-Control-Request-Method": "GET"}
    status, headers, _ = http(base, "OPTIONS", "/api/flight/start", headers={"Origin": "https://good.example",
                                                                            **preflight})
    assert status == 204 and headers["Access-Control-Allow-Origin"] == "https://good.example"
    assert "Origin" in headers["Vary"]
    status, headers, _ = http(base, "OPTIONS", "/api/flight/start", headers={"Origin": "https://evil.example",
                                                                            **preflight})
    assert status == 403 and "Access-Control-Allow-Origin" not in headers
    status, headers, _ = http(base, "GET", "/api/sources", headers={"Origin": "https://evil.example"})
    assert status == 200 and "Access-Control-Allow-Origin" not in headers
    status, headers, _ = http(base, "GET", "/api/sources", headers={"Origin": "https://also.example"})
    assert headers["Access-Control-Allow-Origin"] == "https://also.example"
    start = http(base, "GET", "/api/flight/start", {"from": "BLR", "to": "GOI", "travel_date": "+20"},
                 headers={"X-Forwarded-For": "10.2.2.2"})
    task = json.loads(start[2])["task_id"]

    async def stream_headers():
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/api/flight/stream/{task}", headers={"Origin": "https://good.example",
                                                                                "X-Forwarded-For": "10.2.2.2"}) as r:
                return dict(r.headers)
    assert asyncio.run(stream_headers())["Access-Control-Allow-Origin"] == "https://good.example"


# --- Observability, TTLs and secrets, on one observed run -----------------------------------------

SECRET = "s3cr3t-pa55"


def test_observed_run_keys_expire_logs_are_structured_metrics_count_and_secrets_stay_hidden(box, private_redis,
                                                                                           processes):
    from flightcrawl.distributed import defaults
    from flightcrawl.sites.google import CONSENT_COOKIES
    from tests.services import Process

    prefix = new_prefix()
    env = {"REDIS_URL": private_redis.url, "FLIGHTCRAWL_REDIS_PREFIX": prefix, "FLIGHTCRAWL_HOST_MAP": box[1],
           "FLIGHTCRAWL_LOG_FORMAT": "json", "HTTPS_PROXY": f"http://fc:{SECRET}@127.0.0.1:9",
           "NO_PROXY": "127.0.0.1,localhost"}
    # Scrapy logs the settings it was given, and with COOKIES_DEBUG every cookie it sends.
    workers = [Process(["worker", site, "-s", "COOKIES_DEBUG=True", "-s", "LOG_LEVEL=DEBUG",
                        "-s", f"UPSTREAM_PROXY=http://user:{SECRET}@proxy.example:3128"], r"reading jobs from", env=env)
               for site in ("google", "ixigo")]
    processes += workers
    server, base = api(env, "--deadline", "8")
    processes.append(server)
    client = private_redis.client()
    client.lpush(f"{prefix}:queue:ixigo", b"{broken")  # a malformed job: a dead letter with a TTL

    async def run():
        task = await start_search(base, travel_date="+77", sources="google,ixigo")
        shared = await start_search(base, travel_date="+77", sources="google,ixigo")
        events = await read_sse(f"{base}/api/flight/stream/{task['task_id']}")
        status, _, result = await get(f"{base}/api/flight/result/{task['task_id']}")
        return task, shared, events, result
    task, shared, events, result = asyncio.run(run())
    task_id = task["task_id"]
    assert shared["task_id"] == task_id and shared["new"] is False
    assert {s: st["status"] for s, st in events[-1].data["sources"].items()} == {"google": "ok", "ixigo": "ok"}
    time.sleep(1.5)  # a heartbeat and a reap go by

    # Every key in this Redis has a TTL: nothing written by the API or the workers lives forever.
    ttls = {k.decode(): client.ttl(k) for k in client.scan_iter(count=1000)}
    kinds = {re.sub(r"[0-9a-f-]{36}|[0-9a-f]{32}|[0-9a-f]{12}", "<id>", k.removeprefix(prefix + ":")) for k in ttls}
    # (Empty queues and the empty pending set are gone: Redis drops empty lists and sets. While they
    # hold something they have a TTL too: test_fuzz... checks them with jobs waiting.)
    assert {"completions", "dead:ixigo", "dedupe:<id>", "task:<id>", "task:<id>:events",
            "task:<id>:status", "task:<id>:total", "stats:google", "workers:ixigo"} <= kinds, kinds
    assert all(0 < ttl <= defaults.TASK_TTL for ttl in ttls.values()), {k: t for k, t in ttls.items() if t <= 0}

    # /metrics counts what happened.
    status, _, text = asyncio.run(get(f"{base}/metrics"))
    found = metrics_of(text)
    assert found[("flightcrawl_searches_total", (("outcome", "new"),))] == 1
    assert found[("flightcrawl_searches_total", (("outcome", "shared"),))] == 1
    assert found[("flightcrawl_site_status_total", (("site", "google"), ("status", "ok")))] == 1
    assert found[("flightcrawl_site_seconds_count", (("site", "ixigo"),))] == 1
    assert found[("flightcrawl_live_workers", (("site", "google"),))] == 1
    assert found[("flightcrawl_live_workers", (("site", "mmt"),))] == 0
    assert ("flightcrawl_queue_depth", (("site", "ixigo"),)) in found
    assert found[("flightcrawl_sse_clients", ())] == 0
    assert found[("process_resident_memory_bytes", ())] > 0

    # Logs: one JSON object a line; every line about the search carries its task id.
    for proc in processes:
        proc.stop()
    about_search = 0
    for proc in processes:
        for line in proc.output().splitlines():
            if line.startswith("flightcrawl API ("):
                continue  # the one banner the API prints on start
            record = json.loads(line)
            assert {"time", "level", "logger", "task_id", "message"} <= set(record)
            # The search's own requests (not a gated site's session warm-up, which serves no search).
            message = record["message"]
            if task_id in message or "travel/flights/search" in message or "flights/v2/search/stream" in message:
                assert record["task_id"] == task_id, record
                about_search += 1
    assert about_search >= 6
    worker_log = workers[0].output()
    assert any(json.loads(line)["message"].startswith("flightcrawl google: ok")
               and json.loads(line)["task_id"] == task_id for line in worker_log.splitlines())
    # Secrets: neither a proxy's password nor a cookie's value is in any log or answer.
    everything = "".join(p.output() for p in processes) + json.dumps(events[-1].data) + result
    assert SECRET not in everything
    assert CONSENT_COOKIES["SOCS"] not in everything
    assert "Cookie: ***" in worker_log  # the cookie lines were logged, masked


def test_redact_masks_every_kind_of_secret():
    from flightcrawl.logs import redact

    cases = {
        "proxy http://bob:hunter2@10.0.0.1:3128 refused": "hunter2",
        "Cookie: SOCS=CAESHAgBEhJn; CONSENT=PENDING+987": "CAESHAgBEhJn",
        "Set-Cookie: session=abc123def; Path=/": "abc123def",
        "{'HTTPS_PROXY': 'http://u:pw9@h:1', 'X': 1}": "pw9",
        "HTTP_PROXY=http://proxy.corp:8080": "proxy.corp",
        "Authorization: Bearer eyJhbGciOi.x.y": "eyJhbGciOi",
        '"api_key": "k-123456"': "k-123456",
        "REDIS_PASSWORD=sw0rdfish": "sw0rdfish",
        "redis://:sw0rdfish@127.0.0.1:6379/0": "sw0rdfish",
    }
    for text, secret in cases.items():
        assert secret not in redact(text), text
    assert redact("mmt: ok, 23 options in 0.41 s") == "mmt: ok, 23 options in 0.41 s"
