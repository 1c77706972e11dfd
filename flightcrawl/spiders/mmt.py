"""MakeMyTrip: `search-stream-dt` (SSE) behind Akamai, through the browser or a replayed session.

Akamai refuses a plain client (403 from AkamaiGHost) and the notes found no direct call that
works without a browser session (shared/sources.md §1.2): the first search (and any search
whose cached session Akamai refuses) runs in Chromium, home page first so the sensor writes
`_abck`, then the listing, reading the stream response the page itself receives. Its cookies
are cached and replayed on plain GETs by later searches until Akamai refuses them.
"""

from __future__ import annotations

import uuid
from typing import Any

from scrapy import Request

from flightcrawl.parsers import mmt as parser
from flightcrawl.query import SearchQuery
from flightcrawl.sessions import Session
from flightcrawl.sites import mmt as site
from flightcrawl.spiders.gated import GatedSpider


class MmtSpider(GatedSpider):
    name = "mmt"
    site = site
    parse_body = staticmethod(parser.parse)
    READS_PAGE_DATA = True

    def data_request(self, query: SearchQuery, session: Session, **kwargs: Any) -> Request:
        # self.site, not the module: GoibiboSpider runs this for Goibibo's contract.
        url = self.site.search_url(query, request_id=str(uuid.uuid4()))
        headers = {**self.site.search_headers(self.device_id, session.user_agent), **self.replay_headers(session)}
        return self.request(url, headers, **kwargs)
