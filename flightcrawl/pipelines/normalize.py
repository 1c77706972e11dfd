"""Site spellings -> one canonical FlightOption (flight numbers, times with UTC offsets,
minutes, stop counts, integer prices for the whole party)."""

from __future__ import annotations

import datetime as dt

from scrapy.crawler import Crawler

from flightcrawl import airports
from flightcrawl.fields import (
    AIRLINE_CODE,
    carrier_of,
    layover_codes,
    parse_duration,
    parse_price,
    parse_refundable,
    parse_stops,
    split_flight_numbers,
    strip_html,
)
from flightcrawl.items import FlightOption, OptionBatch, RawOption
from flightcrawl.jobs import SearchJob
from flightcrawl.pipelines import Dropped, keep_valid
from flightcrawl.query import SearchQuery

MAX_DURATION_MINUTES = 48 * 60


def flight_key(flight_numbers: list[str], departure_date: str) -> str:
    """The clubbing identity: legs' canonical numbers + the first leg's local departure date."""
    return "+".join(flight_numbers) + "@" + departure_date


def schedule_key(airline_code: str, origin: str, departure: dt.datetime, destination: str,
                 arrival: dt.datetime) -> str:
    """The identity of an option without flight numbers: "AI@DEL0600-BOM0815@2026-12-20".

    Times are local to each airport; "+N" follows the arrival time when it falls N days later.
    """
    days = (arrival.date() - departure.date()).days
    later = f"+{days}" if days else ""
    return (f"{airline_code}@{origin}{departure:%H%M}-{destination}{arrival:%H%M}{later}"
            f"@{departure.date().isoformat()}")


def _local(day: str, clock: str, airport: str) -> dt.datetime:
    naive = dt.datetime.combine(dt.date.fromisoformat(day), dt.time.fromisoformat(clock.strip()))
    return naive.replace(tzinfo=airports.timezone(airport))


def normalize_option(raw: RawOption, query: SearchQuery, now: dt.datetime | None = None) -> FlightOption:
    """Canonical form of one option; ValueError naming the field that cannot be read."""
    for field_name, code in (("origin", raw.origin), ("destination", raw.destination)):
        if not airports.is_airport(code or ""):
            raise ValueError(f"{field_name}: {code!r} is not a known airport")
    # No flight number at all (Google Flights often shows none): identified by its schedule.
    by_schedule = not any(strip_html(number) for number in raw.flight_numbers)
    numbers = [] if by_schedule else split_flight_numbers(
        raw.flight_numbers if len(raw.flight_numbers) > 1 else raw.flight_numbers[0])
    departure = _local(raw.departure_date, raw.departure_time, raw.origin)
    minutes = parse_duration(raw.duration) if raw.duration not in (None, "") else None
    if raw.arrival_date:
        arrival = _local(raw.arrival_date, raw.arrival_time, raw.destination)
        elapsed = int((arrival - departure).total_seconds() // 60)
        minutes = minutes or elapsed
    elif minutes is not None:
        arrival = (departure + dt.timedelta(minutes=minutes)).astimezone(airports.timezone(raw.destination))
        if arrival.strftime("%H:%M") != raw.arrival_time.strip().rjust(5, "0"):
            raise ValueError(
                f"arrival: {raw.arrival_time!r} disagrees with departure {raw.departure_time} "
                f"+ {minutes} min"
            )
    else:
        raise ValueError("duration: neither a duration nor an arrival date given")
    if arrival <= departure:
        raise ValueError(f"arrival: {arrival.isoformat()} is not after departure {departure.isoformat()}")
    if raw.stops is None:
        stops, via = (len(numbers) - 1 if numbers else len(raw.layovers)), []
    else:
        stops, via = parse_stops(raw.stops)
    layovers = layover_codes(raw.layovers or via)
    price, currency = parse_price(raw.price, raw.currency or "INR")
    if raw.price_basis == "adult":
        per_adult = price
        price = per_adult * query.adults if query.travellers == query.adults else price
        if query.travellers != query.adults:
            # A per-adult fare says nothing exact about children and infants.
            raise ValueError("price: only a per-adult fare was given for a party with children")
    elif raw.adult_price is not None:
        per_adult = parse_price(raw.adult_price, currency)[0]
    else:
        per_adult = price // query.adults if query.travellers == query.adults else None
    airline_code = (raw.airline_code or (carrier_of(numbers[0]) if numbers else "")).strip().upper()
    if by_schedule and not AIRLINE_CODE.match(airline_code):
        raise ValueError(f"flight number: none given, and no airline code to match by ({raw.airline_code!r})")
    key = (schedule_key(airline_code, raw.origin, departure, raw.destination, arrival) if by_schedule
           else flight_key(numbers, departure.date().isoformat()))
    fetched_at = raw.fetched_at or (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    return FlightOption(
        source=raw.source,
        flight_key=key,
        flight_numbers=numbers,
        airline=strip_html(raw.airline) or airline_code,
        airline_code=airline_code,
        origin=raw.origin,
        destination=raw.destination,
        departure=departure.isoformat(),
        arrival=arrival.isoformat(),
        duration_minutes=minutes,
        stops=stops,
        layovers=layovers,
        price=price,
        currency=currency,
        price_per_adult=per_adult,
        price_display=strip_html(raw.price_display) or f"₹ {price:,}",
        offers=[text for offer in raw.offers if (text := strip_html(offer))],
        refundable=parse_refundable(raw.refundable),
        deep_link=raw.deep_link or "",
        fetched_at=fetched_at,
        task_id=raw.task_id,
        match="schedule" if by_schedule else "flight_number",
    )


class NormalizePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        return cls(crawler)

    def process_item(self, item: object) -> object:
        if isinstance(item, OptionBatch):
            job = self.crawler.spider.jobs.get(item.task_id or "")
            keep_valid(item, "normalize", self.crawler.stats, lambda raw: self.normalize(raw, job))
        return item

    @staticmethod
    def normalize(raw: RawOption, job: SearchJob | None) -> FlightOption:
        if job is None or job.query is None:
            raise Dropped("normalize", "job: the search is no longer running here")
        try:
            return normalize_option(raw, job.query)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            reason = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
            raise Dropped("normalize", reason) from None
