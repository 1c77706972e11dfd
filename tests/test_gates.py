"""The bot gates: the sandbox's (plain HTTP is refused, only a script gets the cookie), and the
gated sites' browser paths in real Chromium: session obtained, reused, refused and refreshed,
expired and refreshed, and `blocked` when a fresh session is refused too."""

import asyncio
import datetime as dt
import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import aiohttp.web
import pytest
import redis

from flightcrawl.hostmap import rewrite_url
from flightcrawl.politeness import parse_proxies, retry_after_seconds
from flightcrawl.query import SearchQuery
from flightcrawl.sandbox import gates
from flightcrawl.sandbox.app import SandboxServer
from flightcrawl.sandbox.faults import SandboxConfig
from flightcrawl.sessions import MemorySessionStore, RedisSessionStore, Session
from flightcrawl.sites import goibibo, ixigo, mmt
from tests.conftest import run_cli
from tests.services import REDIS_URL, clean_redis, new_prefix, sandbox, set_faults

QUERY = SearchQuery.parse("DEL", "BOM", "2026-12-20", now=dt.date(2026, 1, 1))
UA = "Mozilla/5.0 (X11; Linux x86_64) flightcrawl-test"


def run(check, config=None):
    async def main():
        async with SandboxServer(config or SandboxConfig()) as server, \
                aiohttp.ClientSession(headers={"User-Agent": UA}) as session:
            return await check(server, session)
    return asyncio.run(main())


def url(server, real):
    return rewrite_url(real, server.host_map)


# --- the sandbox's gates, over plain HTTP -------------------------------------------------

@pytest.mark.parametrize("contract", [mmt, goibibo])
def test_akamai_refuses_a_plain_client_and_sets_its_cookie_only_through_javascript(contract):
    async def check(server, session):
        api = url(server, contract.search_url(QUERY, "req-1"))
        async with session.get(api, headers=contract.search_headers("dev-1", UA)) as response:
            denied = response.status, response.headers.get("Server"), await response.text()
        async with session.get(url(server, contract.listing_url(QUERY))) as response:
            cold = response.status, await response.text()
        async with session.get(url(server, contract.home_url())) as response:
            home = response.headers.getall("Set-Cookie", []), await response.text()
        token = gates.issue(server.config, contract.NAME)
        async with session.get(api, headers={**contract.search_headers("dev-1", UA), "Cookie": f"_abck={token}"}
                               ) as response:
            passed = response.status, await response.text()
        return denied, cold, home, passed
    denied, cold, home, passed = run(check)
    assert denied[:2] == (403, "AkamaiGHost") and "Access Denied" in denied[2]
    assert cold == (200, "200-OK")  # a cold listing visit gets the stub, not the app (§1.2)
    assert home[0] == [] and "sensor_data" in home[1] and "document.cookie" in home[1]
    assert passed[0] == 200 and "event: response" in passed[1]


def test_cloudflare_clearance_is_bound_to_the_user_agent_and_expires():
    config = SandboxConfig(session_seconds=1, rate_limit=False)

    async def check(server, session):
        api = url(server, ixigo.search_url(QUERY))
        headers = ixigo.search_headers("a" * 20, UA, referer=ixigo.listing_url(QUERY))
        async with session.get(api, headers=headers) as response:
            challenged = response.status, response.headers.get("cf-mitigated"), await response.text()
        token = gates.issue(config, ixigo.NAME, UA)
        async with session.get(api, headers={**headers, "Cookie": f"cf_clearance={token}"}) as response:
            passed = response.status
        other = {**headers, "User-Agent": "curl/8.0", "Cookie": f"cf_clearance={token}"}
        async with session.get(api, headers=other) as response:
            other_ua = response.status
        await asyncio.sleep(1.2)
        async with session.get(api, headers={**headers, "Cookie": f"cf_clearance={token}"}) as response:
            expired = response.status
        return challenged, passed, other_ua, expired
    challenged, passed, other_ua, expired = run(check, config)
    assert challenged[:2] == (403, "challenge") and "Just a moment..." in challenged[2]
    assert passed == 200
    assert other_ua == 403  # replayed with another User-Agent: refused
    assert expired == 403
    assert gates.refusal(config, ixigo.NAME, "1~abc", UA) == "cookie not issued to this client (User-Agent) or revoked"


def test_revoking_every_cookie_and_switching_the_gates_off():
    config = SandboxConfig()
    token = gates.issue(config, mmt.NAME)
    assert gates.refusal(config, mmt.NAME, token) is None
    config.update({"gate_generation": 1})
    assert gates.refusal(config, mmt.NAME, token) is not None
    config.update({"gates": False})
    assert config.to_dict()["gates"] is False


def test_the_challenge_answer_must_be_solved():
    async def check(server, session):
        flow = url(server, ixigo.home_url()).rstrip("/") + gates.CHALLENGE_PATH
        async with session.post(flow, json={"seed": 7, "answer": 1}) as response:
            wrong = response.status
        async with session.post(flow, json={"seed": 7, "answer": gates.puzzle(7)}) as response:
            right = response.status, await response.json()
        return wrong, right
    wrong, right = run(check)
    assert wrong == 403
    assert right[0] == 200 and right[1]["cf_clearance"]


# --- session stores -------------------------------------------------------------------------

def test_memory_store_forgets_expired_sessions_and_drops_only_the_one_it_was_given():
    store = MemorySessionStore(ttl=60)
    first = Session("ixigo", {"cf_clearance": "x"}, UA)
    store.put(first)
    assert store.get("ixigo") is first
    store.put(second := Session("ixigo", {"cf_clearance": "y"}, UA))
    assert store.drop("ixigo", first.id) is False  # another search already refreshed it
    assert store.get("ixigo") is second and store.drop("ixigo", second.id) is True
    store.put(Session("mmt", {"_abck": "z"}, UA, expires_at=time.time() - 1))
    assert store.get("mmt") is None


def test_redis_store_is_shared_and_expires():
    prefix = new_prefix()
    client = redis.Redis.from_url(REDIS_URL)
    try:
        one, two = RedisSessionStore(client, prefix), RedisSessionStore(client, prefix)
        session = Session("mmt", {"_abck": "t"}, UA, expires_at=time.time() + 30)
        one.put(session)
        assert two.get("mmt") == session  # another worker sees it
        assert 0 < client.pttl(f"{prefix}:session:mmt") <= 30_000  # the cookie's expiry bounds the TTL
        assert two.drop("mmt", "not-it") is False and two.drop("mmt", session.id) is True
        assert one.get("mmt") is None
    finally:
        clean_redis(prefix)
        client.close()


def test_session_from_browser_cookies_keeps_the_gate_cookies_and_their_expiry():
    cookies = [{"name": "_abck", "value": "a", "expires": 2000.0}, {"name": "bm_sz", "value": "b", "expires": 1500.0},
               {"name": "other", "value": "c", "expires": -1}]
    session = Session.from_browser("mmt", cookies, UA, names=mmt.GATE_COOKIES)
    assert session.cookies == {"_abck": "a", "bm_sz": "b"} and session.expires_at == 1500.0
    assert session.cookie_header() == "_abck=a; bm_sz=b"


# --- politeness -----------------------------------------------------------------------------

def test_retry_after_and_proxy_lists():
    assert retry_after_seconds("5") == 5.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
    assert parse_proxies("ixigo=http://p1:3128|http://p2:3128,mmt=http://p3:3128") == {
        "ixigo": ["http://p1:3128", "http://p2:3128"], "mmt": ["http://p3:3128"]}
    assert parse_proxies({"mmt": "http://p3:3128"}) == {"mmt": ["http://p3:3128"]}
    with pytest.raises(ValueError):
        parse_proxies("ixigo")


# --- the browser paths in real Chromium, against a sandbox process ------------------------

@pytest.fixture
def gated_sandbox():
    proc, base, host_map = sandbox()
    prefix = new_prefix()
    env = {"FLIGHTCRAWL_HOST_MAP": host_map, "FLIGHTCRAWL_SESSION_STORE": "redis",
           "FLIGHTCRAWL_REDIS_PREFIX": prefix}
    yield base, env, prefix
    proc.stop()
    clean_redis(prefix)


def search(env, sources="mmt,ixigo,goibibo", deadline="20"):
    result = run_cli("search", "DEL", "BOM", "+30", "--sources", sources, "--deadline", deadline, "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["sources"]


def session_ids(prefix, sites=("mmt", "ixigo", "goibibo")):
    client = redis.Redis.from_url(REDIS_URL)
    try:
        raw = {site: client.get(f"{prefix}:session:{site}") for site in sites}
    finally:
        client.close()
    return {site: json.loads(value)["id"] if value else None for site, value in raw.items()}


def assert_ok(statuses, how):
    for site, status in statuses.items():
        assert status["status"] == "ok" and status["options"] > 0, status
        assert status["extra"]["session"] == how, (site, status)


def test_sessions_are_obtained_in_the_browser_reused_refused_refreshed_and_expire(gated_sandbox):
    base, env, prefix = gated_sandbox
    assert_ok(search(env), "browser")  # no session yet: every gated site goes through Chromium
    first = session_ids(prefix)
    assert all(first.values())

    assert_ok(search(env), "reused")  # plain HTTP with the cached cookies, no browser
    assert session_ids(prefix) == first

    asyncio.run(set_faults(base, {}, gate_generation=1))  # the gates revoke every cookie
    assert_ok(search(env), "refreshed")  # refused -> refreshed once in the browser -> ok
    second = session_ids(prefix)
    assert all(second[s] != first[s] for s in first)

    # Cookies now live 3 s: a search after that finds them expired and takes the browser again.
    asyncio.run(set_faults(base, {}, gate_generation=2, session_seconds=3))
    assert_ok(search(env), "refreshed")
    time.sleep(3.5)
    assert_ok(search(env), "browser")


def test_a_refused_fresh_session_is_blocked_with_the_gates_reason(gated_sandbox):
    base, env, _ = gated_sandbox
    asyncio.run(set_faults(base, {"mmt": "gate403", "ixigo": "gate403", "goibibo": "challenge"}))
    statuses = search(env)
    assert statuses["mmt"]["status"] == "blocked"
    assert "AkamaiGHost" in statuses["mmt"]["reason"] and "after a fresh browser session" in statuses["mmt"]["reason"]
    assert statuses["ixigo"]["status"] == "blocked" and "cloudflare" in statuses["ixigo"]["reason"]
    assert statuses["goibibo"]["status"] == "blocked" and "challenge" in statuses["goibibo"]["reason"]


@pytest.mark.parametrize("fault, expected", [
    ("cut", "bad_response"), ("reset", "error"), ("http500", "error"), ("malformed", "bad_response"),
    ("empty", "no_results"), ("rate429", "rate_limited"),
])
def test_the_browser_path_reads_what_the_page_receives_and_types_its_failures(fault, expected):
    """MakeMyTrip through Chromium every time (no session store): the stream response the
    listing page itself receives is read, and its failures get the same statuses as over HTTP."""
    result = run_cli("search", "DEL", "BOM", "+30", "--sources", "mmt", "--sandbox", "--fault", f"mmt={fault}",
                     "--deadline", "10", "--json", env={"FLIGHTCRAWL_SESSION_STORE": "off"})
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)["sources"]["mmt"]
    assert status["status"] == expected, status
    assert status["extra"]["session"] == "browser"


def test_a_browser_that_says_webdriver_gets_no_cookie(gated_sandbox):
    """The sensor refuses `navigator.webdriver`; the browser path masks it. Unmasked (the
    context's init script removed by a plain Playwright run here), the gate says no."""
    base, _, _ = gated_sandbox

    async def main():
        from playwright.async_api import async_playwright

        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path="/usr/lib/chromium/chromium", args=["--no-sandbox"])
            try:
                results = {}
                for masked in (False, True):
                    context = await browser.new_context(user_agent=UA)
                    page = await context.new_page()
                    if masked:
                        from flightcrawl.browser import MASK_WEBDRIVER

                        await page.add_init_script(MASK_WEBDRIVER)
                    await page.goto(f"{base}/{mmt.WEB_HOST}/")
                    await page.wait_for_timeout(700)
                    results[masked] = [c["name"] for c in await context.cookies()]
                    await context.close()
                return results
            finally:
                await browser.close()
    results = asyncio.run(main())
    assert "_abck" not in results[False]
    assert "_abck" in results[True]


class RateLimitedFront:
    """A front for the sandbox's Cleartrip that answers its first call 429 (Retry-After given)."""

    def __init__(self, sandbox_base: str, retry_after: str) -> None:
        calls = self.calls = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                calls.append(time.monotonic())
                if len(calls) == 1:
                    self.send_response(429)
                    self.send_header("Retry-After", retry_after)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                request = urllib.request.Request(sandbox_base + self.path, headers=dict(self.headers))
                with urllib.request.urlopen(request) as answer:
                    body = answer.read()
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.headers["Content-Type"])
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host_map = f"www.cleartrip.com=http://127.0.0.1:{self.server.server_port}/www.cleartrip.com"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.mark.parametrize("retry_after, deadline, expected", [("1", "10", "ok"), ("5", "3", "rate_limited")])
def test_429_is_waited_out_only_when_the_wait_fits_the_deadline(gated_sandbox, retry_after, deadline, expected):
    base, env, _ = gated_sandbox
    front = RateLimitedFront(base, retry_after)
    try:
        started = time.monotonic()
        status = search({**env, "FLIGHTCRAWL_HOST_MAP": front.host_map}, "cleartrip", deadline=deadline)["cleartrip"]
    finally:
        front.server.shutdown()
    assert status["status"] == expected, status
    if expected == "ok":
        assert status["extra"]["backoff"] == ["429, waited 1 s"]
        assert front.calls[1] - front.calls[0] >= 0.95
    else:  # a 5 s wait does not fit in 3 s: reported at once, not after the deadline
        assert len(front.calls) == 1 and "Retry-After 5" in status["reason"]
        assert time.monotonic() - started < 3 + 5


def test_doctor_reports_each_site():
    result = run_cli("doctor", "--sites", "mmt,ixigo,cleartrip", "--json")
    assert result.returncode == 0, result.stderr
    report = {row["site"]: row for row in json.loads(result.stdout)}
    assert {row["verdict"] for row in report.values()} == {"works"}
    assert all(row["seconds"] > 0 for row in report.values())


def test_doctor_live_fails_fast_without_network():
    started = time.monotonic()
    result = run_cli("doctor", "--live", "--sites", "mmt,ixigo", timeout=30)
    assert result.returncode == 1
    assert "no network" in result.stdout.lower() or "no network" in result.stderr.lower()
    assert time.monotonic() - started < 20



# --- TLS impersonation (curl_cffi) ----------------------------------------------------------

def test_impersonated_requests_send_our_headers_and_map_failures():
    from scrapy import Request
    from twisted.internet import error as net

    from flightcrawl.impersonate import Impersonator

    async def main():
        seen = []

        async def echo(request):
            seen.append(request.headers.getall("User-Agent"))
            return aiohttp.web.Response(text="hello", headers={"Set-Cookie": "a=1"})

        app = aiohttp.web.Application()
        app.router.add_get("/echo", echo)
        runner = aiohttp.web.AppRunner(app)
        await runner.setup()
        site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        impersonator = Impersonator()
        try:
            response = await impersonator.download(
                Request(f"http://127.0.0.1:{port}/echo", headers={"User-Agent": UA}), "chrome142")
            refused = None
            try:
                await impersonator.download(Request("http://127.0.0.1:9/x"), "chrome142")
            except Exception as exc:
                refused = exc
            return seen, response, refused
        finally:
            await impersonator.close()
            await runner.cleanup()
    seen, response, refused = asyncio.run(main())
    assert seen == [[UA]]  # our honest User-Agent, once (curl's defaults are off)
    assert response.status == 200 and response.body == b"hello" and "impersonate:chrome142" in response.flags
    assert response.headers.get("Set-Cookie") == b"a=1"
    assert isinstance(refused, net.ConnectionRefusedError)


def test_google_and_ixigo_replay_with_a_browser_tls_fingerprint():
    from scrapy.settings import Settings

    from flightcrawl.spiders.google import GoogleSpider
    from flightcrawl.spiders.ixigo import IxigoSpider

    for spider in (GoogleSpider, IxigoSpider):
        settings = Settings({"FLIGHTCRAWL_DEADLINE": 7})
        spider.update_settings(settings)
        assert settings.get("FLIGHTCRAWL_IMPERSONATE") == "chrome142"
