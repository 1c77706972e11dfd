"""MakeMyTrip `search-stream-dt`: SSE frames whose data is base64(gzip(JSON)).

Format per shared/sources.md §1.3: frames HANDSHAKE (response-headers), pre-search, one or
more `response` frames, then `id: END`. The results document has `cardList` (groups of
cards) and `journeyMap` (legs keyed by "ORIG$DEST$YYYY-MM-DD HH:MM$CC-NNN").

The same platform serves Goibibo (§6): `parse_stream` takes the site's contract module
(NAME, TITLE, listing_url) so both sites share one reading of the format.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import gzip
import zlib
from types import ModuleType

from flightcrawl import fastjson
from flightcrawl.fields import strip_html
from flightcrawl.items import RawOption
from flightcrawl.parsers import SearchPage
from flightcrawl.parsers.common import reject_html
from flightcrawl.parsers.sse import parse_frames
from flightcrawl.query import SearchQuery
from flightcrawl.sites import mmt as site
from flightcrawl.status import BadResponse

# CHOICE: the offer/coupon text's JSON field is not known (§1.3, §9); we read the name the
# 2026 DOM uses for it (`couponPersuasionText`), plain or HTML-wrapped.
OFFER_FIELDS = ("couponPersuasionText",)
# CHOICE: `fare` is per adult (measured); the fare-breakup "TOTAL" row is read as the whole
# party's price. With one adult both agree, which is all the real capture shows.
TOTAL_ROW = "TOTAL"


def parse(body: bytes, query: SearchQuery, content_type: str = "text/event-stream",
          fetched_at: str | None = None) -> SearchPage:
    return parse_stream(site, body, query, content_type, fetched_at)


def parse_stream(contract: ModuleType, body: bytes, query: SearchQuery,
                 content_type: str = "text/event-stream", fetched_at: str | None = None) -> SearchPage:
    """Read a `search-stream-dt` body for the site whose contract module is `contract`."""
    reject_html(body, content_type, contract.TITLE)
    frames, cut = parse_frames(body)
    if not frames:
        raise BadResponse("no SSE frames in the response")
    documents: list[dict] = []
    ended = False
    for frame in frames:
        if frame.id == "END":
            ended = True
            continue
        if frame.event != "response" or not frame.data:
            continue
        documents.append(_decode(frame.data, frame.id))
    cards: list[dict] = []
    journeys: dict[str, dict] = {}
    for doc in documents:
        for group in doc.get("cardList") or []:
            cards.extend(group if isinstance(group, list) else [group])
        journeys.update(doc.get("journeyMap") or {})
    deep_link = contract.listing_url(query)
    options, rejected = [], []
    for card in cards:
        try:
            options.append(_option(contract.NAME, card, journeys, deep_link, fetched_at))
        except (BadResponse, KeyError, TypeError, ValueError, AttributeError) as exc:
            rejected.append(f"card {card.get('flightNumber', '?') if isinstance(card, dict) else '?'}: "
                            f"{getattr(exc, 'reason', None) or exc!r}")
    note = ""
    if not ended:
        note = "stream ended before its END frame" + (" (cut mid-frame)" if cut else "")
    return SearchPage(options=options, complete=ended, note=note, rejected=rejected)


def _decode(data: str, frame_id: str | None) -> dict:
    try:
        if data.lstrip().startswith("{"):
            doc = fastjson.loads(data)
        else:
            doc = fastjson.loads(gzip.decompress(base64.b64decode(data, validate=True)))
    except (binascii.Error, OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise BadResponse(f"frame {frame_id}: not base64(gzip(JSON)): {exc}") from None
    except fastjson.JSONDecodeError as exc:
        raise BadResponse(f"frame {frame_id}: malformed JSON: {exc.msg} at {exc.pos}") from None
    if not isinstance(doc, dict):
        raise BadResponse(f"frame {frame_id}: JSON is not an object")
    return doc


def _option(source: str, card: dict, journeys: dict[str, dict], deep_link: str,
            fetched_at: str | None) -> RawOption:
    journey_keys = card.get("journeyKeys") or []
    if isinstance(journey_keys, str):
        journey_keys = [journey_keys]
    keys = [key for joined in journey_keys for key in str(joined).split("|") if key]
    if not keys:
        raise BadResponse("a card has no journeyKeys")
    legs = []
    for key in keys:
        leg = journeys.get(key)
        if leg is None:
            raise BadResponse(f"journeyKeys names {key!r}, absent from journeyMap")
        legs.append((key, leg))
    first_key, first = legs[0]
    last_key, last = legs[-1]
    first_origin, _, first_stamp, _ = first_key.split("$")
    dep_date, dep_time = first_stamp.split(" ")
    last_dep_date = last_key.split("$")[2].split(" ")[0]
    heading = card.get("simpleAirlineHeading") or {}
    codes = card.get("airlineCodes") or []
    via = [leg.get("arrCityCd") for _, leg in legs[:-1]]
    stops = len(legs) - 1 + sum(int(leg.get("stops") or 0) for _, leg in legs)
    total = _breakup_total(card)
    return RawOption(
        source=source,
        flight_numbers=[card.get("flightNumber") or heading.get("cd") or ""],
        airline=strip_html(heading.get("nm", "")),
        airline_code=codes[0] if codes else None,
        origin=first.get("depCityCd") or first_origin,
        destination=last.get("arrCityCd") or last_key.split("$")[1],
        departure_date=dep_date,
        departure_time=first.get("depTime") or dep_time,
        arrival_time=last.get("arrTime", ""),
        arrival_date=_arrival_date(last, dt.date.fromisoformat(last_dep_date)),
        duration=card.get("duration") or card.get("minDur"),
        stops=stops,
        layovers=[code for code in via if code],
        price=total if total is not None else card.get("fare"),
        price_basis="party" if total is not None else "adult",
        adult_price=card.get("fare"),
        currency="INR",
        price_display=strip_html(card.get("finalFare")) or None,
        offers=[card[f] for f in OFFER_FIELDS if card.get(f)],
        refundable=None,  # not in the stream, as far as is known
        deep_link=deep_link,
        fetched_at=fetched_at,
    )


def _breakup_total(card: dict) -> str | None:
    items = ((card.get("fareBreakup") or {}).get("fareBreakUpItems")) or []
    for item in items:
        if strip_html(item.get("text", "")).upper() == TOTAL_ROW:
            return strip_html(item.get("amount", "")) or None
    return None


def _arrival_date(leg: dict, leg_departure: dt.date) -> str | None:
    """The arrival day: `arrTimeStampStr` ("16 Dec") differs from `depTimeStampStr` overnight."""
    dep_stamp, arr_stamp = leg.get("depTimeStampStr"), leg.get("arrTimeStampStr")
    if not arr_stamp:
        return None
    if arr_stamp == dep_stamp:
        return leg_departure.isoformat()
    try:
        day_month = dt.datetime.strptime(arr_stamp.strip(), "%d %b")
    except ValueError:
        raise BadResponse(f"arrTimeStampStr {arr_stamp!r} is not 'DD Mon'") from None
    # The year is not printed: take the nearest such day on or after the leg's departure.
    for year in (leg_departure.year, leg_departure.year + 1):
        try:
            candidate = dt.date(year, day_month.month, day_month.day)
        except ValueError:  # 29 Feb in a common year
            continue
        if candidate >= leg_departure:
            return candidate.isoformat()
    raise BadResponse(f"arrTimeStampStr {arr_stamp!r} is not after the departure")
