"""Cleartrip `/flight/search/v2?responseType=jsonV3`: one JSON document.

Documented (shared/sources.md §4.2): `cards.J1[].travelOptionId`, whose leg ids read
`<CC>-<num>-<ORIG>-<DEST>-<epoch seconds of departure>` and are joined by `__` for a connection;
`subTravelOptions[travelOptionId].cheapestFareId`; `fares[fareId].pricing.totalPricing`
(`totalBaseFare`, `totalTax`, `totalPrice`); `filterData` (price filters, not read). The first
answer to a search can carry the cards with `fares` still empty: that is `FaresPending`, and the
spider asks again. Flight numbers, airports, layovers and the departure (epoch -> local time at
the departure airport) come from the leg ids; where arrival, duration and airline names live is
not documented (§9), so those fields are CHOICEs below.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flightcrawl import airports, fastjson
from flightcrawl.items import RawOption
from flightcrawl.parsers import SearchPage
from flightcrawl.parsers.common import ends_inside_json, reject_html
from flightcrawl.query import SearchQuery
from flightcrawl.sites import cleartrip as site
from flightcrawl.status import BadResponse

LEG_ID = re.compile(
    r"^(?P<cc>[A-Z0-9]{2})-(?P<num>\d{1,4}[A-Z]?)-(?P<orig>[A-Z]{3})-(?P<dest>[A-Z]{3})-(?P<epoch>\d{9,11})$")
LEG_SEPARATOR = "__"
# CHOICE (§9: "segment times/airports inside subTravelOptions" unknown): the field names below
# are those public scrapers read off the card (unverified, not in the notes). The last leg's
# arrival: `card.summary.lastArrival.airport.time`, ISO 8601 local time with its UTC offset.
SUMMARY, LAST_ARRIVAL = "summary", "lastArrival"
# CHOICE: the whole journey's duration: `card.summary.totalDuration` = {"hh": 2, "mm": 15}.
# Optional: without it the duration is derived from departure and arrival.
TOTAL_DURATION = "totalDuration"
# CHOICE: airline display names: `metaData.airlineDetail[<CC>].name`. Optional: without it the
# airline is shown by its code.
META, AIRLINE_DETAIL = "metaData", "airlineDetail"

# What can go wrong reading one card: it is rejected with the reason, the others are kept.
_CARD_ERRORS = (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError)


class FaresPending(BadResponse):
    """Cards arrived with `fares` empty: the site fills them on a later call (§4.2).

    A bad_response when nobody asks again, or when asking again never brings them.
    """


@dataclass(frozen=True)
class Leg:
    carrier: str
    number: str
    origin: str
    destination: str
    departure: dt.datetime  # aware, local to `origin`


def parse_leg_id(leg_id: str) -> Leg:
    """`6E-303-DEL-BOM-1789050600` -> its carrier, number, airports and local departure."""
    match = LEG_ID.match(leg_id)
    if not match:
        raise ValueError(f"leg id {leg_id!r} is not CC-NUM-ORIG-DEST-EPOCH")
    departure = dt.datetime.fromtimestamp(int(match["epoch"]), airports.timezone(match["orig"]))
    return Leg(match["cc"], match["num"], match["orig"], match["dest"], departure)


def parse(body: bytes, query: SearchQuery, content_type: str = "application/json",
          fetched_at: str | None = None) -> SearchPage:
    reject_html(body, content_type, site.TITLE)
    doc = _load(body)
    cards = doc["cards"].get("J1") or []
    fares, sub_options, meta = (_object(doc, key) for key in ("fares", "subTravelOptions", META))
    if not isinstance(cards, list):
        raise BadResponse("cards.J1 is not a list")
    if cards and not fares:
        raise FaresPending(f"{len(cards)} cards but no fares yet (the site fills them on a later call)")
    names = meta.get(AIRLINE_DETAIL) if isinstance(meta.get(AIRLINE_DETAIL), dict) else {}
    deep_link = site.listing_url(query)
    options, rejected = [], []
    for card in cards:
        try:
            options.append(_option(card, sub_options, fares, names, deep_link, fetched_at))
        except _CARD_ERRORS as exc:
            option_id = card.get("travelOptionId", "?") if isinstance(card, dict) else "?"
            rejected.append(f"card {option_id}: {exc!r}")
    return SearchPage(options=options, rejected=rejected)


def _load(body: bytes) -> dict:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadResponse(f"response is not UTF-8: {exc}") from None
    if not text.strip():
        raise BadResponse("empty response body")
    try:
        doc = fastjson.loads(text)
    except fastjson.JSONDecodeError as exc:
        if ends_inside_json(text):
            raise BadResponse(f"response body cut off mid-document after {len(body)} bytes") from None
        raise BadResponse(f"malformed JSON: {exc.msg} at {exc.pos}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("cards"), dict):
        raise BadResponse("the document has no `cards` object")
    return doc


def _object(doc: dict, key: str) -> dict:
    value = doc.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadResponse(f"`{key}` is not an object")
    return value




def _option(card: dict, sub_options: dict, fares: dict, names: dict, deep_link: str,
            fetched_at: str | None) -> RawOption:
    option_id = card["travelOptionId"]
    legs = [parse_leg_id(leg_id) for leg_id in option_id.split(LEG_SEPARATOR)]
    fare_id = (sub_options.get(option_id) or {}).get("cheapestFareId")
    if not fare_id:
        raise ValueError("no subTravelOptions[travelOptionId].cheapestFareId")
    if fare_id not in fares:
        raise ValueError(f"fare {fare_id!r} absent from fares")
    price = fares[fare_id]["pricing"]["totalPricing"]["totalPrice"]
    first, last = legs[0], legs[-1]
    arrival = _arrival(card, last.destination)
    return RawOption(
        source=site.NAME,
        flight_numbers=[f"{leg.carrier}-{leg.number}" for leg in legs],
        airline=(names.get(first.carrier) or {}).get("name", ""),
        airline_code=first.carrier,
        origin=first.origin,
        destination=last.destination,
        departure_date=first.departure.date().isoformat(),
        departure_time=f"{first.departure:%H:%M}",
        arrival_time=f"{arrival:%H:%M}",
        arrival_date=arrival.date().isoformat(),
        duration=_minutes(card[SUMMARY].get(TOTAL_DURATION)),
        stops=len(legs) - 1,
        layovers=[leg.destination for leg in legs[:-1]],
        price=price,
        price_basis=site.PRICE_BASIS,
        currency=site.CURRENCY,
        price_display=None,
        offers=[],
        refundable=None,  # not known to be in jsonV3
        deep_link=deep_link,
        fetched_at=fetched_at,
    )


def _arrival(card: dict, airport: str) -> dt.datetime:
    """The card's arrival as local time at `airport` (a time without an offset is taken as local)."""
    try:
        text = card[SUMMARY][LAST_ARRIVAL]["airport"]["time"]
    except (KeyError, TypeError):
        raise ValueError(f"no {SUMMARY}.{LAST_ARRIVAL}.airport.time: the arrival is not where it is read") from None
    moment = dt.datetime.fromisoformat(text)
    zone = airports.timezone(airport)
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def _minutes(duration: dict | None) -> int | None:
    if not duration:
        return None
    return int(duration.get("hh") or 0) * 60 + int(duration.get("mm") or 0)
