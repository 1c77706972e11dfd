"""Cleartrip replica: `GET www.cleartrip.com/flight/search/v2?...&responseType=jsonV3`.

Reproduces the parameters (400 on malformed ones), the header check (shared/sources.md §4.2:
`app-agent: DESKTOP`, or `X-Requested-With` plus a Referer) and the jsonV3 document. As §4.2
says of the real site, the first call for a search gets the cards with `fares` empty; a later
call for the same search (same parameters from the same client, within SEARCH_MEMORY seconds)
gets them filled, so a search is answered the same way every time it is made afresh.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time

from aiohttp import web

from flightcrawl.sandbox import answers, catalog, params
from flightcrawl.sandbox.faults import AKAMAI_DENIED, SandboxConfig, answer_delay, generic_fault
from flightcrawl.sandbox.sse import cut_here
from flightcrawl.sites import cleartrip as site

CABINS = {name: cabin for cabin, name in site.CABIN_CLASSES.items()}
# How long the replica remembers a search whose fares it has started filling.
SEARCH_MEMORY = 300.0
# CHOICE: the notes name no bot manager for Cleartrip ("Bot Managers", §4.2); refusals and
# challenges are answered the way Akamai answers them.
CHALLENGE = (
    "<!DOCTYPE html><html><head><title>Cleartrip</title></head><body>"
    "<div id=\"sec-if-cpt-container\"><p>Please wait while we verify your browser (challenge)</p></div>"
    "<script src=\"/akam/13/pixel_4b1e\" defer></script>"
    "<noscript>Please enable JavaScript to view the page content.</noscript></body></html>"
)


def option_id(flight: catalog.Flight) -> str:
    """§4.2: `<CC>-<num>-<ORIG>-<DEST>-<epoch seconds of departure>`, legs joined by `__`."""
    return "__".join(f"{leg.carrier}-{leg.number}-{leg.origin}-{leg.destination}-{int(leg.departure.timestamp())}"
                     for leg in flight.legs)


def _fare(fare_id: str, cabin: str, group: str, total: int) -> dict:
    base = int(round(total * 0.82))
    return {"fareId": fare_id, "cabinType": cabin.upper(), "fareGroup": group,
            "pricing": {"totalPricing": {"totalBaseFare": base, "totalTax": total - base, "totalPrice": total}}}


def results_document(offers: list[tuple[catalog.Flight, int]], cabin: str, with_fares: bool) -> dict:
    """The jsonV3 document for (flight, party total) pairs; `fares` empty unless `with_fares`."""
    cards, sub_options, fares, airlines = [], {}, {}, {}
    for index, (flight, total) in enumerate(offers):
        travel_option_id = option_id(flight)
        cards.append({
            "travelOptionId": travel_option_id,
            # CHOICE (mirrored in the parser): where the arrival and duration live is not documented.
            "summary": {
                "lastArrival": {"airport": {"code": flight.destination,
                                            "time": flight.arrival.isoformat(timespec="milliseconds")}},
                "totalDuration": {"hh": flight.minutes // 60, "mm": flight.minutes % 60},
            },
        })
        airlines[flight.carrier] = {"name": flight.airline}  # CHOICE (mirrored in the parser)
        cheapest, dearer = f"F{1000 + 2 * index}", f"F{1001 + 2 * index}"
        sub_options[travel_option_id] = {"cheapestFareId": cheapest}
        # multiFare=true: a dearer fare family beside the cheapest, listed first.
        fares[dearer] = _fare(dearer, cabin, "FLEXI", total + 600 + total % 400)
        fares[cheapest] = _fare(cheapest, cabin, "SAVER", total)
    document: dict = {"cards": {"J1": cards}, "subTravelOptions": {}, "fares": {}, "filterData": {},
                      "metaData": {"airlineDetail": airlines}}
    if with_fares:
        document.update(subTravelOptions=sub_options, fares=fares, filterData=_filter_data(offers))
    return document


def _filter_data(offers: list[tuple[catalog.Flight, int]]) -> dict:
    """§4.2: `stops.prices` = cheapest per stop count; `airlineFilter` = cheapest per airline."""
    by_stops: dict[int, int] = {}
    by_airline: dict[str, int] = {}
    for flight, total in offers:
        by_stops[flight.stops] = min(total, by_stops.get(flight.stops, total))
        by_airline[flight.airline] = min(total, by_airline.get(flight.airline, total))
    return {"onwardLeg": {
        "stops": {"prices": [by_stops[n] for n in sorted(by_stops)]},
        "airlineFilter": {"options": [{"label": name, "priceLabel": price}
                                      for name, price in sorted(by_airline.items(), key=lambda kv: kv[1])]},
    }}


def parse_request(request: web.Request) -> tuple[str, str, dt.date, tuple[int, int, int], str]:
    query = request.query
    origin, destination = params.route(query, "from", "to")
    day = params.day(query, "depart_date", "DD/MM/YYYY")
    counts = params.counts(query, "adults", "childs", "infants")
    cabin = CABINS.get(query.get("class", ""))
    if cabin is None:
        raise ValueError(f"class must be one of {', '.join(CABINS)}")
    if query.get("responseType") != "jsonV3":
        raise ValueError("responseType must be jsonV3")
    return origin, destination, day, (counts[0], counts[1], counts[2]), cabin


def _passes_header_check(request: web.Request) -> bool:
    headers = request.headers
    return (headers.get("app-agent") == site.APP_AGENT
            or (headers.get("X-Requested-With") == "XMLHttpRequest" and bool(headers.get("Referer"))))


def offers_for(origin: str, destination: str, day: dt.date, cabin: str) -> list[tuple[catalog.Flight, int]]:
    """(flight, fare per adult) for every flight Cleartrip lists: the exact airports only."""
    return catalog.site_offers(site.NAME, [(origin, destination)], day, cabin)


def routes(config: SandboxConfig) -> list[web.RouteDef]:
    prefix = f"/{site.API_HOST}"
    first_calls: dict[tuple[str, str], float] = {}  # (client, query string) -> time of the first call

    def seen_before(request: web.Request) -> bool:
        now = time.monotonic()
        for key in [k for k, at in first_calls.items() if now - at > SEARCH_MEMORY]:
            del first_calls[key]
        key = (request.remote or "?", request.query_string)
        if key in first_calls:
            return True
        first_calls[key] = now
        return False

    async def search(request: web.Request) -> web.StreamResponse:
        if not _passes_header_check(request):
            return web.Response(status=403, text=AKAMAI_DENIED.format(path=request.path),
                                content_type="text/html", headers={"Server": "AkamaiGHost"})
        try:
            origin, destination, day, (adults, children, infants), cabin = parse_request(request)
        except ValueError as exc:
            return web.json_response({"status": 400, "message": str(exc)}, status=400)
        fault = config.fault(site.NAME)
        if fault == "challenge":
            return web.Response(status=200, text=CHALLENGE, content_type="text/html")
        if fault and (response := await generic_fault(request, fault, "akamai")) is not None:
            return response
        with_fares = seen_before(request)
        text = answers.priced(
            site.NAME, offers_for, (origin, destination, day, cabin, adults, children, infants), fault == "empty",
            lambda offers: json.dumps(results_document(offers, cabin, with_fares=with_fares), ensure_ascii=False),
            with_fares)
        if fault == "malformed":
            text = text.replace('"cards": ', '"cards" ', 1)  # a missing colon: broken, yet whole
        body = text.encode()
        await answer_delay(config, site.NAME, request)
        response = web.StreamResponse(headers={"Content-Type": "application/json;charset=UTF-8"})
        await response.prepare(request)
        if fault == "slow":
            await response.write(body[:1])
            await asyncio.sleep(config.slow_seconds)
            body = body[1:]
        if fault == "cut":
            await cut_here(request, response, body[: len(body) // 2])
            return response
        await response.write(body)
        await response.write_eof()
        return response

    return [web.get(prefix + site.SEARCH_PATH, search)]
