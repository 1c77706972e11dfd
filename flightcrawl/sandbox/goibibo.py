"""Goibibo replica: `GET <API_HOST>/api/search-stream-dt`, MakeMyTrip's platform (shared/sources.md §6).

The endpoint, gate, framing and document are MakeMyTrip's replica (flightcrawl.sandbox.mmt), run
for Goibibo's contract: its host (a CHOICE, see flightcrawl.sites.goibibo), its name (faults,
prices) and whether it lists nearby airports. Only the offer texts are Goibibo's own
(illustrative: no capture shows Goibibo's coupon codes).
"""

from __future__ import annotations

import datetime as dt
import re

from aiohttp import web

from flightcrawl.query import SearchQuery
from flightcrawl.sandbox import catalog
from flightcrawl.sandbox import mmt as platform
from flightcrawl.sandbox.faults import SandboxConfig
from flightcrawl.sites import goibibo as site

OFFERS = ("Get ₹ {n} OFF using GOFLY", "FLAT ₹ {n} OFF on HDFC Bank Credit Cards using GOHDFC",
          "Get ₹ {n} OFF using GOFLY | Extra 5% OFF with goCash+")


def offers_for(origin: str, destination: str, day: dt.date, cabin: str) -> list[tuple[catalog.Flight, int]]:
    """(flight, fare per adult) for every flight Goibibo lists, cheapest first."""
    return platform.platform_offers(site, origin, destination, day, cabin)


def listing_query(request: web.Request) -> SearchQuery:
    """The search a Goibibo listing path asks for (`/flights/air-DEL-BOM-20261220--1-0-0-E-D/`)."""
    match = re.fullmatch(r"air-([A-Z]{3})-([A-Z]{3})-(\d{8})--(\d)-(\d)-(\d)-([A-Z]+)-[DI]", request.match_info["slug"])
    cabins = {code: cabin for cabin, code in site.CABIN_CODES.items()}
    if not match or match.group(7) not in cabins:
        raise ValueError("the path must be air-ORIG-DEST-YYYYMMDD--A-C-I-CABIN-D")
    origin, destination, ymd, adults, children, infants, cabin = match.groups()
    return SearchQuery.parse(origin, destination, f"{ymd[:4]}-{ymd[4:6]}-{ymd[6:]}", adults, children, infants,
                             cabins[cabin])


def routes(config: SandboxConfig) -> list[web.RouteDef]:
    return platform.stream_routes(config, site, OFFERS, listing_query=listing_query,
                                  listing_route=site.LISTING_PATH + "{slug}/")
