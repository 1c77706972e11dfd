"""Items: what a parser reads off a site (RawOption) and what the pipelines make of it (FlightOption).

Parsers know each site's format; they copy values as the site spells them. The normalize
pipeline turns those spellings into one canonical form, so the same physical flight looks
the same whichever site it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RawOption:
    """One itinerary as one site shows it; strings as the site spells them."""

    source: str
    # per leg, any spelling: "6E 309", "6E-309", "AI2977"; empty when the site shows none (the
    # option is then identified by airline_code and its times: see FlightOption.match)
    flight_numbers: list[str]
    airline: str  # display name, possibly HTML-wrapped
    airline_code: str | None  # marketing carrier of the first leg, if the site gives it
    origin: str  # IATA of the first leg's departure airport (actually flown)
    destination: str  # IATA of the last leg's arrival airport
    departure_date: str  # YYYY-MM-DD, local to origin
    departure_time: str  # HH:MM, local to origin
    arrival_time: str  # HH:MM, local to destination
    arrival_date: str | None = None  # YYYY-MM-DD when the site says; else derived from duration
    duration: str | int | None = None  # "1 hr 20 mins ", "01h 20m", 80 ...
    stops: str | int | None = None  # 0, "Non stop", "1 stop via Bhopal"
    layovers: list[str] = field(default_factory=list)  # IATA codes or city names
    price: str | int | float | None = None  # "₹ 5,193", 5193 ...
    price_basis: str = "party"  # "party": whole booking; "adult": per adult
    adult_price: str | int | None = None  # per adult, when the site gives it beside a party total
    currency: str | None = None  # ISO code when the site states it apart from the price text
    price_display: str | None = None  # the site's own price text, for showing
    offers: list[str] = field(default_factory=list)  # may hold HTML
    refundable: str | bool | None = None
    deep_link: str | None = None
    fetched_at: str | None = None
    task_id: str | None = None  # the search this option answers (set by the spider)


@dataclass
class FlightOption:
    """One itinerary at one site's price, canonical across sites."""

    source: str
    # "6E354@2026-12-20" (legs joined by "+"); without flight numbers, the schedule:
    # "AI@DEL0600-BOM0815@2026-12-20" ("+1" after the arrival time when it is the next day)
    flight_key: str
    flight_numbers: list[str]  # canonical per leg: "6E354"; empty when the site gave none
    airline: str
    airline_code: str
    origin: str
    destination: str
    departure: str  # ISO 8601 local time with the airport's UTC offset
    arrival: str
    duration_minutes: int
    stops: int
    layovers: list[str]
    price: int  # whole party, in `currency`
    currency: str
    price_per_adult: int | None
    price_display: str
    offers: list[str]
    refundable: str | None  # "refundable" | "partially_refundable" | "non_refundable" | None
    deep_link: str
    fetched_at: str
    task_id: str | None = None
    # How the option is identified: "flight_number", or "schedule" when the site gave no flight
    # number (airline + airports + departure and arrival times; a weaker match).
    match: str = "flight_number"

    def to_dict(self) -> dict:
        # Not dataclasses.asdict: its recursive deep copy cost 0.2 ms an option on the hot path
        # (profiled); the lists here are the option's own and never shared.
        return {name: list(value) if isinstance(value, list) else value for name, value in vars(self).items()}


@dataclass
class OptionBatch:
    """One site response's options, as one Scrapy item.

    Scrapy's per-item machinery (spider middlewares, the pipeline chain, item signals) costs
    about 0.2 ms an item: 40 ms for a 200-option response, profiled as half a worker's CPU.
    Carried as one item it is paid once per response. The pipelines work on `options`
    (RawOption in, FlightOption out) and count what they remove in `dropped`; the feed export
    still writes one record per option (extensions/feed.py).
    """

    source: str
    options: list  # RawOption before the normalize pipeline, FlightOption after
    task_id: str | None = None
    dropped: int = 0  # options removed by the pipelines, each counted with its reason in the stats
