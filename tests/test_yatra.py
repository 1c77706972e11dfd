"""Yatra's browser path: the request contract, the replica's JavaScript-only page, browser failures."""

import asyncio
import datetime as dt

import aiohttp
import pytest
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout
from scrapy.settings import Settings

from flightcrawl.failures import classify_browser_error
from flightcrawl.hostmap import rewrite_url
from flightcrawl.parsers import yatra as parser
from flightcrawl.query import SearchQuery
from flightcrawl.sandbox.app import SandboxServer
from flightcrawl.sandbox.faults import SandboxConfig
from flightcrawl.sites import yatra
from flightcrawl.spiders.yatra import YatraSpider, abort_request
from flightcrawl.status import BadResponse, Status

QUERY = SearchQuery.parse("DEL", "BOM", "2026-12-20", now=dt.date(2026, 1, 1))


def test_listing_url_is_the_documented_one():
    assert yatra.listing_url(QUERY) == (
        "https://flight.yatra.com/air-search-ui/dom2/trigger?type=O&viewName=normal&flexi=0&noOfSegments=1"
        "&origin=DEL&originCountry=IN&destination=BOM&destinationCountry=IN&flight_depart_date=20%2F12%2F2026"
        "&ADT=1&CHD=0&INF=0&class=Economy&source=fresco-home")


def fetch(path_and_query: str, config: SandboxConfig | None = None) -> tuple[int, str, bytes]:
    async def main():
        async with SandboxServer(config or SandboxConfig()) as server, aiohttp.ClientSession() as session:
            url = rewrite_url(f"https://{yatra.HOST}{path_and_query}", server.host_map)
            async with session.get(url) as response:
                return response.status, response.headers.get("Content-Type", ""), await response.read()
    return asyncio.run(main())


def test_plain_http_sees_no_flights_only_a_browser_does():
    status, content_type, body = fetch(yatra.listing_url(QUERY).split(yatra.HOST, 1)[1])
    assert status == 200 and content_type.startswith("text/html")
    assert b"fetch(" in body and b"flightItem" in body  # the script that builds the cards
    with pytest.raises(BadResponse, match="no flight cards"):
        parser.parse(body, QUERY)


def test_data_call_takes_the_listing_parameters():
    query = yatra.listing_url(QUERY).split("?", 1)[1]
    status, content_type, body = fetch(f"{yatra.DATA_PATH}?{query}")
    assert status == 200 and content_type.startswith("application/json")
    assert body.count(b'"flightNo"') >= 5
    bad, _, _ = fetch(f"{yatra.DATA_PATH}?{query.replace('20%2F12%2F2026', '2026-12-20')}")
    assert bad == 400


def test_listing_rejects_malformed_parameters():
    url = yatra.listing_url(QUERY).split(yatra.HOST, 1)[1]
    assert fetch(url.replace("ADT=1", "ADT=one"))[0] == 400
    assert fetch(url.replace("class=Economy", "class=E"))[0] == 400


def test_challenge_fault_serves_the_challenge_validation_page():
    status, _, body = fetch(yatra.listing_url(QUERY).split(yatra.HOST, 1)[1],
                            SandboxConfig(faults={"yatra": "challenge"}))
    assert status == 200 and b"<title>Challenge Validation</title>" in body


def test_only_yatra_downloads_through_the_browser():
    settings = Settings({"FLIGHTCRAWL_DEADLINE": 7, "FLIGHTCRAWL_CHROMIUM": "/usr/lib/chromium/chromium"})
    YatraSpider.update_settings(settings)
    assert settings.getdict("DOWNLOAD_HANDLERS")["https"].endswith("OneBrowserHandler")
    assert settings.getfloat("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT") == 7000
    launch = settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")
    assert launch["executable_path"] == "/usr/lib/chromium/chromium" and launch["headless"] is True
    assert "--disable-background-networking" in launch["args"]


class FakeRequest:
    def __init__(self, resource_type, url="http://127.0.0.1:8901/flight.yatra.com/x"):
        self.resource_type, self.url = resource_type, url


@pytest.mark.parametrize("resource_type, aborted", [
    ("image", True), ("font", True), ("media", True), ("document", False), ("script", False), ("fetch", False),
])
def test_images_fonts_and_media_are_never_fetched(resource_type, aborted):
    assert abort_request(FakeRequest(resource_type)) is aborted


@pytest.mark.parametrize("url, aborted", [
    ("https://www.google-analytics.com/g/collect?v=2", True),
    ("https://www.googletagmanager.com/gtm.js?id=GTM-X", True),
    ("https://www.makemytrip.com/flight/search", False),
])
def test_analytics_is_never_fetched(url, aborted):
    assert abort_request(FakeRequest("script", url)) is aborted


@pytest.mark.parametrize("error, status, reason", [
    (PlaywrightTimeout("Page.wait_for_selector: Timeout 2679.13ms exceeded."), Status.TIMEOUT,
     "no complete answer within the search deadline (Page.wait_for_selector timed out)"),
    (PlaywrightError("Page.goto: net::ERR_EMPTY_RESPONSE at http://127.0.0.1/x"), Status.ERROR,
     "connection closed before a response (reset by the site?) (net::ERR_EMPTY_RESPONSE)"),
    (PlaywrightError("Page.goto: net::ERR_NAME_NOT_RESOLVED at https://flight.yatra.com/"), Status.ERROR,
     "DNS lookup failed (no network?) (net::ERR_NAME_NOT_RESOLVED)"),
    (PlaywrightError("BrowserType.launch: Executable doesn't exist at /x/chromium\nmore"), Status.ERROR,
     "browser not available: BrowserType.launch: Executable doesn't exist at /x/chromium"),
])
def test_browser_errors_become_typed_statuses(error, status, reason):
    assert classify_browser_error(error) == (status, reason)
