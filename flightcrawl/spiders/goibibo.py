"""Goibibo: one GET to `search-stream-dt` (MakeMyTrip's platform), read as SSE."""

from __future__ import annotations

from flightcrawl.parsers import goibibo as parser
from flightcrawl.sites import goibibo as site
from flightcrawl.spiders.mmt import MmtSpider


class GoibiboSpider(MmtSpider):
    name = "goibibo"
    site = site
    parse_body = staticmethod(parser.parse)
