"""Goibibo `search-stream-dt`: MakeMyTrip's format on the same platform (shared/sources.md §6).

The notes assume the SSE framing, base64(gzip(JSON)) frames and `cardList`/`journeyMap`
document are MakeMyTrip's (§1.3) until a capture shows otherwise, so this is MakeMyTrip's
parser, run for Goibibo's contract (its name, title and deep link).
"""

from __future__ import annotations

from flightcrawl.parsers import SearchPage
from flightcrawl.parsers.mmt import parse_stream
from flightcrawl.query import SearchQuery
from flightcrawl.sites import goibibo as site


def parse(body: bytes, query: SearchQuery, content_type: str = "text/event-stream",
          fetched_at: str | None = None) -> SearchPage:
    return parse_stream(site, body, query, content_type, fetched_at)
