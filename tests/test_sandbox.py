"""The sandbox reproduces each site's gates and formats (in-process server, real HTTP)."""

import asyncio
import datetime as dt
import json
import re

import aiohttp
import pytest

from flightcrawl.hostmap import rewrite_url
from flightcrawl.parsers import cleartrip as cleartrip_parser
from flightcrawl.parsers import emt as emt_parser
from flightcrawl.parsers import goibibo as goibibo_parser
from flightcrawl.parsers import google as google_parser
from flightcrawl.parsers import ixigo as ixigo_parser
from flightcrawl.parsers import mmt as mmt_parser
from flightcrawl.query import SearchQuery
from flightcrawl.sandbox import emt as emt_replica
from flightcrawl.sandbox.app import SandboxServer
from flightcrawl.sandbox.faults import SandboxConfig
from flightcrawl.sites import cleartrip, emt, goibibo, google, ixigo, mmt

QUERY = SearchQuery.parse("DEL", "BOM", "2026-12-20", now=dt.date(2026, 1, 1))


def run(coro_fn, config=None):
    """These tests read what lies behind the bot gates (headers, formats, faults): the gates
    themselves (cookies a browser's script writes) are tests/test_gates.py's."""
    async def main():
        async with SandboxServer(config or SandboxConfig(gates=False)) as server, aiohttp.ClientSession() as session:
            return await coro_fn(server, session)
    return asyncio.run(main())


def mmt_url(server):
    return rewrite_url(mmt.search_url(QUERY, "req-1", now_ms=1), server.host_map)


def ixigo_url(server):
    return rewrite_url(ixigo.search_url(QUERY), server.host_map)


def cleartrip_url(server):
    return rewrite_url(cleartrip.search_url(QUERY), server.host_map)


@pytest.mark.parametrize("missing", mmt.REQUIRED_HEADERS)
def test_mmt_each_missing_header_gets_its_own_403(missing):
    async def check(server, session):
        headers = {k: v for k, v in mmt.search_headers("dev-1", "ua").items() if k != missing}
        async with session.get(mmt_url(server), headers=headers) as response:
            return response.status, await response.text(), response.headers.get("Server")
    assert run(check) == (403, f"Missing Header {missing}", "AkamaiGHost")


def test_mmt_rejects_malformed_itinerary():
    async def check(server, session):
        url = mmt_url(server).replace("it=DEL-BOM-20261220", "it=DEL-BOM-20-12-2026")
        async with session.get(url, headers=mmt.search_headers("d", "ua")) as response:
            return response.status
    assert run(check) == 400


def test_mmt_frames_are_documented_shape_and_deterministic():
    async def fetch(server, session):
        bodies = []
        for _ in range(2):
            async with session.get(mmt_url(server), headers=mmt.search_headers("d", "ua")) as response:
                assert response.headers["Content-Type"].startswith("text/event-stream")
                bodies.append(await response.read())
        return bodies
    first, second = run(fetch)
    assert first == second
    text = first.decode()
    assert text.startswith("id: HANDSHAKE\nevent: response-headers\ndata: ")
    assert "event: pre-search" in text and text.rstrip().endswith("id: END\nevent: response")
    assert "data: H4sI" in text  # base64 of gzip
    assert mmt_parser.parse(first, QUERY).complete


def test_ixigo_header_gate_and_rate_limit():
    async def check(server, session):
        async with session.get(ixigo_url(server)) as response:
            gate = response.status, (await response.json())["errors"][0]["message"]
        headers = ixigo.search_headers("0123456789abcdef0123", "ua", referer="r")
        statuses = []
        for _ in range(4):
            async with session.get(ixigo_url(server), headers=headers) as response:
                statuses.append(response.status)
                retry_after = response.headers.get("Retry-After")
        return gate, statuses, retry_after
    gate, statuses, retry_after = run(check)
    assert gate == (403, "missing header apikey")
    # The edge counts every call, the refused one too: a burst of 2, then 429.
    assert statuses[0] == 200 and 429 in statuses[1:]
    assert retry_after == "1"


def test_same_flight_on_both_sites_in_each_spelling():
    async def fetch(server, session):
        async with session.get(mmt_url(server), headers=mmt.search_headers("d", "ua")) as r:
            mmt_body = await r.read()
        async with session.get(ixigo_url(server), headers=ixigo.search_headers("a" * 20, "ua", "r")) as r:
            ixigo_body = await r.read()
        return mmt_body, ixigo_body
    mmt_body, ixigo_body = run(fetch)
    mmt_numbers = {tuple(o.flight_numbers) for o in mmt_parser.parse(mmt_body, QUERY).options}
    ixigo_numbers = {tuple(o.flight_numbers) for o in ixigo_parser.parse(ixigo_body, QUERY).options}
    assert any(" " in n[0] for n in mmt_numbers)  # "6E 309"
    assert not any(" " in n[0] and "," not in n[0] for n in ixigo_numbers)  # "6E309"
    canonical = {n[0].replace(" ", "") for n in mmt_numbers} & {n[0].replace(" ", "") for n in ixigo_numbers}
    assert len(canonical) >= 5


def test_a_site_delay_holds_the_answer_and_the_body_is_unchanged():
    """The delay is the site's response time (benchmarks set it): nothing is sent before it
    has passed, and what is sent is the same document as without it."""
    async def fetch(server, session):
        async with session.get(mmt_url(server), headers=mmt.search_headers("d", "ua")) as r:
            quick = await r.read()
        server.config.delays = {"mmt": 0.4}
        loop = asyncio.get_running_loop()
        sent = loop.time()
        async with session.get(mmt_url(server), headers=mmt.search_headers("d", "ua")) as r:
            headers_after = loop.time() - sent
            delayed = await r.read()
        return quick, delayed, headers_after
    quick, delayed, headers_after = run(fetch)
    assert headers_after >= 0.4
    assert delayed == quick


def test_config_endpoint_switches_faults_and_rejects_unknown_ones():
    async def check(server, session):
        base = server.base_url + "/__sandbox__/config"
        async with session.put(base, json={"faults": {"mmt": "explode"}}) as r:
            bad = r.status
        async with session.put(base, json={"faults": {"mmt": "http500"}}) as r:
            assert r.status == 200
        async with session.get(mmt_url(server), headers=mmt.search_headers("d", "ua")) as r:
            faulted = r.status
        return bad, faulted
    assert run(check) == (400, 500)


def emt_url(server):
    return rewrite_url(emt.search_url(now_ms=1788696063212), server.host_map)


def test_emt_answers_the_documented_post_with_one_json_document():
    async def fetch(server, session):
        bodies = []
        for _ in range(2):
            async with session.post(emt_url(server), json=emt.search_body(QUERY, "trace-1"),
                                    headers=emt.search_headers("ua")) as response:
                assert response.headers["Content-Type"].startswith("application/json")
                bodies.append(await response.read())
        async with session.get(emt_url(server)) as response:
            get_status = response.status
        return bodies, get_status
    (first, second), get_status = run(fetch)
    assert first == second and get_status == 405
    doc = json.loads(first)
    assert {"C", "A", "Cnty", "SQ", "dctFltDtl", "j"} <= doc.keys()
    segment = next(iter(doc["dctFltDtl"].values()))
    assert {"AC", "FN", "OG", "DT", "DDT", "DTM", "ADT", "ATM", "DUR", "STP"} <= segment.keys()
    assert re.fullmatch(r"[A-Z][a-z]{2}-\d{2}[A-Z][a-z]{2}\d{4}", segment["DDT"])  # Sun-20Dec2026
    page = emt_parser.parse(first, QUERY)
    assert page.complete and not page.rejected
    assert len(page.options) == len(emt_replica.offers_for("DEL", "BOM", QUERY.date, "economy"))


@pytest.mark.parametrize("change", [
    {"deptDT": "20/12/2026"},
    {"adt": 1},  # counts are strings
    {"Cabin": 7},
    {"org": "XXX"},
])
def test_emt_rejects_a_malformed_body(change):
    async def check(server, session):
        async with session.post(emt_url(server), json={**emt.search_body(QUERY, "t"), **change}) as r:
            malformed = r.status
        body = {k: v for k, v in emt.search_body(QUERY, "t").items() if k != "TraceId"}
        async with session.post(emt_url(server), json=body) as r:
            missing = r.status, (await r.json())["Message"]
        return malformed, missing
    malformed, missing = run(check)
    assert malformed == 400
    assert missing == (400, "The request is invalid: missing TraceId")


def test_emt_bot_manager_is_aws_waf():
    async def check(server, session):
        seen = []
        for fault in ("gate403", "challenge"):
            await session.put(server.base_url + "/__sandbox__/config", json={"faults": {"emt": fault}})
            async with session.post(emt_url(server), json=emt.search_body(QUERY, "t")) as r:
                seen.append((r.status, r.headers.get("Server"), r.headers.get("x-amzn-waf-action"), await r.text()))
        return seen
    (denied, _, _, _), (challenged, _, action, page) = run(check)
    assert denied == 403
    assert (challenged, action) == (202, "challenge") and "challenge.js" in page


@pytest.mark.parametrize("missing", goibibo.REQUIRED_HEADERS)
def test_goibibo_has_its_own_host_and_mmt_header_gate(missing):
    async def check(server, session):
        url = rewrite_url(goibibo.search_url(QUERY, "req-1", now_ms=1), server.host_map)
        assert f"/{goibibo.API_HOST}/" in url and goibibo.API_HOST != mmt.API_HOST
        headers = {k: v for k, v in goibibo.search_headers("dev-1", "ua").items() if k != missing}
        async with session.get(url, headers=headers) as response:
            gate = response.status, await response.text()
        async with session.get(url, headers=goibibo.search_headers("dev-1", "ua")) as response:
            body = await response.read()
        return gate, body
    gate, body = run(check)
    assert gate == (403, f"Missing Header {missing}")
    page = goibibo_parser.parse(body, QUERY)
    assert page.complete and {o.source for o in page.options} == {"goibibo"}
@pytest.mark.parametrize(("headers", "status"), [
    ({}, 403),
    ({"app-agent": "DESKTOP"}, 200),
    ({"X-Requested-With": "XMLHttpRequest", "Referer": "https://www.cleartrip.com/"}, 200),
    ({"X-Requested-With": "XMLHttpRequest"}, 403),
])
def test_cleartrip_wants_either_documented_header_form(headers, status):
    async def check(server, session):
        async with session.get(cleartrip_url(server), headers=headers) as response:
            return response.status, response.headers.get("Server")
    got, server_header = run(check)
    assert got == status
    assert server_header == "AkamaiGHost" or status == 200


def test_cleartrip_rejects_a_date_not_dd_mm_yyyy():
    async def check(server, session):
        url = cleartrip_url(server).replace("depart_date=20%2F12%2F2026", "depart_date=2026-12-20")
        async with session.get(url, headers={"app-agent": "DESKTOP"}) as response:
            return response.status
    assert "depart_date=20%2F12%2F2026" in cleartrip.search_url(QUERY)
    assert run(check) == 400


def test_cleartrip_fills_fares_from_the_second_call_of_a_search():
    async def fetch(server, session):
        bodies = []
        for _ in range(3):
            async with session.get(cleartrip_url(server), headers=cleartrip.search_headers("ua", "r")) as response:
                assert response.headers["Content-Type"].startswith("application/json")
                bodies.append(await response.read())
        return bodies
    first, second, third = run(fetch)
    with pytest.raises(cleartrip_parser.FaresPending):
        cleartrip_parser.parse(first, QUERY)
    assert second == third
    page = cleartrip_parser.parse(second, QUERY)
    assert len(page.options) >= 5 and not page.rejected
    assert any(len(o.flight_numbers) == 2 for o in page.options)  # a connection, "__"-joined
def google_url(server, query=QUERY):
    return rewrite_url(google.search_url(query), server.host_map)


def test_google_without_consent_cookie_is_sent_to_the_consent_wall():
    async def check(server, session):
        async with session.get(google_url(server), allow_redirects=False) as response:
            return response.status, response.headers["Location"]
    status, location = run(check)
    assert status == 302 and location.startswith("https://consent.google.com/m?continue=")
    assert "travel%2Fflights%2Fsearch%3Ftfs%3D" in location


@pytest.mark.parametrize("change", [
    lambda url: url.replace("tfs=", "tfx="),  # no tfs
    lambda url: url.replace("tfs=", "tfs=%21%21"),  # not base64
    lambda url: url.replace("tfs=Gh", "tfs=Gi"),  # not an Info message
    lambda url: url.replace("curr=INR", "curr=USD"),  # the replica prices in INR
])
def test_google_rejects_a_malformed_query(change):
    async def check(server, session):
        async with session.get(change(google_url(server)), cookies=google.CONSENT_COOKIES) as response:
            return response.status, await response.text()
    status, text = run(check)
    assert status == 400 and "malformed or illegal request" in text


def test_google_reads_the_party_back_and_prices_it():
    party = SearchQuery.parse("DEL", "BOM", "2026-12-20", adults=2, children=1, infants=1, now=dt.date(2026, 1, 1))

    async def fetch(server, session):
        bodies = []
        for query in (QUERY, party):
            async with session.get(google_url(server, query), cookies=google.CONSENT_COOKIES) as response:
                assert response.headers["Content-Type"].startswith("text/html")
                bodies.append(await response.read())
        return bodies
    single, family = run(fetch)

    def prices(body, query):
        return {(o.departure_time, o.arrival_time): o.price for o in google_parser.parse(body, query).options}
    # Children pay the adult fare, a lap infant a flat fee.
    assert prices(family, party) == {k: 3 * v + 1500 for k, v in prices(single, QUERY).items()}


def test_google_page_is_deterministic_and_some_itineraries_have_no_number():
    async def fetch(server, session):
        bodies = []
        for _ in range(2):
            async with session.get(google_url(server), cookies=google.CONSENT_COOKIES) as response:
                bodies.append(await response.read())
        return bodies
    first, second = run(fetch)
    assert first == second
    assert b'<script class="ds:1"' in first and b"AF_initDataCallback" in first
    page = google_parser.parse(first, QUERY)
    assert page.complete and not page.rejected
    assert any(o.flight_numbers for o in page.options) and any(not o.flight_numbers for o in page.options)
