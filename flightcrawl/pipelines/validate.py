"""Drop options that are not plausible flights, each with a counted reason."""

from __future__ import annotations

import datetime as dt

from scrapy.crawler import Crawler

from flightcrawl.fields import AIRLINE_CODE, CANONICAL_FLIGHT
from flightcrawl.items import FlightOption, OptionBatch
from flightcrawl.pipelines import Dropped, keep_valid
from flightcrawl.pipelines.normalize import MAX_DURATION_MINUTES

CURRENCIES = {"INR", "USD", "EUR", "AED", "GBP", "SGD"}


def problems(option: FlightOption) -> list[str]:
    """Why an option cannot be shown; empty when it is fine."""
    found = []
    if option.match == "schedule":
        if option.flight_numbers or not AIRLINE_CODE.match(option.airline_code):
            found.append(f"schedule match: needs an airline code and no flight numbers, got "
                         f"{option.airline_code!r} and {option.flight_numbers!r}")
    elif not option.flight_numbers or not all(CANONICAL_FLIGHT.match(n) for n in option.flight_numbers):
        found.append(f"flight_numbers: {option.flight_numbers!r} not canonical")
    if option.origin == option.destination:
        found.append("route: origin equals destination")
    if not 0 < option.duration_minutes <= MAX_DURATION_MINUTES:
        found.append(f"duration: {option.duration_minutes} min out of range")
    departure = dt.datetime.fromisoformat(option.departure)
    arrival = dt.datetime.fromisoformat(option.arrival)
    if abs((arrival - departure).total_seconds() / 60 - option.duration_minutes) > 24 * 60:
        found.append("duration: far from arrival - departure")
    if option.stops < 0 or option.stops < len(option.flight_numbers) - 1:
        found.append(f"stops: {option.stops} fewer than the legs imply")
    if option.price <= 0:
        found.append(f"price: {option.price} not positive")
    if option.currency not in CURRENCIES:
        found.append(f"currency: {option.currency!r} unknown")
    if not option.deep_link.startswith("https://"):
        found.append("deep_link: missing")
    return found


class ValidatePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: object) -> object:
        if isinstance(item, OptionBatch):
            keep_valid(item, "validate", self.crawler.stats, self.check)
        return item

    @staticmethod
    def check(option: FlightOption) -> FlightOption:
        if found := problems(option):
            # The stat counts the first problem's field; the log line names them all.
            raise Dropped("validate", "; ".join(found))
        return option
