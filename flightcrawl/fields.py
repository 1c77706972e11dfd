"""Reading the ways sites spell prices, durations, stops and flight numbers.

Pure functions, each raising ValueError with the offending text, so a pipeline can count
why an option was dropped.
"""

from __future__ import annotations

import html
import re
from decimal import ROUND_HALF_UP, Decimal

from flightcrawl.airports import resolve_place

_TAG = re.compile(r"<[^>]*>")


def strip_html(text: str | None) -> str:
    """Text of an HTML fragment, entities decoded and white space folded."""
    if not text:
        return ""
    text = str(text)
    if "<" in text or "&" in text:
        text = html.unescape(_TAG.sub(" ", text))
    return " ".join(text.split())  # str.split() folds the same white space as \s+, faster (a hot path)


# --- prices -------------------------------------------------------------------------------

_CURRENCY_MARKS = {"₹": "INR", "rs": "INR", "rs.": "INR", "inr": "INR", "$": "USD", "usd": "USD"}
_PRICE = re.compile(
    r"^(?P<cur>₹|rs\.?|inr|\$|usd)?\s*(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<cur2>inr|usd)?"
    r"(?:\s*/\s*(?:adult|person|pax))?$",
    re.IGNORECASE,
)


def parse_price(value: str | int | float | None, default_currency: str = "INR") -> tuple[int, str]:
    """(amount in whole units, ISO 4217 code) from "₹ 7,214", "Rs. 1,23,456", "INR 7,214.00", 7214.

    Indian digit grouping (1,23,456) is just commas to drop. Paise round half up.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"price: {value!r} is not a price")
    if isinstance(value, int | float):
        amount, currency = Decimal(str(value)), default_currency
    else:
        text = strip_html(value).replace("\u00a0", " ")
        match = _PRICE.match(text)
        if not match:
            raise ValueError(f"price: cannot read {value!r}")
        mark = (match["cur"] or match["cur2"] or "").lower()
        currency = _CURRENCY_MARKS.get(mark, default_currency)
        amount = Decimal(match["num"].replace(",", ""))
    if amount <= 0:
        raise ValueError(f"price: {value!r} is not positive")
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)), currency


# --- durations ----------------------------------------------------------------------------

_DURATION = re.compile(
    r"^(?:(?P<h>\d+)\s*(?:h|hr|hrs|hour|hours)\.?)?\s*,?\s*"
    r"(?:(?P<m>\d+)\s*(?:m|min|mins|minute|minutes)\.?)?$",
    re.IGNORECASE,
)


def parse_duration(value: str | int | None) -> int:
    """Minutes from "02 h 25 m ", "2h 25m", "1 hr 20 mins ", "5 hrs", "01h 55m", "145", 145."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"duration: {value!r} is not a duration")
    if isinstance(value, int):
        minutes = value
    else:
        text = strip_html(value)
        if text.isdigit():
            minutes = int(text)
        else:
            match = _DURATION.match(text)
            if not match or not (match["h"] or match["m"]):
                raise ValueError(f"duration: cannot read {value!r}")
            minutes = int(match["h"] or 0) * 60 + int(match["m"] or 0)
    if minutes <= 0:
        raise ValueError(f"duration: {value!r} is not positive")
    return minutes


# --- stops --------------------------------------------------------------------------------

_STOPS = re.compile(
    r"^(?:(?P<non>non[\s-]?stop|direct)|(?P<n>\d+)\s*stops?)(?:\s+via\s+(?P<via>.+))?$",
    re.IGNORECASE,
)


def parse_stops(value: str | int | None) -> tuple[int, list[str]]:
    """(count, via places as printed) from "Non stop", "1 stop via Bhopal", "2 stops", 0."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"stops: {value!r} is not a stop count")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"stops: {value!r} is negative")
        return value, []
    text = strip_html(value)
    if text.isdigit():
        return int(text), []
    match = _STOPS.match(text)
    if not match:
        raise ValueError(f"stops: cannot read {value!r}")
    count = 0 if match["non"] else int(match["n"])
    via = [p.strip() for p in re.split(r",|\band\b", match["via"] or "") if p.strip()]
    return count, via


def layover_codes(places: list[str]) -> list[str]:
    """IATA codes for layover places given as codes or as city names ("Bhopal" -> "BHO")."""
    codes = []
    for place in places:
        code = resolve_place(strip_html(place))
        if code is None:
            raise ValueError(f"layover: unknown place {place!r}")
        codes.append(code)
    return codes


# --- flight numbers -----------------------------------------------------------------------

# An IATA airline designator is two characters, letters or digits but not two digits
# (6E, 9I, I5, AI); the flight number is 1-4 digits, optionally with a suffix letter.
_DESIGNATOR = r"(?:[A-Z]\d|\d[A-Z]|[A-Z]{2})"
_FLIGHT = re.compile(rf"^(?P<cc>{_DESIGNATOR})[\s-]*(?P<num>\d{{1,4}})(?P<sfx>[A-Z]?)$")
CANONICAL_FLIGHT = re.compile(rf"^{_DESIGNATOR}[1-9]\d{{0,3}}[A-Z]?$")
AIRLINE_CODE = re.compile(rf"^{_DESIGNATOR}$")


def canonical_flight_number(text: str) -> str:
    """"6E 0354" -> "6E354"; "QP-1382" -> "QP1382"; "ai2977" -> "AI2977"."""
    raw = strip_html(text).upper().strip()
    match = _FLIGHT.match(raw)
    if not match or int(match["num"]) == 0:
        raise ValueError(f"flight number: cannot read {text!r}")
    return f"{match['cc']}{int(match['num'])}{match['sfx']}"


def split_flight_numbers(value: str | list[str]) -> list[str]:
    """Canonical per-leg numbers from "IX 1548, IX 1051", "IX-1548 | IX-1051", "AI809*AI2494"."""
    parts = value if isinstance(value, list) else re.split(r"[,|*+/]", strip_html(value))
    numbers = [canonical_flight_number(p) for p in parts if p and p.strip()]
    if not numbers:
        raise ValueError(f"flight number: none in {value!r}")
    return numbers


def carrier_of(flight_number: str) -> str:
    return flight_number[:2]


# --- refundability ------------------------------------------------------------------------

_REFUNDABLE = {
    "refundable": "refundable",
    "fully_refundable": "refundable",
    "partially_refundable": "partially_refundable",
    "partial": "partially_refundable",
    "non_refundable": "non_refundable",
    "nonrefundable": "non_refundable",
}


def parse_refundable(value: str | bool | None) -> str | None:
    """"refundable" / "partially_refundable" / "non_refundable", or None when not given."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "refundable" if value else "non_refundable"
    key = re.sub(r"[\s-]+", "_", strip_html(value).lower())
    if key not in _REFUNDABLE:
        raise ValueError(f"refundable: cannot read {value!r}")
    return _REFUNDABLE[key]
