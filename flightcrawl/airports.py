"""Airport facts (name, city, time zone) from the maintained `airportsdata` database."""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import ZoneInfo

import airportsdata

_IATA = re.compile(r"^[A-Z]{3}$")


@cache
def _by_iata() -> dict[str, dict]:
    return airportsdata.load("IATA")


@cache
def _by_city() -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for code, row in _by_iata().items():
        for name in {row["city"], row["name"]}:
            if name:
                index.setdefault(name.casefold(), []).append(code)
    return index


def is_airport(code: str) -> bool:
    """True for a well-formed IATA code that names a real airport."""
    return bool(_IATA.match(code or "")) and code in _by_iata()


def airport(code: str) -> dict:
    """The database row of an IATA airport; KeyError for an unknown code."""
    return _by_iata()[code]


def timezone(code: str) -> ZoneInfo:
    return ZoneInfo(airport(code)["tz"])


def city(code: str) -> str:
    row = airport(code)
    return row["city"] or row["name"]


def country(code: str) -> str:
    return airport(code)["country"]


# Sites print today's city names; the database keeps some older or misspelt ones. Only
# spellings, never airports, live here.
_CITY_SPELLINGS = {
    "bengaluru": "bangalore",
    "delhi": "new delhi",
    "kochi": "cochin",
    "thiruvananthapuram": "trivandrum",
    "nagpur": "naqpur",
    "mangaluru": "mangalore",
    "gurugram": "gurgaon",
}


def site_city(code: str) -> str:
    """The city as Indian sites print it ("Delhi", "Bengaluru"), where the database spells it
    otherwise ("New Delhi", "Bangalore"); else the database's city."""
    name = city(code)
    printed = {db: site for site, db in _CITY_SPELLINGS.items()}.get(name.casefold())
    return printed.title() if printed else name


def resolve_place(text: str, country_code: str | None = "IN") -> str | None:
    """An IATA code for a place as sites print it ("Bhopal", "HYD"), or None when unknown.

    Sites say "1 stop via Bhopal": the city name is looked up in the database; when a city
    has several airports, the largest (first listed with a matching country) is taken.
    """
    text = (text or "").strip()
    if is_airport(text.upper()) and len(text) == 3:
        return text.upper()
    name = text.casefold()
    codes = _by_city().get(_CITY_SPELLINGS.get(name, name), [])
    if country_code:
        codes = [c for c in codes if _by_iata()[c]["country"] == country_code] or codes
    return codes[0] if codes else None
