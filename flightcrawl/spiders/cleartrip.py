"""Cleartrip: GET `/flight/search/v2` (jsonV3), asked again while its `fares` are still empty."""

from __future__ import annotations

from collections.abc import Iterable

from scrapy import Request
from scrapy.http import Response

from flightcrawl.deadline import WAIT_KEY
from flightcrawl.parsers import cleartrip as parser
from flightcrawl.query import SearchQuery
from flightcrawl.sites import cleartrip as site
from flightcrawl.spiders.base import FlightSpider
from flightcrawl.status import SiteError, Status

CALL_KEY = "cleartrip_call"  # which call of the search this request is: 1, 2, ...
# Asking again makes no sense unless an answer could still come back within the deadline.
MIN_ANSWER_SECONDS = 0.5


class CleartripSpider(FlightSpider):
    name = "cleartrip"
    site = site
    parse_body = staticmethod(parser.parse)

    def search_requests(self, query: SearchQuery) -> Iterable[Request]:
        yield self.search_request(query, call=1)

    def search_request(self, query: SearchQuery, call: int, wait: float = 0.0) -> Request:
        headers = site.search_headers(self.settings.get("USER_AGENT"), referer=site.listing_url(query))
        return self.request(site.search_url(query), headers, meta={CALL_KEY: call, WAIT_KEY: wait})

    def on_site_error(self, exc: SiteError, response: Response) -> Iterable[Request]:
        if not isinstance(exc, parser.FaresPending):
            return super().on_site_error(exc, response)
        job = self.outcome
        call = response.meta.get(CALL_KEY, 1)
        if call > len(site.POLL_WAITS):
            job.fail(Status.BAD_RESPONSE, f"{exc.reason}; still none after {call} calls")
            return ()
        wait = site.POLL_WAITS[call - 1]
        if job.seconds_left < wait + MIN_ANSWER_SECONDS:
            job.fail(Status.TIMEOUT, f"{exc.reason}; no time left in the deadline for call {call + 1}")
            return ()
        return (self.search_request(job.query, call + 1, wait),)
