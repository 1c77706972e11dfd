"""Yatra: the listing page rendered in Chromium (scrapy-playwright), its cards read by a pure parser.

Only this spider drives a browser: its custom settings route its downloads through
scrapy-playwright, so every other site keeps plain HTTP. One browser serves the crawl; each
page is closed once its HTML is read (scrapy-playwright does so without
`playwright_include_page`); images, fonts and media are never fetched.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterable

from playwright.async_api import Page
from playwright.async_api import Request as BrowserRequest
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod

from flightcrawl.parsers import yatra as parser
from flightcrawl.query import SearchQuery
from flightcrawl.sites import yatra as site
from flightcrawl.spiders.base import FlightSpider

HANDLER = "flightcrawl.spiders.yatra.OneBrowserHandler"
# We run as root, hence no sandbox; the background-networking flags keep Chromium from calling
# Google's services (component updates, sync, ...), which a machine without internet would
# wait on.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
BLOCKED_RESOURCES = frozenset({"image", "font", "media"})
# Time kept back from the page's waits to close the page and the browser within the deadline
# (measured: about 0.1 s on an idle machine, several times that on a busy one).
BROWSER_CLOSE_SECONDS = 0.5
# The main document's HTTP status as the browser saw it (0 when unknown).
_DOCUMENT_STATUS = "() => (performance.getEntriesByType('navigation')[0] || {}).responseStatus || 0"


class OneBrowserHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's download handler, one instance per crawl for http and https alike.

    Scrapy makes a handler per scheme, and each would start its own Playwright driver (a Node
    process of about 125 MB) when the engine starts; one is enough for one browser.
    """

    _closed = False
    _per_crawler: weakref.WeakKeyDictionary[Crawler, OneBrowserHandler] = weakref.WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OneBrowserHandler:
        if crawler not in cls._per_crawler:
            cls._per_crawler[crawler] = cls(crawler)
        return cls._per_crawler[crawler]

    async def close(self) -> None:
        if not self._closed:  # Scrapy closes it once per scheme
            self._closed = True
            await super().close()


def abort_request(request: BrowserRequest) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: nothing the cards need is an image, a font or a video."""
    return request.resource_type in BLOCKED_RESOURCES


async def hold_to_deadline(page: Page, request: Request) -> None:
    """Page init callback: the page's navigation and waits end when the search's deadline does.

    The browser's launch comes out of the same deadline, so the time left is taken here,
    just before the page navigates, not when the request was made; and the browser must be
    shut down by the deadline too.
    """
    deadline_at = request.meta.get("flightcrawl_deadline_at")
    if deadline_at is None:
        return
    left_ms = max(50.0, (deadline_at - BROWSER_CLOSE_SECONDS - time.monotonic()) * 1000)
    page.set_default_navigation_timeout(left_ms)
    page.set_default_timeout(left_ms)


async def wait_for_listing(page: Page) -> None:
    """Page method: return once the page shows cards, its no-flights notice or its error state.

    An error document (403, 429, 500 ...) or the bot check's page will show none of them:
    those return at once, and the status or the parser says what happened.
    """
    status = await page.evaluate(_DOCUMENT_STATUS)
    if status and not 200 <= status < 300:
        return
    if parser.blocked_reason(await page.title()):
        return
    await page.wait_for_selector(parser.READY, state="attached")  # times out at the deadline


class YatraSpider(FlightSpider):
    name = "yatra"
    site = site
    parse_body = staticmethod(parser.parse)
    custom_settings = {
        "DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_ABORT_REQUEST": abort_request,
    }

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        deadline = settings.getfloat("FLIGHTCRAWL_DEADLINE", 30.0)
        settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", {
            "executable_path": settings.get("FLIGHTCRAWL_CHROMIUM"),
            "headless": True,
            "args": CHROMIUM_ARGS,
            "timeout": deadline * 1000,  # a launch that hangs must not outlive the search
        }, priority="spider")
        settings.set("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT", deadline * 1000, priority="spider")

    def search_requests(self, query: SearchQuery) -> Iterable[Request]:
        yield self.request(site.listing_url(query), headers={}, meta={
            "playwright": True,
            "playwright_page_init_callback": hold_to_deadline,
            "playwright_page_methods": [PageMethod(wait_for_listing)],
            "flightcrawl_deadline_at": self.outcome.deadline_at,  # the job being started
        })
