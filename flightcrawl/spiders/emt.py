"""EaseMyTrip: one POST to `AirAvail_Lights/AirBus_New` with a JSON body, read as one JSON document."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable

from scrapy import Request

from flightcrawl.parsers import emt as parser
from flightcrawl.query import SearchQuery
from flightcrawl.sites import emt as site
from flightcrawl.spiders.base import FlightSpider


class EmtSpider(FlightSpider):
    name = "emt"
    site = site
    parse_body = staticmethod(parser.parse)

    def search_requests(self, query: SearchQuery) -> Iterable[Request]:
        body = site.search_body(query, trace_id=str(uuid.uuid4()))
        yield self.request(site.search_url(), site.search_headers(self.settings.get("USER_AGENT")),
                           method="POST", body=json.dumps(body, separators=(",", ":")))
