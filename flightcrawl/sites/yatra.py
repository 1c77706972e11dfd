"""Yatra: the rendered listing page `flight.yatra.com/air-search-ui/dom2/trigger` (shared/sources.md §5).

No JSON schema of Yatra's is publicly known (§5, §9): public scrapers read the listing as a
browser renders it, so the spider loads the listing URL below in Chromium and reads the cards.
The page fetches its data from `/air-service/dom2/search` on the same host (§5, seen 2017);
the spider never calls that endpoint itself, the page does.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flightcrawl import airports
from flightcrawl.query import SearchQuery

NAME = "yatra"
TITLE = "Yatra"
HOST = "flight.yatra.com"
HOSTS = (HOST,)
LISTING_PATH = "/air-search-ui/dom2/trigger"  # §5, stable 2019-2026
# §5: `dom2/search?<same params>` (2017). The page's own call; only the sandbox serves it.
DATA_PATH = "/air-service/dom2/search"

# §5 shows only `class=Economy`.
# CHOICE: the other cabins spelt as Yatra's cabin menu names them; unverified.
CABIN_NAMES = {"economy": "Economy", "premium_economy": "Premium Economy", "business": "Business",
               "first": "First"}
# CHOICE: the card's price is read as the price for the whole party (nothing says whether
# Yatra's listing shows per-adult or total fares). If live pages show per adult, set "adult".
PRICE_BASIS = "party"
# §5: the interstitial a bot check shows instead of the listing (title asserted by a
# Playwright test, July 2025).
CHALLENGE_TITLE = "Challenge Validation"


def depart_date(query: SearchQuery) -> str:
    return query.date.strftime("%d/%m/%Y")  # §5, §8: DD/MM/YYYY


def listing_params(query: SearchQuery) -> dict[str, str]:
    # Order and values as §5's URL; `unqvaldesktop` and `version` are optional and left out.
    return {
        "type": "O",
        "viewName": "normal",
        "flexi": "0",
        "noOfSegments": "1",
        "origin": query.origin,
        "originCountry": airports.country(query.origin),
        "destination": query.destination,
        "destinationCountry": airports.country(query.destination),
        "flight_depart_date": depart_date(query),
        "ADT": str(query.adults),
        "CHD": str(query.children),
        "INF": str(query.infants),
        "class": CABIN_NAMES[query.cabin],
        "source": "fresco-home",
    }


def listing_url(query: SearchQuery) -> str:
    """The page a traveller opens for this search; also what the spider renders."""
    return f"https://{HOST}{LISTING_PATH}?{urlencode(listing_params(query))}"
