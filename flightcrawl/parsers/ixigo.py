"""ixigo `/flights/v2/search/stream`: SSE frames whose data is plain JSON.

Format per shared/sources.md §2.2: `data.flightJourneys[].flightFare[]`, each with
`flightKeys` ("DEL-BOM-AI2977-01092026"), `flightDetails[]` and `fares[].fareDetails.displayFare`.
Usually one big frame; several are merged.
"""

from __future__ import annotations

from flightcrawl import fastjson
from flightcrawl.items import RawOption
from flightcrawl.parsers import SearchPage
from flightcrawl.parsers.common import reject_html
from flightcrawl.parsers.sse import parse_frames
from flightcrawl.query import SearchQuery
from flightcrawl.sites import ixigo as site
from flightcrawl.status import BadResponse


def parse(body: bytes, query: SearchQuery, content_type: str = "text/event-stream",
          fetched_at: str | None = None) -> SearchPage:
    reject_html(body, content_type, site.TITLE)
    frames, cut = parse_frames(body)
    if not frames and not cut:
        raise BadResponse("empty response")
    fares: list[dict] = []
    for frame in frames:
        if not frame.data.strip():
            continue
        try:
            doc = fastjson.loads(frame.data)
        except fastjson.JSONDecodeError as exc:
            raise BadResponse(f"frame {frame.id or '?'}: malformed JSON: {exc.msg} at {exc.pos}") from None
        data = doc.get("data") if isinstance(doc, dict) else None
        if not isinstance(data, dict) or "flightJourneys" not in data:
            raise BadResponse("frame has no data.flightJourneys")
        for journey in data["flightJourneys"] or []:
            fares.extend(journey.get("flightFare") or [])
    if not frames and cut:
        raise BadResponse("stream cut before its first frame was complete")
    deep_link = site.listing_url(query)
    options, rejected = [], []
    for fare in fares:
        try:
            options.append(_option(fare, query, deep_link, fetched_at))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            rejected.append(f"flightFare {fare.get('flightKeys', '?') if isinstance(fare, dict) else '?'}: {exc!r}")
    note = "stream cut mid-frame; options from whole frames kept" if cut else ""
    return SearchPage(options=options, complete=not cut, note=note, rejected=rejected)


def _option(fare: dict, query: SearchQuery, deep_link: str, fetched_at: str | None) -> RawOption:
    keys = fare["flightKeys"]
    # CHOICE: a connection's keys come as a list (the notes say "string or list"); a single
    # string may also join legs with "*", as the booking fareKey does.
    legs = [leg for key in (keys if isinstance(keys, list) else [keys]) for leg in str(key).split("*")]
    parts = [leg.split("-") for leg in legs]  # ORIG, DEST, CCNUM, DDMMYYYY
    detail = fare["flightDetails"][0]
    prices = [f["fareDetails"]["displayFare"] for f in fare.get("fares") or []]
    if not prices:
        raise ValueError("no fares")
    return RawOption(
        source=site.NAME,
        flight_numbers=[detail.get("subHeaderTextWeb") or ", ".join(p[2] for p in parts)],
        airline=detail.get("headerTextWeb", ""),
        airline_code=detail.get("airlineCode"),
        origin=parts[0][0],
        destination=parts[-1][1],
        departure_date=detail["departureDate"],
        departure_time=detail["departureTime"],
        arrival_time=detail["arrivalTime"],
        arrival_date=None,  # not given: derived from departure + duration, then checked
        duration=(detail.get("duration") or {}).get("time"),
        stops=detail.get("stop"),
        layovers=[p[1] for p in parts[:-1]],
        price=min(prices),  # several fare types per flight: the cheapest is the listing price
        price_basis=site.PRICE_BASIS,
        currency="INR",
        price_display=None,
        offers=[],
        refundable=fare.get("refundableType"),
        deep_link=deep_link,
        fetched_at=fetched_at,
    )
