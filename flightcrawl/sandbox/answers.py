"""Replica answers built once per distinct search and kept (a small LRU of bodies).

A real site's CPU is not on our machine. Building a body (100+ flights as JSON, gzip and base64
for MakeMyTrip) costs the replica 5-10 ms; profiled under load it was a third of the machine's
CPU, so a benchmark measured the replica as much as flightcrawl. The catalog is deterministic:
a body depends on nothing but what is in its key (with the catalog's density), so it is kept.
Faults are applied to the kept body afterwards, never baked into it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from flightcrawl.sandbox import catalog

T = TypeVar("T")
MAX_ENTRIES = 512  # ~25 MB at 100+ options per body

_kept: OrderedDict[tuple, object] = OrderedDict()


def built(key: tuple[Hashable, ...], build: Callable[[], T]) -> T:
    """The body for `key`, built by `build()` the first time it is asked for."""
    key = (catalog.DENSITY, *key)
    try:
        _kept.move_to_end(key)
        return _kept[key]  # type: ignore[return-value]
    except KeyError:
        pass
    value = build()
    _kept[key] = value
    if len(_kept) > MAX_ENTRIES:
        _kept.popitem(last=False)
    return value


def priced(site: str, offers_for: Callable[..., list], search: tuple, empty: bool,
           render: Callable[[list], T], *variant: Hashable) -> T:
    """A replica's body for `search` (origin, destination, day, cabin, adults, children, infants):
    its offers as (flight, the party's total), none when `empty`, rendered once and kept.
    `variant`: anything else the body depends on."""
    origin, destination, day, cabin, adults, children, infants = search

    def build() -> T:
        offers = [] if empty else [(flight, catalog.party_total(fare, adults, children, infants))
                                   for flight, fare in offers_for(origin, destination, day, cabin)]
        return render(offers)
    return built((site, *search, empty, *variant), build)


def clear() -> None:
    _kept.clear()
