"""MakeMyTrip: one GET to `search-stream-dt`, read as SSE."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from scrapy import Request

from flightcrawl.parsers import mmt as parser
from flightcrawl.query import SearchQuery
from flightcrawl.sites import mmt as site
from flightcrawl.spiders.base import FlightSpider


class MmtSpider(FlightSpider):
    name = "mmt"
    site = site
    parse_body = staticmethod(parser.parse)

    def search_requests(self, query: SearchQuery) -> Iterable[Request]:
        # self.site, not the module: GoibiboSpider runs this for Goibibo's contract.
        url = self.site.search_url(query, request_id=str(uuid.uuid4()))
        yield self.request(url, self.site.search_headers(self.device_id, self.settings.get("USER_AGENT")))
