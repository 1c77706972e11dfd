"""ixigo: one GET to `/flights/v2/search/stream`, read as SSE."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from scrapy import Request

from flightcrawl.parsers import ixigo as parser
from flightcrawl.query import SearchQuery
from flightcrawl.sites import ixigo as site
from flightcrawl.spiders.base import FlightSpider


class IxigoSpider(FlightSpider):
    name = "ixigo"
    site = site
    parse_body = staticmethod(parser.parse)

    def search_requests(self, query: SearchQuery) -> Iterable[Request]:
        device_id = secrets.token_hex(10)  # ixigo's device id: 20 hex characters
        headers = site.search_headers(device_id, self.settings.get("USER_AGENT"), referer=site.listing_url(query))
        yield self.request(site.search_url(query), headers)
