"""Clubbing: every site's options grouped by physical flight, cheapest first (the TOTAL).

Pure and deterministic. The identity of a flight is its legs' canonical flight numbers plus
the first leg's local departure date ("6E354@2026-12-20", "AI809+AI2494@2026-12-20").

An option without flight numbers (`match` "schedule", e.g. from Google Flights) joins the
flight-number group with the same airline code, origin, destination, departure and arrival;
when no group (or more than one) has that schedule, it keeps its own schedule key. Its
flight's summary then says `"match": "schedule"`, a weaker match than `"flight_number"`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from flightcrawl.items import FlightOption
from flightcrawl.status import SourceStatus


def _as_dict(option: FlightOption | Mapping[str, Any]) -> dict[str, Any]:
    # A dict is used as given: nothing here changes an option (TOTAL holds the caller's dicts).
    if type(option) is dict:
        return option
    return option.to_dict() if isinstance(option, FlightOption) else dict(option)


def _price_order(option: dict[str, Any]) -> tuple:
    return (option["price"], option["source"], option["departure"])


def _by_schedule(option: dict[str, Any]) -> bool:
    return option.get("match") == "schedule" or not option.get("flight_numbers")


def _schedule(option: dict[str, Any]) -> tuple:
    """What a schedule match compares; instants, so offsets spelt differently still agree."""
    return (option["airline_code"], option["origin"], option["destination"],
            dt.datetime.fromisoformat(option["departure"]), dt.datetime.fromisoformat(option["arrival"]))


def club(
    options: Iterable[FlightOption | Mapping[str, Any]],
    statuses: Mapping[str, SourceStatus | Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """TOTAL: {"flights": {key: {source: [options]}}, "summary": {key: {...}}, "sources": {...}}.

    `flights` and `summary` share one order: cheapest price first, then earlier departure,
    then key. Each site's options for a flight are cheapest first. Prices in different
    currencies are not compared: the cheapest is taken within the most common currency.
    """
    groups: dict[str, dict[str, list[dict[str, Any]]]] = {}
    unnumbered = []
    for option in map(_as_dict, options):
        if _by_schedule(option):
            unnumbered.append(option)
        else:
            groups.setdefault(option["flight_key"], {}).setdefault(option["source"], []).append(option)

    # Flight-number groups by schedule, to place the options that have no flight number.
    schedules: dict[tuple, set[str]] = {}
    for key, by_source in groups.items() if unnumbered else ():
        for source_options in by_source.values():
            for option in source_options:
                schedules.setdefault(_schedule(option), set()).add(key)
    for option in unnumbered:
        found = schedules.get(_schedule(option), set())
        key = next(iter(found)) if len(found) == 1 else option["flight_key"]
        groups.setdefault(key, {}).setdefault(option["source"], []).append(option)

    summaries = {}
    for key, by_source in groups.items():
        for source_options in by_source.values():
            if len(source_options) > 1:
                source_options.sort(key=_price_order)
        summaries[key] = _summary(key, by_source, bool(unnumbered))

    order = sorted(summaries, key=lambda k: (summaries[k]["cheapest"]["price"],
                                             summaries[k]["departure"], k))
    flights = {key: dict(sorted(groups[key].items())) for key in order}
    status_map = {
        name: (s.to_dict() if isinstance(s, SourceStatus) else dict(s))
        for name, s in sorted((statuses or {}).items())
    }
    return {
        "flights": flights,
        "summary": {key: summaries[key] for key in order},
        "sources": status_map,
        "counts": {
            "flights": len(flights),
            "options": sum(len(v) for g in groups.values() for v in g.values()),
            "on_several_sites": sum(1 for g in groups.values() if len(g) > 1),
        },
    }


def _summary(key: str, by_source: dict[str, list[dict[str, Any]]], any_unnumbered: bool = True) -> dict[str, Any]:
    """`any_unnumbered`: whether any option of the search lacks a flight number (else the schedule
    bookkeeping below is skipped: profiled at a third of the API's clubbing time)."""
    sources = sorted(by_source)
    best = {source: by_source[source][0] for source in sources}
    currencies = [o["currency"] for o in best.values()]
    currency = currencies[0]
    if currencies.count(currency) != len(currencies):
        currency = max(sorted(set(currencies)), key=currencies.count)
    comparable = [o for o in best.values() if o["currency"] == currency]
    cheapest = min(comparable, key=_price_order)  # (price, source, ...): the source breaks ties
    cheapest_source = cheapest["source"]
    dearest = max(o["price"] for o in comparable)
    if any_unnumbered:
        by_schedule = [s for s in sources if any(_by_schedule(o) for o in by_source[s])]
        numbered = [o for opts in by_source.values() for o in opts if not _by_schedule(o)]
        flight_numbers = min(numbered, key=_price_order)["flight_numbers"] if numbered else []
    else:  # every list is cheapest first: the cheapest option is one of the sites' firsts
        by_schedule = []
        flight_numbers = min(best.values(), key=_price_order)["flight_numbers"]
    return {
        "flight_key": key,
        "flight_numbers": flight_numbers,
        "airline": cheapest["airline"],
        "airline_code": cheapest["airline_code"],
        "origin": cheapest["origin"],
        "destination": cheapest["destination"],
        "departure": cheapest["departure"],
        "arrival": cheapest["arrival"],
        "duration_minutes": cheapest["duration_minutes"],
        "stops": cheapest["stops"],
        "layovers": cheapest["layovers"],
        "cheapest": {"source": cheapest_source, "price": cheapest["price"], "currency": currency},
        "prices": {s: {"price": o["price"], "currency": o["currency"]} for s, o in best.items()},
        "spread": dearest - cheapest["price"],
        "sources": sources,
        "match": "schedule" if by_schedule else "flight_number",
        "matched_by_schedule": by_schedule,  # sites whose options here had no flight number
    }
