"""Reading a replica's query parameters the way its real site insists on them (ValueError -> 400)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from flightcrawl import airports


def route(query: Mapping[str, str], origin: str, destination: str) -> tuple[str, str]:
    codes = query.get(origin, ""), query.get(destination, "")
    if not all(airports.is_airport(code) for code in codes):
        raise ValueError(f"{origin} and {destination} must be IATA airport codes")
    return codes


def day(query: Mapping[str, str], name: str, spelling: str) -> dt.date:
    """A date in the site's spelling: "DD/MM/YYYY" or "DDMMYYYY"."""
    pattern, fmt = {"DD/MM/YYYY": (r"\d{2}/\d{2}/\d{4}", "%d/%m/%Y"), "DDMMYYYY": (r"\d{8}", "%d%m%Y")}[spelling]
    value = query.get(name, "")
    if not re.fullmatch(pattern, value):
        raise ValueError(f"{name} must be {spelling}")
    try:
        return dt.datetime.strptime(value, fmt).date()
    except ValueError:
        raise ValueError(f"{name} is not a real date") from None


def counts(query: Mapping[str, str], *names: str) -> tuple[int, ...]:
    found = []
    for name in names:
        if not query.get(name, "").isdigit():
            raise ValueError(f"{name} must be a number")
        found.append(int(query[name]))
    return tuple(found)
