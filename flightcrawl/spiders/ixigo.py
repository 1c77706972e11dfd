"""ixigo: `/flights/v2/search/stream` (SSE) behind Cloudflare.

A browser solves the challenge on the home page; its `cf_clearance` (bound to the browser's
User-Agent) is cached and replayed, with that User-Agent, on plain GETs with ixigo's static
headers (shared/sources.md §2.2). ixigo allows about one request a second per IP: the spider
keeps to that (DOWNLOAD_DELAY, one request at a time) and backs off on 429 (politeness).
"""

from __future__ import annotations

import secrets
from typing import Any

from scrapy import Request

from flightcrawl.parsers import ixigo as parser
from flightcrawl.query import SearchQuery
from flightcrawl.sessions import Session
from flightcrawl.sites import ixigo as site
from flightcrawl.spiders.gated import GatedSpider


class IxigoSpider(GatedSpider):
    name = "ixigo"
    site = site
    parse_body = staticmethod(parser.parse)
    custom_settings = {
        "DOWNLOAD_DELAY": 1.0 / site.REQUESTS_PER_SECOND,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_DELAY_JITTER": 0,
        # §2.2: the clearance is bound to the TLS fingerprint too; replay it as Chrome would.
        "FLIGHTCRAWL_IMPERSONATE": "chrome142",
    }

    def data_request(self, query: SearchQuery, session: Session, **kwargs: Any) -> Request:
        device_id = secrets.token_hex(10)  # ixigo's device id: 20 hex characters
        headers = site.search_headers(device_id, session.user_agent, referer=site.listing_url(query))
        return self.request(site.search_url(query), {**headers, **self.replay_headers(session)}, **kwargs)
