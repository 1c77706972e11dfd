"""Yatra's listing page as a browser rendered it: HTML in, one RawOption per flight card out.

Nothing about Yatra's markup was observed (shared/sources.md §5): every selector below is a
guess. §5 names AirGo's fallback lists (`div.flightItem`, `div.tuple`, `.airline-name
span.text`, `p.fl-no span`, `span.fl-code`) and calls them guesses, not observations; the
others come from the same file (S39 `selectors.py`), which is no better, or are our own.
Each field tries its selectors in order and takes the first that matches. The sandbox
replica renders the first selector of each list.
"""

from __future__ import annotations

import datetime as dt
import re

from parsel import Selector

from flightcrawl.items import RawOption
from flightcrawl.parsers import SearchPage
from flightcrawl.query import SearchQuery
from flightcrawl.sites import yatra as site
from flightcrawl.status import BadResponse, Blocked

# GUESS (§5, AirGo): a flight card. The 2024 scraper's `flightItem border-shadow pr` is the
# same class.
CARDS = "div.flightItem, div.tuple"
FIELDS: dict[str, tuple[str, ...]] = {
    "airline": (".airline-name span.text",),  # GUESS (§5, AirGo)
    # GUESS (§5, AirGo): one element per leg, "6E-2145"; a single "6E-2145, 6E-613" works too.
    "flight_numbers": ("p.fl-no span", "span.fl-code"),
    "departure_time": ("[autom='departureTimeLabel']", ".dtime .time"),  # GUESS (S39)
    "arrival_time": ("[autom='arrivalTimeLabel']", ".atime .time"),  # GUESS (S39)
    "duration": ("[autom='durationLabel']", "p.du"),  # GUESS (S39): "4h 15m"
    "stops": ("span.stops", ".dotted-borderbtm"),  # GUESS (S39): "Non Stop", "1 Stop"
    "via": (".via",),  # GUESS (ours): "via Hyderabad", the layover cities
    # GUESS (S39): IATA codes; the first is where the trip starts, the last where it ends.
    "airports": ("p.city-code",),
    # GUESS (S39): "₹ 10,758", the fare shown on the card (price basis: site.PRICE_BASIS).
    "price": ("[autom='priceLabel'] .fare-summary-tooltip", ".fare-summary-tooltip"),
    "day_change": (".atime .day-change",),  # GUESS (ours): "+1 day" beside the arrival time
}
# GUESS (ours): what the page shows instead of cards.
NO_FLIGHTS = ".no-flights"  # "No flights found"
ERROR_STATE = ".search-error"  # "Something went wrong" and a detail
# The page is ready to read once one of these is in it (the spider waits for it).
READY = f"{CARDS}, {NO_FLIGHTS}, {ERROR_STATE}"
# Titles of pages that stand in for the listing when a bot check stops us: §5's interstitial,
# and Akamai's denial page (Akamai is claimed by one source, not shown; §9).
BLOCK_TITLES = (site.CHALLENGE_TITLE, "Access Denied")
_DAY_CHANGE = re.compile(r"\+\s*(\d)")
_CLOCK = re.compile(r"\b(\d{1,2}:\d{2})\b")


def blocked_reason(title: str) -> str | None:
    """Why a page with this title is a bot check, or None when it is not one."""
    for marker in BLOCK_TITLES:
        if marker.casefold() in title.casefold():
            return f"{site.TITLE} served its {title!r} page instead of the listing"
    return None


def parse(body: bytes, query: SearchQuery, content_type: str = "text/html",
          fetched_at: str | None = None) -> SearchPage:
    if not body.strip():
        raise BadResponse("empty page")
    page = Selector(text=body.decode("utf-8", "replace"))
    title = " ".join(page.css("title::text").get("").split())
    if reason := blocked_reason(title):
        raise Blocked(reason)
    # A rendered DOM always ends with </html>; a body without it was cut off in transit.
    cut = b"</html>" not in body[-512:].lower()
    cards = page.css(CARDS)
    if not cards:
        if page.css(ERROR_STATE):
            raise BadResponse(f"{site.TITLE}'s page shows an error: {_text(page.css(ERROR_STATE)[0])!r}")
        if page.css(NO_FLIGHTS) and not cut:
            return SearchPage()
        where = "cut off before any flight card" if cut else "no flight cards, no-flights notice or error on it"
        raise BadResponse(f"{site.TITLE}'s page has {where}" + (f" (title {title!r})" if title else ""))
    rejected = []
    if cut:
        # The card the cut fell in may have lost its tail (a price cut to "₹ 10,7"): not trusted.
        rejected.append(f"card {len(cards)}: the last card before the cut may be incomplete")
        cards = cards[:-1]
    deep_link = site.listing_url(query)
    options = []
    for number, card in enumerate(cards, start=1):
        try:
            options.append(_option(card, query, deep_link, fetched_at))
        except (ValueError, IndexError) as exc:
            rejected.append(f"card {number}: {exc}")
    note = f"page cut off after {len(cards)} whole cards" if cut else ""
    return SearchPage(options=options, complete=not cut, note=note, rejected=rejected)


def _text(node: Selector) -> str:
    return " ".join(" ".join(node.css("::text").getall()).split())


def _all(card: Selector, field: str) -> list[str]:
    """The texts of the first selector of `field` that matches in this card."""
    for css in FIELDS[field]:
        texts = [text for node in card.css(css) if (text := _text(node))]
        if texts:
            return texts
    return []


def _one(card: Selector, field: str, required: bool = True) -> str:
    texts = _all(card, field)
    if not texts and required:
        raise ValueError(f"no {field} ({' / '.join(FIELDS[field])})")
    return texts[0] if texts else ""


def _clock(card: Selector, field: str) -> str:
    text = _one(card, field)
    match = _CLOCK.search(text)
    if not match:
        raise ValueError(f"{field}: no HH:MM in {text!r}")
    return match.group(1)


def _option(card: Selector, query: SearchQuery, deep_link: str, fetched_at: str | None) -> RawOption:
    airports = _all(card, "airports")
    if not airports:
        raise ValueError(f"no airports ({' / '.join(FIELDS['airports'])})")
    flight_numbers = _all(card, "flight_numbers")
    if not flight_numbers:
        raise ValueError(f"no flight_numbers ({' / '.join(FIELDS['flight_numbers'])})")
    # CHOICE: cards carry no date; a listing for a day shows flights leaving that day.
    departure_date = query.date
    day_change = _DAY_CHANGE.search(_one(card, "day_change", required=False))
    arrival_date = departure_date + dt.timedelta(days=int(day_change.group(1))) if day_change else None
    stops = " ".join(filter(None, [_one(card, "stops"), _one(card, "via", required=False)]))
    price = _one(card, "price")
    return RawOption(
        source=site.NAME,
        flight_numbers=flight_numbers,
        airline=_one(card, "airline"),
        airline_code=None,  # the carrier of the first flight number
        origin=airports[0],
        destination=airports[-1],
        departure_date=departure_date.isoformat(),
        departure_time=_clock(card, "departure_time"),
        arrival_time=_clock(card, "arrival_time"),
        # Without a "+1 day" mark the arrival date is derived from the duration and checked.
        arrival_date=arrival_date.isoformat() if arrival_date else None,
        duration=_one(card, "duration"),
        stops=stops,  # "1 Stop via Hyderabad": normalization reads the count and the layovers
        layovers=[],
        price=price,
        price_basis=site.PRICE_BASIS,
        currency=None,  # the ₹ in the price text says INR
        price_display=price,
        offers=[],
        refundable=None,
        deep_link=deep_link,
        fetched_at=fetched_at,
    )
