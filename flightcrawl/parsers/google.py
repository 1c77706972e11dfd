"""Google Flights search page: the results are the `<script class="ds:1">` data, read by position.

Format per shared/sources.md §7.2 (v3, "JS mode"): the text between `data:` and the script's
last `,` is JSON. `payload[3][0]` lists itineraries `k` (None when there are none; a payload
ending in `errorHasStatus: true` also means none): `k[0]` is the flight, `k[1][0][1]` its
price; `flight[1]` the airline names, `flight[2]` the segments `s`: `s[3]`/`s[4]` from code/name,
`s[6]`/`s[5]` to code/name, `s[8]`/`s[10]` departure/arrival time `[h, m]` with zero parts
omitted, `s[20]`/`s[21]` departure/arrival date `[y, m, d]`, `s[11]` minutes in the air.
`payload[7][1][1]` lists the airlines as `[code, name]`. Without the cookie it accepts,
Google answers with its consent wall instead (§7.3).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, NoReturn

from flightcrawl import airports, fastjson
from flightcrawl.items import RawOption
from flightcrawl.parsers import SearchPage
from flightcrawl.query import SearchQuery
from flightcrawl.sites import google as site
from flightcrawl.status import BadResponse, Blocked, SiteError

# CHOICE: where a segment's flight number sits is not in sources.md (§7.2; §8 "v3 none per
# segment"). We read `s[22]` = [carrier, number, ...], the position punitarani/fli decodes from
# the same row layout in Google's shopping RPC. Google leaves it out for some itineraries: those
# get no flight numbers, the airline code from `payload[7][1][1]`, and are clubbed by schedule.
FLIGHT_NUMBER_AT = 22

_SCRIPT_TAG = re.compile(rb"<script\b([^>]*)>", re.IGNORECASE)
_DS1_CLASS = re.compile(rb"\bclass\s*=\s*[\"']?(?:[^\"'>]*\s)?ds:1(?=[\"'\s]|$)", re.IGNORECASE)
_SCRIPT_END = re.compile(rb"</script\s*>", re.IGNORECASE)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HTML_END = re.compile(rb"</html\s*>\s*$", re.IGNORECASE)
# The consent wall, in English (we ask hl=en) and by the form that saves the choice.
_CONSENT_MARKS = (b"before you continue to google", b"consent.google.com/save")
_SORRY_MARKS = (b"unusual traffic from your computer network", b"/sorry/index")
_NO_FLIGHTS = "errorHasStatus: true"


def parse(body: bytes, query: SearchQuery, content_type: str = "text/html; charset=UTF-8",
          fetched_at: str | None = None) -> SearchPage:
    if not body.strip():
        raise BadResponse("empty response")
    opening = next((tag for tag in _SCRIPT_TAG.finditer(body) if _DS1_CLASS.search(tag.group(1))), None)
    if opening is None:
        _reject_page(body)
    closing = _SCRIPT_END.search(body, opening.end())
    if closing is None:
        raise BadResponse("page cut off inside its ds:1 script")
    payload = _payload(body[opening.end():closing.start()].decode("utf-8", "replace"))
    # A whole ds:1 script is a whole answer. Whether the rest of the page arrived is the
    # download's business (Scrapy flags "dataloss"), not `</html>`'s, which Google may omit.
    if payload is None:
        return SearchPage()
    airline_codes = _airline_codes(payload)
    deep_link = site.listing_url(query)
    options, rejected = [], []
    for index, itinerary in enumerate(_itineraries(payload)):
        try:
            options.append(_option(itinerary, airline_codes, deep_link, fetched_at))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            rejected.append(f"itinerary {index}: {exc if isinstance(exc, ValueError) else repr(exc)}")
    return SearchPage(options=options, rejected=rejected)


def redirect_error(status: int, location: str) -> SiteError:
    """Why a redirect is not an answer: the consent wall (§7.3), the captcha, or elsewhere."""
    if site.is_consent_url(location):
        return Blocked(f"consent wall: HTTP {status} to {site.CONSENT_HOST} ('Before you continue to "
                       "Google'); the SOCS/CONSENT cookie was not accepted")
    if "/sorry/" in location:
        return Blocked(f"HTTP {status} to Google's unusual-traffic captcha page")
    return SiteError(f"HTTP {status} redirect to {location or '(no Location)'}, not the results page")


def _reject_page(body: bytes) -> NoReturn:
    """A page without `ds:1`: the consent wall or captcha (Blocked), or unreadable (BadResponse)."""
    head = body[:200_000].lower()
    match = _TITLE.search(body[:16384])
    title = match.group(1).decode("utf-8", "replace").strip() if match else ""
    shown = f": {title!r}" if title else ""
    if any(mark in head for mark in _CONSENT_MARKS):
        raise Blocked(f"consent wall instead of results{shown}; the SOCS/CONSENT cookie was not accepted")
    if any(mark in head for mark in _SORRY_MARKS):
        raise Blocked(f"Google's unusual-traffic captcha page instead of results{shown}")
    ends = "" if _HTML_END.search(body[-256:]) else "; the page stops before </html> (cut off?)"
    raise BadResponse(f"no ds:1 script in the page{shown}{ends}")


def _payload(script: str) -> list | None:
    """§7.2: JSON between `data:` and the last `,`; None for the no-flights error answer."""
    if "data:" not in script:
        raise BadResponse("ds:1 script has no data")
    data = script.split("data:", 1)[1].rsplit(",", 1)[0]
    if data.rstrip().endswith(_NO_FLIGHTS):
        return None
    try:
        payload = fastjson.loads(data)
    except fastjson.JSONDecodeError as exc:
        raise BadResponse(f"ds:1 data is malformed JSON: {exc.msg} (char {exc.pos})") from None
    if not isinstance(payload, list):
        raise BadResponse("ds:1 data is not a list")
    return payload


def _itineraries(payload: list) -> list:
    """`payload[3][0]`; missing or None means no flights."""
    block = payload[3] if len(payload) > 3 else None
    if block is None or block == []:
        return []
    if not isinstance(block, list):
        raise BadResponse("ds:1 payload[3] is not a list")
    items = block[0]
    if items is None:
        return []
    if not isinstance(items, list):
        raise BadResponse("ds:1 payload[3][0] is not a list of itineraries")
    return items


def _airline_codes(payload: list) -> dict[str, str]:
    """Airline name -> code from `payload[7][1][1]` ([code, name] pairs); empty if absent."""
    try:
        pairs = payload[7][1][1] or []
    except (IndexError, TypeError):
        return {}
    return {pair[1]: pair[0] for pair in pairs
            if isinstance(pair, list) and len(pair) >= 2 and isinstance(pair[0], str) and isinstance(pair[1], str)}


def clock(value: list | None) -> str:
    """"HH:MM" from a time with zero parts omitted: [8] = 08:00, [None, 31] = 00:31, [] = 00:00."""
    if value is None:
        value = []
    if not isinstance(value, list) or len(value) > 2:
        raise ValueError(f"time {value!r} is not [h, m]")
    hour, minute = ([*value, None, None][:2])
    hour, minute = hour or 0, minute or 0
    if not (type(hour) is int and type(minute) is int and 0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError(f"time {value!r} is not [h, m]")
    return f"{hour:02d}:{minute:02d}"


def day(value: list) -> str:
    """"YYYY-MM-DD" from [y, m, d]."""
    if not (isinstance(value, list) and len(value) == 3 and all(type(v) is int for v in value)):
        raise ValueError(f"date {value!r} is not [y, m, d]")
    return dt.date(*value).isoformat()


@dataclass
class _Segment:
    origin: str
    destination: str
    departure_date: str
    departure_time: str
    arrival_date: str
    arrival_time: str
    carrier: str | None
    number: str | None


def _flight_number(value: Any) -> tuple[str | None, str | None]:
    if isinstance(value, list) and len(value) >= 2 and isinstance(value[0], str) and value[0] \
            and isinstance(value[1], str | int) and str(value[1]).strip():
        return value[0], str(value[1]).strip()
    return None, None


def _segment(s: list) -> _Segment:
    carrier, number = _flight_number(s[FLIGHT_NUMBER_AT] if len(s) > FLIGHT_NUMBER_AT else None)
    segment = _Segment(origin=s[3], destination=s[6], departure_date=day(s[20]), departure_time=clock(s[8]),
                       arrival_date=day(s[21]), arrival_time=clock(s[10]), carrier=carrier, number=number)
    # s[11] (minutes in the air) must agree with the dated times: a check that positions still hold.
    departure = dt.datetime.fromisoformat(f"{segment.departure_date}T{segment.departure_time}").replace(
        tzinfo=airports.timezone(segment.origin))
    arrival = dt.datetime.fromisoformat(f"{segment.arrival_date}T{segment.arrival_time}").replace(
        tzinfo=airports.timezone(segment.destination))
    if int((arrival - departure).total_seconds() // 60) != s[11]:
        raise ValueError(f"segment {segment.origin}-{segment.destination}: s[11] = {s[11]!r} minutes disagrees "
                         f"with {departure.isoformat()} -> {arrival.isoformat()}")
    return segment


def _option(itinerary: list, airline_codes: dict[str, str], deep_link: str, fetched_at: str | None) -> RawOption:
    flight, price = itinerary[0], itinerary[1][0][1]
    if type(price) not in (int, float):
        raise ValueError(f"price k[1][0][1] = {price!r} is not a number")
    names = [name for name in flight[1] or [] if isinstance(name, str)]
    if not flight[2]:
        raise ValueError("no segments")
    segments = [_segment(s) for s in flight[2]]
    first, last = segments[0], segments[-1]
    if all(s.number for s in segments):
        numbers = [f"{s.carrier}{s.number}" for s in segments]
        airline_code = first.carrier
    else:
        numbers = []  # matched to the other sites by airline and schedule
        airline_code = airline_codes.get(names[0]) if names else None
        if airline_code is None:
            raise ValueError(f"no flight number, and airline {names[:1]} is not in payload[7][1][1]")
    return RawOption(
        source=site.NAME,
        flight_numbers=numbers,
        airline=", ".join(dict.fromkeys(names)),
        airline_code=airline_code,
        origin=first.origin,
        destination=last.destination,
        departure_date=first.departure_date,
        departure_time=first.departure_time,
        arrival_time=last.arrival_time,
        arrival_date=last.arrival_date,
        duration=None,  # the whole trip, layovers included, follows from the dated times
        stops=len(segments) - 1,
        layovers=[s.destination for s in segments[:-1]],
        price=price,
        price_basis=site.PRICE_BASIS,
        currency=site.CURRENCY,  # `curr` of the request
        price_display=None,
        offers=[],
        refundable=None,
        deep_link=deep_link,
        fetched_at=fetched_at,
    )
