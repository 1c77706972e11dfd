"""ixigo replica: `GET www.ixigo.com/flights/v2/search/stream`.

Reproduces the static header gate, about one request a second per client (HTTP 429 above),
and the SSE answer: usually one big `data:` frame of plain JSON (shared/sources.md §2.2).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from aiohttp import web

from flightcrawl.sandbox import answers, catalog, gates, params
from flightcrawl.sandbox.faults import RateLimiter, SandboxConfig, answer_delay, generic_fault
from flightcrawl.sandbox.sse import cut_here, frame, open_stream
from flightcrawl.sites import ixigo as site

CABINS = {code: cabin for cabin, code in site.CABIN_CODES.items()}
REFUNDABILITY = ("PARTIALLY_REFUNDABLE", "NON_REFUNDABLE", "REFUNDABLE")


def flight_fare(flight: catalog.Flight, total: int) -> dict:
    legs = flight.legs
    keys = [f"{leg.origin}-{leg.destination}-{leg.flight_number}-{leg.departure:%d%m%Y}" for leg in legs]
    return {
        # CHOICE (mirrored in the parser): a connection's flightKeys is a list, one key per leg.
        "flightKeys": keys[0] if len(keys) == 1 else keys,
        "refundableType": REFUNDABILITY[total % len(REFUNDABILITY)],
        "flightDetails": [{
            "airlineCode": flight.carrier,
            "headerTextWeb": flight.airline,
            "subHeaderTextWeb": ", ".join(leg.flight_number for leg in legs),
            "departureTime": f"{flight.departure:%H:%M}",
            "arrivalTime": f"{flight.arrival:%H:%M}",
            "departureDate": flight.departure.date().isoformat(),
            "duration": {"time": flight.minutes},
            "stop": flight.stops,
        }],
        "fares": [
            {"fareDetails": {"displayFare": total},
             "fareMetadata": [{"cabinClass": "ECONOMY", "seatRemaining": total % 9}]},
            # A dearer fare family beside the listing price, as `fares[]` may hold several.
            {"fareDetails": {"displayFare": total + 450 + total % 300},
             "fareMetadata": [{"cabinClass": "ECONOMY", "seatRemaining": 9}]},
        ],
    }


def results_document(offers: list[tuple[catalog.Flight, int]]) -> dict:
    return {"data": {"flightJourneys": [{"flightFare": [flight_fare(f, total) for f, total in offers]}]}}


def parse_request(request: web.Request) -> tuple[str, str, dt.date, tuple[int, int, int], str]:
    query = request.query
    origin, destination = params.route(query, "origin", "destination")
    day = params.day(query, "leave", "DDMMYYYY")
    counts = params.counts(query, "adults", "children", "infants")
    cabin = CABINS.get(query.get("class", "").lower())
    if cabin is None:
        raise ValueError("class must be e, p, b or f")
    return origin, destination, day, (counts[0], counts[1], counts[2]), cabin


def offers_for(origin: str, destination: str, day: dt.date, cabin: str) -> list[tuple[catalog.Flight, int]]:
    """(flight, fare per adult) for every flight ixigo lists: the exact airports only."""
    return catalog.site_offers(site.NAME, [(origin, destination)], day, cabin)


def routes(config: SandboxConfig) -> list[web.RouteDef]:
    prefix = f"/{site.API_HOST}"
    limiter = RateLimiter(rate=site.REQUESTS_PER_SECOND, burst=2)

    async def search(request: web.Request) -> web.StreamResponse:
        # The edge's rate limit comes first: a client that hammers is refused, cookie or not.
        if config.rate_limit and not limiter.allow(request.remote or "?"):
            return web.json_response({"errors": [{"message": "Rate limit exceeded"}]}, status=429,
                                     headers={"Retry-After": "1", "Server": "cloudflare"})
        if gates.cloudflare_refusal(config, site.NAME, request):
            return gates.cloudflare_challenge(prefix)
        for header in site.REQUIRED_HEADERS:
            if not request.headers.get(header):
                return web.json_response(
                    {"errors": [{"code": "INVALID_HEADERS", "message": f"missing header {header}"}]},
                    status=403)
        if request.headers["apikey"] != site.API_KEY:
            return web.json_response({"errors": [{"code": 400, "message": "INVALID_API_KEY"}]}, status=400)
        try:
            origin, destination, day, (adults, children, infants), cabin = parse_request(request)
        except ValueError as exc:
            return web.json_response({"errors": [{"code": 400, "message": str(exc)}]}, status=400)
        fault = config.fault(site.NAME)
        if fault and (response := await generic_fault(request, fault, "cloudflare")) is not None:
            return response
        data = answers.priced(site.NAME, offers_for, (origin, destination, day, cabin, adults, children, infants),
                              fault == "empty", lambda offers: json.dumps(results_document(offers), ensure_ascii=False))
        if fault == "malformed":
            data = data[: len(data) // 2] + '"}]}'
        payload = frame(data, id="1")
        await answer_delay(config, site.NAME, request)
        stream = await open_stream(request, {"Server": "cloudflare"})
        if fault == "slow":
            await stream.write(b": waiting for providers\n\n")
            await asyncio.sleep(config.slow_seconds)
        if fault == "cut":
            await cut_here(request, stream, payload[: len(payload) // 2])
            return stream
        await stream.write(payload)
        await stream.write_eof()
        return stream

    return [web.get(prefix + site.SEARCH_PATH, search), *gates.cloudflare_routes(config, site.NAME, prefix)]
