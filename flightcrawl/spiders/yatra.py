"""Yatra: the listing page rendered in Chromium (scrapy-playwright), its cards read by a pure parser.

Its downloads go through the process's one shared browser (flightcrawl.browser); each page is
closed once its HTML is read; images, fonts, media and analytics are never fetched.
"""

from __future__ import annotations

from collections.abc import Iterable

from playwright.async_api import Page
from scrapy import Request
from scrapy.settings import BaseSettings
from scrapy_playwright.page import PageMethod

from flightcrawl.browser import OneBrowserHandler, abort_request, browser_settings, hold_to_deadline
from flightcrawl.parsers import yatra as parser
from flightcrawl.query import SearchQuery
from flightcrawl.sites import yatra as site
from flightcrawl.spiders.base import FlightSpider

__all__ = ["OneBrowserHandler", "YatraSpider", "abort_request", "hold_to_deadline"]

# The main document's HTTP status as the browser saw it (0 when unknown).
_DOCUMENT_STATUS = "() => (performance.getEntriesByType('navigation')[0] || {}).responseStatus || 0"


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

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        browser_settings(settings)

    def search_requests(self, query: SearchQuery) -> Iterable[Request]:
        yield self.request(site.listing_url(query), headers={}, meta={
            "playwright": True,
            "playwright_page_init_callback": hold_to_deadline,
            "playwright_page_methods": [PageMethod(wait_for_listing)],
            "flightcrawl_deadline_at": self.outcome.deadline_at,  # the job being started
        })
