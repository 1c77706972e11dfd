"""Clubbing: every site's options grouped by physical flight, cheapest first (the TOTAL).

Pure and deterministic. The identity of a flight is its legs' canonical flight numbers plus
the first leg's local departure date ("6E354@2026-12-20", "AI809+AI2494@2026-12-20").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flightcrawl.items import FlightOption
from flightcrawl.status import SourceStatus


def _as_dict(option: FlightOption | Mapping[str, Any]) -> dict[str, Any]:
    return option.to_dict() if isinstance(option, FlightOption) else dict(option)


def _price_order(option: dict[str, Any]) -> tuple:
    return (option["price"], option["source"], option["departure"])


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
    for option in map(_as_dict, options):
        groups.setdefault(option["flight_key"], {}).setdefault(option["source"], []).append(option)

    summaries = {}
    for key, by_source in groups.items():
        for source_options in by_source.values():
            source_options.sort(key=_price_order)
        summaries[key] = _summary(key, by_source)

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


def _summary(key: str, by_source: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    best = {source: opts[0] for source, opts in by_source.items()}
    currencies = [o["currency"] for o in best.values()]
    currency = max(sorted(set(currencies)), key=currencies.count)
    comparable = {s: o for s, o in best.items() if o["currency"] == currency}
    cheapest_source, cheapest = min(comparable.items(), key=lambda item: _price_order(item[1]))
    dearest = max(o["price"] for o in comparable.values())
    return {
        "flight_key": key,
        "flight_numbers": cheapest["flight_numbers"],
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
        "prices": {s: {"price": o["price"], "currency": o["currency"]} for s, o in sorted(best.items())},
        "spread": dearest - cheapest["price"],
        "sources": sorted(by_source),
        "match": "flight_number",
    }
