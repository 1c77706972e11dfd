"""EaseMyTrip `AirBus_New`: one JSON document (shared/sources.md §3.4).

`C` maps airline codes to names; `dctFltDtl` holds every segment keyed by an index string
(`AC` + `FN` is the flight number, `OG`/`DT` the airports, `DDT`/`ADT` dates like
"Sun-04Oct2026", `DTM`/`ATM` times, `DUR`, `STP`); `j[0].s[]` are the onward options, each
naming its segments in `b[0].FL` (several = a connection) with its price in `TF` and the 2026
fare list `lstFr[]` (`BF` base, `TTXMP` taxes, `TF` total).
"""

from __future__ import annotations

import datetime as dt

from flightcrawl import fastjson
from flightcrawl.fields import parse_stops
from flightcrawl.items import RawOption
from flightcrawl.parsers import SearchPage
from flightcrawl.parsers.common import ends_inside_json, reject_html
from flightcrawl.query import SearchQuery
from flightcrawl.sites import emt as site
from flightcrawl.status import BadResponse

# Segment dates: "Sun-04Oct2026" (§3.4, seen in S30).
SEGMENT_DATE = "%a-%d%b%Y"
# CHOICE: `TF` is read as the price of the whole party (§8: "EMT TF = total"), not per adult;
# the option's own `TF` first, else the cheapest `lstFr[].TF` (whether lstFr lists fare
# families is unknown, §9). `TTDIS` (after a coupon, 2020) is not the price: it needs the code.
PRICE_BASIS = "party"
# CHOICE: the formats of `JyTm`, `DUR` and `STP` are the notes' assumptions, not seen (§3.4):
# `JyTm` is the whole journey's time incl. layovers, "02h 15m" (read by fields.parse_duration,
# which also takes minutes as a number); `STP` counts a segment's technical stops, "0" (read by
# fields.parse_stops, so "Non stop"/"1 stop" would also do). `DUR` (per segment) is not needed:
# the journey time is `JyTm`, else the arrival date and time given per segment.
# CHOICE: `CpNt` (coupon note, 2020) is the offer text; an option with only a code `CC` gets
# "Use code <CC>".


def parse(body: bytes, query: SearchQuery, content_type: str = "application/json",
          fetched_at: str | None = None) -> SearchPage:
    reject_html(body, content_type, site.TITLE)
    doc = _document(body)
    segments = doc.get("dctFltDtl") or {}
    airlines = doc.get("C") or {}
    if not isinstance(segments, dict) or not isinstance(airlines, dict):
        raise BadResponse("dctFltDtl and C must be objects")
    journeys = doc.get("j") or []
    if not isinstance(journeys, list):
        raise BadResponse("j must be a list of journeys")
    # One-way: j[0] is the onward journey (a round trip would add j[1]).
    entries = (journeys[0].get("s") or []) if journeys and isinstance(journeys[0], dict) else []
    deep_link = site.listing_url(query)
    options, rejected = [], []
    for number, entry in enumerate(entries):
        try:
            options.append(_option(entry, segments, airlines, deep_link, fetched_at))
        except (BadResponse, KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            rejected.append(f"option {number}: {exc.reason if isinstance(exc, BadResponse) else repr(exc)}")
    return SearchPage(options=options, complete=True, rejected=rejected)


def _document(body: bytes) -> dict:
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        raise BadResponse("empty response body")
    try:
        doc = fastjson.loads(text)
    except fastjson.JSONDecodeError as exc:
        if ends_inside_json(text):
            # The text stops inside the document: the body was cut off. One document has no
            # whole part to keep.
            raise BadResponse(f"response cut off mid-document after {len(text)} characters") from None
        raise BadResponse(f"malformed JSON: {exc.msg} at {exc.pos}") from None
    if not isinstance(doc, dict) or not ({"j", "dctFltDtl"} & doc.keys()):
        raise BadResponse("not an AirBus_New result (no j or dctFltDtl)")
    return doc




def _segment_date(text: str) -> str:
    try:
        return dt.datetime.strptime(str(text).strip(), SEGMENT_DATE).date().isoformat()
    except ValueError:
        raise BadResponse(f"segment date {text!r} is not like 'Sun-04Oct2026'") from None


def _option(entry: dict, segments: dict, airlines: dict, deep_link: str, fetched_at: str | None) -> RawOption:
    bound = entry["b"][0]
    indices = bound["FL"] if isinstance(bound["FL"], list) else [bound["FL"]]
    legs = []
    for index in indices:
        leg = segments.get(str(index))
        if leg is None:
            raise BadResponse(f"FL names segment {index!r}, absent from dctFltDtl")
        legs.append(leg)
    if not legs:
        raise BadResponse("an option names no segments in b[0].FL")
    first, last = legs[0], legs[-1]
    code = str(first["AC"]).strip()
    # Some captures spell a name "IndiGo|..." with codes after a bar: the name is the first part.
    airline = str(airlines.get(code) or code).split("|")[0]
    stops = len(legs) - 1 + sum(parse_stops(leg.get("STP") or 0)[0] for leg in legs)
    return RawOption(
        source=site.NAME,
        flight_numbers=[f"{leg['AC']}{leg['FN']}" for leg in legs],  # split in AC + FN (§8)
        airline=airline,
        airline_code=code,
        origin=first["OG"],
        destination=last["DT"],
        departure_date=_segment_date(first["DDT"]),
        departure_time=first["DTM"],
        arrival_time=last["ATM"],
        arrival_date=_segment_date(last["ADT"]),
        duration=bound.get("JyTm") or None,
        stops=stops,
        layovers=[leg["DT"] for leg in legs[:-1]],
        price=_price(entry),
        price_basis=PRICE_BASIS,
        currency="INR",  # asked for in currCode
        price_display=None,
        offers=_offers(entry),
        refundable=None,  # not in the notes' fields
        deep_link=deep_link,
        fetched_at=fetched_at,
    )


def _price(entry: dict) -> int | float | str:
    if entry.get("TF") not in (None, "", 0):
        return entry["TF"]
    fares = [fare["TF"] for fare in entry.get("lstFr") or [] if fare.get("TF") not in (None, "", 0)]
    if not fares:
        raise BadResponse("no TF and no lstFr[].TF")
    return min(fares, key=float)


def _offers(entry: dict) -> list[str]:
    if entry.get("CpNt"):
        return [str(entry["CpNt"])]
    return [f"Use code {entry['CC']}"] if entry.get("CC") else []
