"""Google Flights: one GET of the search page, with the consent cookie; results read from `ds:1`."""

from __future__ import annotations

from collections.abc import Iterable

from scrapy import Request
from scrapy.http import Response

from flightcrawl.items import RawOption
from flightcrawl.parsers import google as parser
from flightcrawl.query import SearchQuery
from flightcrawl.sites import google as site
from flightcrawl.spiders.base import FlightSpider
from flightcrawl.status import Status

REDIRECTS = [301, 302, 303, 307, 308]


class GoogleSpider(FlightSpider):
    name = "google"
    site = site
    parse_body = staticmethod(parser.parse)
    # §7.1: Google wants a browser's TLS fingerprint (fast-flights impersonates Chrome).
    custom_settings = {
        "DOWNLOAD_HANDLERS": {"http": "flightcrawl.impersonate.ImpersonatingHandler",
                              "https": "flightcrawl.impersonate.ImpersonatingHandler"},
        "FLIGHTCRAWL_IMPERSONATE": "chrome142",
    }

    def search_requests(self, query: SearchQuery) -> Iterable[Request]:
        try:
            url = site.search_url(query)
        except ValueError as exc:  # a party Google does not take (more than 9 people)
            self.outcome.fail(Status.ERROR, str(exc))
            return
        # Redirects are answers, not detours: Google sends a client it will not serve to its
        # consent page (§7.3), which we report as blocked instead of following.
        yield self.request(url, site.search_headers(self.settings.get("USER_AGENT")),
                           cookies=dict(site.CONSENT_COOKIES),
                           meta={"dont_redirect": True, "handle_httpstatus_list": REDIRECTS})

    def parse_search(self, response: Response) -> Iterable[RawOption]:
        if response.status in REDIRECTS:
            location = response.headers.get("Location", b"").decode("latin-1")
            error = parser.redirect_error(response.status, location)
            self.outcome.fail(error.status, error.reason)
            return
        yield from super().parse_search(response)
