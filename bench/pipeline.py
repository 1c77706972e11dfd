"""Parse + normalize + club speed per site, on each site's own payload (100+ options), and
clubbing 10,000 options into one TOTAL.

    python -m bench.pipeline [--density 8] [--rounds 20]

Bodies are fetched once from the sandbox (gates off) with each spider's exact data request (Yatra's
listing rendered in Chromium, Cleartrip's second call with fares); timing is in-process.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import os
import platform
import time
import uuid

import aiohttp

from flightcrawl import fastjson
from flightcrawl.club import club
from flightcrawl.hostmap import rewrite_url
from flightcrawl.jobs import SearchJob
from flightcrawl.parsers import SearchPage
from flightcrawl.pipelines.normalize import normalize_option
from flightcrawl.query import SearchQuery
from flightcrawl.sandbox.app import SandboxServer
from flightcrawl.sandbox.faults import SandboxConfig
from flightcrawl.sessions import Session
from flightcrawl.settings import FLIGHTCRAWL_CHROMIUM
from flightcrawl.sites import SITES
from flightcrawl.spiders.base import FlightSpider
from flightcrawl.spiders.gated import GatedSpider
from flightcrawl.status import SiteError


def spider_class(site: str) -> type[FlightSpider]:
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    return SpiderLoader.from_settings(get_project_settings()).load(site)


def make_spider(site: str) -> FlightSpider:
    from scrapy.utils.project import get_project_settings

    spider = spider_class(site)()
    spider.settings = get_project_settings()  # what a crawler would attach; no reactor needed here
    return spider


async def fetch_bodies(sandbox: SandboxServer, query: SearchQuery) -> dict[str, tuple[bytes, str]]:
    bodies = {}
    async with aiohttp.ClientSession() as session:
        for site in SITES:
            if site == "yatra":
                bodies[site] = (await render_yatra(sandbox, query), "text/html")
                continue
            spider = make_spider(site)
            spider._current = SearchJob(str(uuid.uuid4()), site, query, time.monotonic() + 30)
            if isinstance(spider, GatedSpider):
                # The sandbox's gates are off here: the data call itself is what is measured.
                request = spider.data_request(query, Session(site, {}, spider.settings.get("USER_AGENT")))
            else:
                request = next(iter(spider.search_requests(query)))
            url = rewrite_url(request.url, sandbox.host_map)
            headers = {k.decode(): v[0].decode() for k, v in request.headers.items()}
            for attempt in range(4):  # Cleartrip's first answer has no fares yet
                async with session.request(request.method, url, headers=headers, data=request.body or None,
                                           cookies=request.cookies if isinstance(request.cookies, dict) else None,
                                           allow_redirects=False) as response:
                    body = await response.read()
                    content_type = response.headers.get("Content-Type", "")
                try:
                    if spider.parse_body(body, query, content_type=content_type).options:
                        break
                except SiteError:  # Cleartrip: "fares pending"
                    pass
                await asyncio.sleep(0.5 * (attempt + 1))
            bodies[site] = (body, content_type)
    return bodies


async def render_yatra(sandbox: SandboxServer, query: SearchQuery) -> bytes:
    from playwright.async_api import async_playwright

    from flightcrawl.browser import CHROMIUM_ARGS
    from flightcrawl.sites import yatra

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=FLIGHTCRAWL_CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page()
        await page.goto(rewrite_url(yatra.listing_url(query), sandbox.host_map))
        await page.wait_for_selector("div.flightItem", timeout=15000)
        html = await page.content()
        await browser.close()
    return html.encode()


def measure(site: str, body: bytes, content_type: str, query: SearchQuery, rounds: int) -> dict:
    parse = spider_class(site).parse_body
    started = time.perf_counter()
    for _ in range(rounds):
        page: SearchPage = parse(body, query, content_type=content_type)
    parse_s = (time.perf_counter() - started) / rounds
    options = page.options
    started = time.perf_counter()
    for _ in range(rounds):
        normalized = [normalize_option(o, query) for o in options]  # pure: the raw option is not changed
    normalize_s = (time.perf_counter() - started) / rounds
    started = time.perf_counter()
    for _ in range(rounds):
        club(normalized)
    club_s = (time.perf_counter() - started) / rounds
    return {"site": site, "bytes": len(body), "options": len(options), "parse_s": parse_s,
            "normalize_s": normalize_s, "club_s": club_s, "normalized": normalized}


def main(args: argparse.Namespace) -> None:
    query = SearchQuery.parse("DEL", "BOM", "+30")

    async def get() -> dict:
        async with SandboxServer(SandboxConfig(rate_limit=False, gates=False, density=args.density)) as sandbox:
            return await fetch_bodies(sandbox, query)
    bodies = asyncio.run(get())
    rows, everything = [], []
    for site, (body, content_type) in bodies.items():
        result = measure(site, body, content_type, query, args.rounds)
        rows.append(result)
        everything.extend(result["normalized"])
    print(f"# Parse, normalize, club ({dt.date.today()}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, density {args.density})")
    print("| site | body KB | options | parse ms | normalize ms | club ms | parse+normalize+club options/s |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        per_option = (r["parse_s"] + r["normalize_s"] + r["club_s"]) / max(1, r["options"])
        print(f"| {r['site']} | {r['bytes'] / 1024:.0f} | {r['options']} | {r['parse_s'] * 1000:.1f} | "
              f"{r['normalize_s'] * 1000:.1f} | {r['club_s'] * 1000:.1f} | {1 / per_option:,.0f} |")
    started = time.perf_counter()
    total = club(everything)
    club_s = time.perf_counter() - started
    print(f"\nclub() of all {len(everything)} options from the 7 sites: {club_s * 1000:.1f} ms "
          f"({total['counts']['flights']} flights)")
    many = [dataclasses.replace(o, source=f"{o.source}{n}") for n in range(10_000 // len(everything) + 1)
            for o in everything][:10_000]
    started = time.perf_counter()
    total = club(many)
    club_s = time.perf_counter() - started
    started = time.perf_counter()
    text = fastjson.dumps(total)
    print(f"TOTAL of {len(many)} options: club() {club_s * 1000:.1f} ms, serialized once "
          f"{(time.perf_counter() - started) * 1000:.1f} ms ({len(text) / 2**20:.1f} MB; "
          f"{total['counts']['flights']} flights, {len({o.source for o in many})} sources)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--density", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=20)
    main(parser.parse_args())
