"""A deterministic, plausible catalog of flights between any two real airports on any date.

The same (origin, destination, date) always yields the same flights. Each physical flight
has a base fare; each site lists most flights (not all) at its own price, so clubbing by
flight number has real work to do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from dataclasses import dataclass
from functools import cache

from flightcrawl import airports

AIRLINES = {  # IATA code -> (name, relative share of departures)
    "6E": ("IndiGo", 5.0),
    "AI": ("Air India", 3.0),
    "IX": ("Air India Express", 2.0),
    "QP": ("Akasa Air", 1.5),
    "SG": ("SpiceJet", 1.0),
}
METROS = {"DEL", "BOM", "BLR", "HYD", "MAA", "CCU", "AMD", "PNQ", "COK", "GOI"}
HUBS = ("DEL", "BOM", "BLR", "HYD", "CCU", "MAA")
# Airports a site's "nearby airports" search adds at either end (MakeMyTrip does this).
NEARBY = {"BOM": ("NMI",), "NMI": ("BOM",), "GOI": ("GOX",), "GOX": ("GOI",)}
INFANT_FARE = 1500  # flat per lap infant, domestic
CABIN_FACTOR = {"economy": 1.0, "premium_economy": 1.7, "business": 3.6, "first": 5.5}
# Each site's typical markup over the airline's fare, and how often it lists a flight.
SITE_BIAS = {
    "mmt": (0.030, 0.93),
    "ixigo": (0.000, 0.90),
    "emt": (0.010, 0.91),
    "goibibo": (0.025, 0.92),
    "cleartrip": (0.015, 0.88),
    "google": (-0.010, 0.92),  # a metasearch: the lowest fare it finds
    "yatra": (0.015, 0.88),
}
DEFAULT_BIAS = (0.02, 0.9)


@dataclass(frozen=True)
class Leg:
    carrier: str
    number: int
    origin: str
    destination: str
    departure: dt.datetime  # aware, local to origin
    arrival: dt.datetime  # aware, local to destination

    @property
    def flight_number(self) -> str:
        return f"{self.carrier}{self.number}"

    @property
    def minutes(self) -> int:
        return int((self.arrival - self.departure).total_seconds() // 60)


@dataclass(frozen=True)
class Flight:
    legs: tuple[Leg, ...]
    base_fare: int  # per adult, economy, INR

    @property
    def carrier(self) -> str:
        return self.legs[0].carrier

    @property
    def airline(self) -> str:
        return AIRLINES[self.carrier][0]

    @property
    def flight_numbers(self) -> list[str]:
        return [leg.flight_number for leg in self.legs]

    @property
    def origin(self) -> str:
        return self.legs[0].origin

    @property
    def destination(self) -> str:
        return self.legs[-1].destination

    @property
    def departure(self) -> dt.datetime:
        return self.legs[0].departure

    @property
    def arrival(self) -> dt.datetime:
        return self.legs[-1].arrival

    @property
    def minutes(self) -> int:
        return int((self.arrival - self.departure).total_seconds() // 60)

    @property
    def stops(self) -> int:
        return len(self.legs) - 1

    @property
    def key(self) -> str:
        return "+".join(self.flight_numbers) + "@" + self.departure.date().isoformat()


def _rng(*parts: object) -> random.Random:
    seed = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))


def _km(a: str, b: str) -> float:
    pa, pb = airports.airport(a), airports.airport(b)
    lat1, lon1, lat2, lon2 = map(math.radians, (pa["lat"], pa["lon"], pb["lat"], pb["lon"]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def block_minutes(a: str, b: str) -> int:
    """Gate-to-gate time: taxi and climb, then about 780 km/h, rounded to 5 minutes."""
    return max(45, int(round((35 + _km(a, b) / 13.0) / 5) * 5))


def _leg(carrier: str, number: int, a: str, b: str, departure_utc: dt.datetime) -> Leg:
    arrival_utc = departure_utc + dt.timedelta(minutes=block_minutes(a, b))
    return Leg(carrier, number, a, b, departure_utc.astimezone(airports.timezone(a)),
               arrival_utc.astimezone(airports.timezone(b)))


def _local_utc(day: dt.date, minutes: int, airport: str) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)
    return local.replace(tzinfo=airports.timezone(airport)).astimezone(dt.UTC)


def _carriers(rng: random.Random, count: int) -> list[str]:
    codes = list(AIRLINES)
    return rng.choices(codes, weights=[AIRLINES[c][1] for c in codes], k=count)


def _fare(rng: random.Random, minutes: int, legs: int) -> int:
    base = 1800 + minutes * 28 + (legs - 1) * 900
    return int(base * rng.uniform(0.85, 1.6))


# Flights per route multiplier: 1 is a plausible day; benchmarks raise it for 100+ options per
# site (the real DEL-BOM answer is about that size). Set per sandbox process with set_density().
DENSITY = 1


def set_density(value: int) -> None:
    global DENSITY
    if value < 1:
        raise ValueError("density must be at least 1")
    if value != DENSITY:
        DENSITY = value
        _flights.cache_clear()


def flights(origin: str, destination: str, day: dt.date) -> tuple[Flight, ...]:
    """Every flight from `origin` to `destination` departing (local) on `day`, by departure."""
    return _flights(origin, destination, day, DENSITY)


@cache
def _flights(origin: str, destination: str, day: dt.date, density: int) -> tuple[Flight, ...]:
    """Every flight from `origin` to `destination` departing (local) on `day`, by departure."""
    if origin == destination:
        return ()
    rng = _rng("catalog", origin, destination, day.isoformat())
    both_big = origin in METROS and destination in METROS
    one_big = origin in METROS or destination in METROS
    nonstops = rng.randint(9, 14) if both_big else rng.randint(2, 5) if one_big else rng.randint(0, 2)
    nonstops *= density
    used: set[str] = set()
    result: list[Flight] = []

    def number(carrier: str) -> int:
        while True:
            n = rng.randint(101, 2999) if carrier != "AI" else rng.randint(401, 2999)
            if f"{carrier}{n}" not in used:
                used.add(f"{carrier}{n}")
                return n

    for carrier in _carriers(rng, nonstops):
        start = rng.randrange(5 * 60, 23 * 60 + 45, 5)
        leg = _leg(carrier, number(carrier), origin, destination, _local_utc(day, start, origin))
        result.append(Flight((leg,), _fare(rng, leg.minutes, 1)))

    hubs = [h for h in HUBS if h not in (origin, destination)]
    for carrier in _carriers(rng, rng.randint(3, 6) * density):
        hub = rng.choice(hubs)
        start = rng.randrange(5 * 60, 22 * 60, 5)
        first = _leg(carrier, number(carrier), origin, hub, _local_utc(day, start, origin))
        layover = rng.randrange(55, 6 * 60, 5)
        second_utc = first.arrival.astimezone(dt.UTC) + dt.timedelta(minutes=layover)
        second = _leg(carrier, number(carrier), hub, destination, second_utc)
        result.append(Flight((first, second), _fare(rng, first.minutes + second.minutes, 2)))
    return tuple(sorted(result, key=lambda f: (f.departure, f.flight_numbers)))


def nearby(code: str) -> tuple[str, ...]:
    return NEARBY.get(code, ())


def site_fare(flight: Flight, site: str, cabin: str = "economy") -> int | None:
    """This site's price per adult for `flight`, or None when the site does not list it."""
    bias, listed = SITE_BIAS.get(site, DEFAULT_BIAS)
    rng = _rng("site", site, flight.key)
    if rng.random() > listed:
        return None
    fare = flight.base_fare * CABIN_FACTOR[cabin] * (1 + bias + rng.uniform(-0.04, 0.06))
    return int(round(fare))


def site_offers(site: str, pairs: list[tuple[str, str]], day: dt.date,
                cabin: str = "economy") -> list[tuple[Flight, int]]:
    """(flight, fare per adult) for each flight `site` lists between any of the airport pairs."""
    found = []
    for origin, destination in pairs:
        for flight in flights(origin, destination, day):
            fare = site_fare(flight, site, cabin)
            if fare is not None:
                found.append((flight, fare))
    return found


def party_total(per_adult: int, adults: int, children: int, infants: int) -> int:
    """Children pay the adult fare on Indian domestic tickets; lap infants a flat fee."""
    return per_adult * (adults + children) + INFANT_FARE * infants
