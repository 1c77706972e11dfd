"""Google Flights: the search page, asked with a `tfs` protobuf query (shared/sources.md §7).

`tfs` is standard base64 of a serialized `Info` message (§7.1); the answer is an HTML page
whose `<script class="ds:1">` carries the results as positional JSON (§7.2, read by
flightcrawl/parsers/google.py). §8: the real site wants a browser-like TLS fingerprint,
which plain Scrapy does not have; expect HTTP 429 from datacenter addresses (§7.3).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from flightcrawl import protowire as pw
from flightcrawl.query import SearchQuery

NAME = "google"
TITLE = "Google Flights"
HOST = "www.google.com"
HOSTS = (HOST,)
# CHOICE: v3's search page (§7.1: `/travel/flights/search?tfs=&hl=&curr=`, what fast-flights v3
# builds as the query's URL) rather than v2's `/travel/flights?tfs=&hl=&tfu=EgQIABABIgA&curr=`:
# v3 is the format whose `ds:1` data we parse; `tfu` ("show all flights") is v2-only.
SEARCH_PATH = "/travel/flights/search"
LANGUAGE = "en"
CURRENCY = "INR"  # §8: Google's price is in `curr`
# CHOICE: the price is for the whole party (Google's results page prices the passengers
# asked for); sources.md only says "price in curr". Set to "adult" if live pages show otherwise.
PRICE_BASIS = "party"

# §7.3: the EU consent wall ("Before you continue to Google") is skipped by a pre-accepted
# consent cookie. CHOICE: both cookies the notes name, with the values reported working in
# fast-flights issue #1 (S47); the SOCS value is itself a protobuf naming a consent version.
CONSENT_COOKIES = {
    "CONSENT": "PENDING+987",
    "SOCS": "CAESHAgBEhJnd3NfMjAyMzA4MTAtMF9SQzIaAmRlIAEaBgiAo_CmBg",
}
# Where Google sends a client whose consent cookie it does not accept (§7.3).
CONSENT_HOST = "consent.google.com"

# --- the `Info` message (§7.1) --------------------------------------------------------------
INFO_DATA, INFO_PASSENGERS, INFO_SEAT, INFO_TRIP = 3, 8, 9, 19
LEG_DATE, LEG_MAX_STOPS, LEG_AIRLINES, LEG_FROM, LEG_TO = 2, 5, 6, 13, 14
AIRPORT_CODE = 2
SEATS = {"economy": 1, "premium_economy": 2, "business": 3, "first": 4}
ROUND_TRIP, ONE_WAY, MULTI_CITY = 1, 2, 3
ADULT, CHILD, INFANT_IN_SEAT, INFANT_ON_LAP = 1, 2, 3, 4
MAX_PASSENGERS = 9  # §7.1: at most 9 people, no more lap infants than adults


def passengers(query: SearchQuery) -> list[int]:
    """One `Passenger` entry per person; ValueError beyond what Google accepts."""
    # CHOICE: our infants are lap infants (INFANT_ON_LAP), as every other site prices them.
    people = [ADULT] * query.adults + [CHILD] * query.children + [INFANT_ON_LAP] * query.infants
    if len(people) > MAX_PASSENGERS:
        raise ValueError(f"Google Flights takes at most {MAX_PASSENGERS} travellers, asked for {len(people)}")
    return people  # SearchQuery already holds lap infants to one per adult


def info_message(query: SearchQuery) -> bytes:
    """The serialized `Info`: one one-way leg, the party, the cabin; fields in number order."""
    leg = (pw.len_field(LEG_DATE, query.date.isoformat())
           + pw.len_field(LEG_FROM, pw.len_field(AIRPORT_CODE, query.origin))
           + pw.len_field(LEG_TO, pw.len_field(AIRPORT_CODE, query.destination)))
    # CHOICE: passengers packed (one length-delimited run of varints): the .proto behind §7.1
    # is proto3, whose serializers pack repeated enums; Google's parser must read both forms.
    return (pw.len_field(INFO_DATA, leg)
            + pw.packed_field(INFO_PASSENGERS, passengers(query))
            + pw.varint_field(INFO_SEAT, SEATS[query.cabin])
            + pw.varint_field(INFO_TRIP, ONE_WAY))


def tfs(query: SearchQuery) -> str:
    return base64.b64encode(info_message(query)).decode("ascii")


def search_params(query: SearchQuery) -> dict[str, str]:
    return {"tfs": tfs(query), "hl": LANGUAGE, "curr": CURRENCY}


def search_url(query: SearchQuery) -> str:
    return f"https://{HOST}{SEARCH_PATH}?{urlencode(search_params(query))}"


def listing_url(query: SearchQuery) -> str:
    """The deep link: the same search page a traveller opens."""
    return search_url(query)


def search_headers(user_agent: str) -> dict[str, str]:
    return {
        "User-Agent": user_agent,
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "Accept-Language": "en-US,en;q=0.9",
    }


def is_consent_url(url: str) -> bool:
    return (urlsplit(url).hostname or "").lower() == CONSENT_HOST


# --- reading a `tfs` back (the sandbox replica checks requests with this) -------------------

@dataclass(frozen=True)
class Leg:
    date: str
    origin: str
    destination: str
    max_stops: int | None = None
    airlines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Info:
    legs: tuple[Leg, ...]
    passengers: tuple[int, ...]
    seat: int
    trip: int


def _text(value: int | bytes, what: str) -> str:
    if not isinstance(value, bytes):
        raise ValueError(f"tfs: {what} is not length-delimited")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"tfs: {what} is not UTF-8") from None


def _airport(value: int | bytes, what: str) -> str:
    if not isinstance(value, bytes):
        raise ValueError(f"tfs: {what} is not a message")
    codes = [_text(v, what) for f, _, v in pw.fields(value) if f == AIRPORT_CODE]
    if not codes:
        raise ValueError(f"tfs: {what} has no airport")
    return codes[-1]


def _leg(data: int | bytes) -> Leg:
    if not isinstance(data, bytes):
        raise ValueError("tfs: a leg is not a message")
    date = origin = destination = ""
    max_stops: int | None = None
    airlines: list[str] = []
    for field, _, value in pw.fields(data):
        if field == LEG_DATE:
            date = _text(value, "date")
        elif field == LEG_FROM:
            origin = _airport(value, "from_airport")
        elif field == LEG_TO:
            destination = _airport(value, "to_airport")
        elif field == LEG_MAX_STOPS:
            if not isinstance(value, int):
                raise ValueError("tfs: max_stops is not a varint")
            max_stops = value
        elif field == LEG_AIRLINES:
            airlines.append(_text(value, "airline"))
    return Leg(date, origin, destination, max_stops, tuple(airlines))


def read_info(data: bytes) -> Info:
    """The `Info` message in `data`; ValueError when it is not one."""
    legs, people, seat, trip = [], [], 0, 0
    for field, _, value in pw.fields(data):
        if field == INFO_DATA:
            legs.append(_leg(value))
        elif field == INFO_PASSENGERS:
            people.extend(pw.unpack_varints(value))
        elif field in (INFO_SEAT, INFO_TRIP):
            if not isinstance(value, int):
                raise ValueError(f"tfs: field {field} is not a varint")
            seat, trip = (value, trip) if field == INFO_SEAT else (seat, value)
    return Info(tuple(legs), tuple(people), seat, trip)


def read_tfs(text: str) -> Info:
    """Decode a `tfs` parameter: standard base64 (§7.1); URL-safe and unpadded also read."""
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    try:
        data = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("tfs: not base64") from None
    return read_info(data)
