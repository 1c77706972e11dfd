"""A traveller's search, validated once at the edge (CLI, spider arguments, API)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo

from flightcrawl.airports import is_airport

CABINS = ("economy", "premium_economy", "business", "first")
MAX_PARTY = 9
MAX_DAYS_AHEAD = 365
# Sites price dates in Indian time; "today" is today in India.
HOME_TZ = ZoneInfo("Asia/Kolkata")


class QueryError(ValueError):
    """Bad search input; `field` names the offending parameter."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def today() -> dt.date:
    return dt.datetime.now(HOME_TZ).date()


def parse_date(text: str, *, now: dt.date | None = None) -> dt.date:
    """YYYY-MM-DD, or +N for N days from today (so examples in docs never go stale)."""
    now = now or today()
    text = (text or "").strip()
    if re.fullmatch(r"\+\d{1,3}", text):
        return now + dt.timedelta(days=int(text[1:]))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise QueryError("date", f"{text!r} is not a date (use YYYY-MM-DD or +N days)")


def _count(field: str, value: object, low: int, high: int) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise QueryError(field, f"{value!r} is not a whole number") from None
    if not low <= number <= high:
        raise QueryError(field, f"must be between {low} and {high}, got {number}")
    return number


@dataclass(frozen=True)
class SearchQuery:
    origin: str
    destination: str
    date: dt.date
    adults: int = 1
    children: int = 0
    infants: int = 0
    cabin: str = "economy"

    @classmethod
    def parse(
        cls,
        origin: str,
        destination: str,
        date: str | dt.date,
        adults: int | str = 1,
        children: int | str = 0,
        infants: int | str = 0,
        cabin: str = "economy",
        *,
        now: dt.date | None = None,
    ) -> SearchQuery:
        """Validate raw input; raise QueryError naming the first bad field."""
        origin = (origin or "").strip().upper()
        destination = (destination or "").strip().upper()
        for field, code in (("origin", origin), ("destination", destination)):
            if not is_airport(code):
                raise QueryError(field, f"{code or '(empty)'!r} is not a known IATA airport code")
        if origin == destination:
            raise QueryError("destination", "must differ from origin")
        now = now or today()
        day = date if isinstance(date, dt.date) else parse_date(date, now=now)
        if day < now:
            raise QueryError("date", f"{day.isoformat()} is in the past")
        if day > now + dt.timedelta(days=MAX_DAYS_AHEAD):
            raise QueryError("date", f"{day.isoformat()} is more than {MAX_DAYS_AHEAD} days ahead")
        adults_n = _count("adults", adults, 1, MAX_PARTY)
        children_n = _count("children", children, 0, MAX_PARTY - 1)
        infants_n = _count("infants", infants, 0, MAX_PARTY)
        if adults_n + children_n > MAX_PARTY:
            raise QueryError("children", f"adults + children must be at most {MAX_PARTY}")
        if infants_n > adults_n:
            raise QueryError("infants", "each infant needs an adult's lap: at most one per adult")
        cabin = (cabin or "economy").strip().lower().replace("-", "_").replace(" ", "_")
        if cabin not in CABINS:
            raise QueryError("cabin", f"{cabin!r} is not one of {', '.join(CABINS)}")
        return cls(origin, destination, day, adults_n, children_n, infants_n, cabin)

    @property
    def travellers(self) -> int:
        return self.adults + self.children + self.infants

    def to_dict(self) -> dict:
        data = asdict(self)
        data["date"] = self.date.isoformat()
        return data

    def describe(self) -> str:
        party = f"{self.adults} adult{'s' if self.adults > 1 else ''}"
        if self.children:
            party += f", {self.children} child{'ren' if self.children > 1 else ''}"
        if self.infants:
            party += f", {self.infants} infant{'s' if self.infants > 1 else ''}"
        return f"{self.origin} -> {self.destination} on {self.date:%a %d %b %Y}, {party}, {self.cabin}"
