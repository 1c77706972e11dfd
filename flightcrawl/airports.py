"""Airport facts (name, city, time zone) from the maintained `airportsdata` database."""

from __future__ import annotations

import re
from functools import cache, lru_cache
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


@cache
def _search_index() -> list[tuple[str, str, str, str, str]]:
    """(code, cities, name, subdivision, country), casefolded once, for `search`; cities are the
    database's and the sites' spelling, joined by "|"."""
    rows = []
    for code, row in _by_iata().items():
        city_name = row["city"] or ""
        alias = {db: site for site, db in _CITY_SPELLINGS.items()}.get(city_name.casefold(), "")
        rows.append((code, "|".join(filter(None, (city_name.casefold(), alias))), row["name"].casefold(),
                     (row["subd"] or "").casefold(), row["country"]))
    return rows


def _rank(query: str, code: str, city_text: str, name: str, subd: str) -> int | None:
    """How well a row matches: lower is better; None for no match."""
    if code.casefold() == query:
        return 0
    cities = city_text.split("|")
    if query in cities:
        return 1
    if any(c.startswith(query) or any(w.startswith(query) for w in c.split()) for c in cities):
        return 2
    if name.startswith(query):
        return 3
    if any(w.startswith(query) for w in name.split()) or subd.startswith(query):
        return 4
    if len(query) >= 3 and (query in city_text or query in name):
        return 5
    return None


def search(text: str, limit: int = 8, home_country: str = "IN") -> list[dict[str, str]]:
    """Airports whose IATA code, city (as sites spell it too: "Bengaluru") or name matches `text`.

    Best first: the exact code, then city, name, word and state prefixes, then substrings;
    an exact code always leads; otherwise airports in `home_country` come first (the sites are
    Indian), then by rank, international airports first, then by code.
    """
    results = []
    for code in _search_codes(" ".join(text.casefold().split()), limit, home_country):
        row = airport(code)
        results.append({"iata": code, "name": row["name"], "city": site_city(code), "country": row["country"]})
    return results


@lru_cache(maxsize=2048)  # a scan takes ~10 ms on the event loop; typing repeats prefixes
def _search_codes(query: str, limit: int, home_country: str) -> tuple[str, ...]:
    if not query:
        return ()
    found = []
    for code, city_text, name, subd, country_code in _search_index():
        rank = _rank(query, code, city_text, name, subd)
        if rank is not None:
            # an international airport before a small one of the same city (HYD before Begumpet's BPM)
            found.append((rank != 0, country_code != home_country, rank, "international" not in name, code))
    found.sort()
    return tuple(code for *_, code in found[:limit])
