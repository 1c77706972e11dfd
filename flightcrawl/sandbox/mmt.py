"""MakeMyTrip replica: `GET flights-cb.makemytrip.com/api/search-stream-dt`.

Reproduces the header gate (each missing header: its own 403 naming it), the parameter
formats, and the SSE framing with base64(gzip(JSON)) result frames (shared/sources.md §1.3).
Searches return nearby airports at either end, as the real site does.

The platform also serves Goibibo (§6): `stream_routes` and `platform_offers` take the site's
contract module (NAME, API_HOST, SEARCH_PATH, CABIN_CODES, REQUIRED_HEADERS, NEARBY_AIRPORTS).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import gzip
import json
import re
import uuid
import zlib
from collections.abc import Callable
from types import ModuleType

from aiohttp import web

from flightcrawl import airports
from flightcrawl.query import QueryError, SearchQuery
from flightcrawl.sandbox import answers, catalog, gates
from flightcrawl.sandbox.faults import SandboxConfig, answer_delay, generic_fault
from flightcrawl.sandbox.sse import cut_here, frame, open_stream
from flightcrawl.sites import mmt as site

OFFERS = ("FLAT ₹ {n} OFF using MMTSUPER", "Get Flat 10% OFF using FLYMON",
          "FLAT ₹ {n} OFF using MMTSUPER | FLAT 500 OFF on ICICI Credit Cards using MMTICICIFEST.")


def _money(amount: int) -> str:
    # Indian grouping as the site prints it: ₹ 1,23,456
    text = str(amount)
    if len(text) > 3:
        head, tail = text[:-3], text[-3:]
        head = ",".join(re.findall(r"\d{1,2}(?=(?:\d{2})*$)", head))
        text = f"{head},{tail}"
    return f"₹ {text}"


def _duration(minutes: int) -> str:
    hours, mins = divmod(minutes, 60)
    if not mins:
        return f"{hours} hr{'s' if hours != 1 else ''}"
    return (f"{hours} hr {mins} mins " if hours else f"{mins} mins ")


def _journey_key(leg: catalog.Leg) -> str:
    return f"{leg.origin}${leg.destination}${leg.departure:%Y-%m-%d %H:%M}${leg.carrier}-{leg.number}"


def _font(text: str, color: str = "#000000") -> str:
    return f"<font color='{color}'>{text}</font>"


def results_document(flights: list[tuple[catalog.Flight, int]], adults: int, children: int,
                     infants: int, heading: tuple[str, str], offers: tuple[str, ...] = OFFERS) -> dict:
    """The results JSON for (flight, fare per adult) pairs, in the site's shapes."""
    card_list, journey_map = [], {}
    for flight, fare in flights:
        keys = [_journey_key(leg) for leg in flight.legs]
        for key, leg in zip(keys, flight.legs, strict=True):
            journey_map[key] = {
                "depTime": f"{leg.departure:%H:%M}",
                "arrTime": f"{leg.arrival:%H:%M}",
                "depCity": _font(airports.city(leg.origin)),
                "arrCity": f"<b>{_font(airports.city(leg.destination), '#4a4a4a')}</b>",
                "depCityCd": leg.origin,
                "arrCityCd": leg.destination,
                "depTimeStampStr": f"{leg.departure.day} {leg.departure:%b}",
                "arrTimeStampStr": f"{leg.arrival.day} {leg.arrival:%b}",
                "flightDuration": _font(f"{leg.minutes // 60:02d}h {leg.minutes % 60:02d}m", "#757575"),
                "stops": 0,
            }
        total = catalog.party_total(fare, adults, children, infants)
        base = int(round(total * 0.84))
        card = {
            "flightNumber": ", ".join(f"{leg.carrier} {leg.number}" for leg in flight.legs),
            "simpleAirlineHeading": {
                "cd": " | ".join(f"{leg.carrier}-{leg.number}" for leg in flight.legs),
                "nm": flight.airline,
                "ic": "",
            },
            "airlineCodes": sorted({leg.carrier for leg in flight.legs}),
            "fare": fare,
            "finalFare": _money(fare),
            "fareBreakup": {"title": "Fare breakup", "fareBreakUpItems": [
                {"text": _font("TOTAL"), "amount": _font(_money(total)), "textD": "",
                 "preSelected": False, "cta": None},
                {"text": _font("Base Fare"), "amount": _font(_money(base))},
                {"text": _font("Surcharges"), "amount": _font(_money(total - base))},
            ]},
            "journeyKeys": ["|".join(keys)],
            "minDur": flight.minutes,
            "duration": _duration(flight.minutes),
            "rKey": f"RKEY:{zlib.crc32(flight.key.encode()):010d}:{len(card_list)}_0",
        }
        if fare % 3 == 0:
            card["couponPersuasionText"] = _font(offers[fare % len(offers)].format(n=fare % 300 + 100))
        card_list.append([card])
    return {
        "cardList": card_list,
        "journeyMap": journey_map,
        "meta": {"cardsHeading": f"Flights from <b>{heading[0]}</b> to <b>{heading[1]}</b>",
                 "requestId": "sandbox"},
    }


def encode_frame_data(document: dict) -> str:
    return base64.b64encode(gzip.compress(json.dumps(document, ensure_ascii=False).encode())).decode()


def _bad(reason: str) -> web.Response:
    return web.json_response({"success": False, "error": {"code": "BAD_REQUEST", "message": reason}},
                             status=400)


def parse_request(request: web.Request, contract: ModuleType = site
                  ) -> tuple[str, str, dt.date, tuple[int, int, int], str]:
    query = request.query
    cabins = {code: cabin for cabin, code in contract.CABIN_CODES.items()}
    match = re.fullmatch(r"([A-Z]{3})-([A-Z]{3})-(\d{8})", query.get("it", ""))
    if not match:
        raise ValueError("it must be ORIG-DEST-YYYYMMDD")
    origin, destination, ymd = match.groups()
    day = dt.datetime.strptime(ymd, "%Y%m%d").date()
    pax = re.fullmatch(r"A-(\d)_C-(\d)_I-(\d)", query.get("pax", ""))
    if not pax:
        raise ValueError("pax must be A-n_C-n_I-n")
    cabin = cabins.get(query.get("cc", ""))
    if cabin is None:
        raise ValueError(f"cc must be one of {', '.join(cabins)}")
    for needed in ("crId", "cur", "pfm"):
        if not query.get(needed):
            raise ValueError(f"{needed} is required")
    if not (airports.is_airport(origin) and airports.is_airport(destination)):
        raise ValueError("unknown airport")
    return origin, destination, day, tuple(int(n) for n in pax.groups()), cabin


def offers_for(origin: str, destination: str, day: dt.date, cabin: str) -> list[tuple[catalog.Flight, int]]:
    """(flight, fare per adult) for every flight MakeMyTrip lists, nearby airports included, cheapest first."""
    return platform_offers(site, origin, destination, day, cabin)


def platform_offers(contract: ModuleType, origin: str, destination: str, day: dt.date,
                    cabin: str) -> list[tuple[catalog.Flight, int]]:
    """(flight, fare per adult) for every flight the site lists, cheapest first; nearby
    airports at either end when its contract says the site returns them."""
    def ends(code: str) -> tuple[str, ...]:
        return (code, *catalog.nearby(code)) if contract.NEARBY_AIRPORTS else (code,)
    pairs = [(a, b) for a in ends(origin) for b in ends(destination)]
    return sorted(catalog.site_offers(contract.NAME, pairs, day, cabin), key=lambda pair: pair[1])


def listing_query(request: web.Request) -> SearchQuery:
    """The search a MakeMyTrip listing URL asks for (`itinerary=DEL-BOM-20/12/2026&...`)."""
    query = request.query
    match = re.fullmatch(r"([A-Z]{3})-([A-Z]{3})-(\d{2})/(\d{2})/(\d{4})", query.get("itinerary", ""))
    pax = re.fullmatch(r"A-(\d)_C-(\d)_I-(\d)", query.get("paxType", ""))
    cabins = {code: cabin for cabin, code in site.CABIN_CODES.items()}
    if not match or not pax or query.get("cabinClass") not in cabins or query.get("tripType") != "O":
        raise ValueError("itinerary, tripType=O, paxType and cabinClass are required")
    origin, destination, day, month, year = match.groups()
    return SearchQuery.parse(origin, destination, f"{year}-{month}-{day}", *pax.groups(),
                             cabins[query["cabinClass"]])


def routes(config: SandboxConfig) -> list[web.RouteDef]:
    return stream_routes(config, site, listing_query=listing_query)


def stream_routes(config: SandboxConfig, contract: ModuleType, offers: tuple[str, ...] = OFFERS, *,
                  listing_query: Callable[[web.Request], SearchQuery],
                  listing_route: str | None = None) -> list[web.RouteDef]:
    """The `search-stream-dt` endpoint of the site whose contract module is `contract`, behind
    the Akamai gate, with the site's home page (the sensor) and listing page (the app whose
    script calls the endpoint)."""
    prefix = f"/{contract.API_HOST}"
    web_prefix = f"/{contract.WEB_HOST}"

    async def listing(request: web.Request) -> web.Response:
        try:
            query = listing_query(request)
        except (ValueError, QueryError) as exc:
            return web.Response(status=400, text=f"Bad Request: {exc}", content_type="text/plain")
        api_base = f"{request.scheme}://{request.host}{prefix}"
        url = contract.search_url(query, request_id=str(uuid.uuid4())).replace(f"https://{contract.API_HOST}",
                                                                                 api_base, 1)
        headers = contract.search_headers(str(uuid.uuid4()), request.headers.get("User-Agent", ""))
        return gates.akamai_app_page(config, contract.NAME, contract.TITLE, request, url, headers)

    async def search(request: web.Request) -> web.StreamResponse:
        if gates.akamai_refusal(config, contract.NAME, request):
            return gates.akamai_denied(request)
        for header in contract.REQUIRED_HEADERS:
            if not request.headers.get(header):
                return web.Response(status=403, text=f"Missing Header {header}",
                                    headers={"Server": "AkamaiGHost"})
        try:
            origin, destination, day, (adults, children, infants), cabin = parse_request(request, contract)
        except ValueError as exc:
            return _bad(str(exc))
        fault = config.fault(contract.NAME)
        if fault and (response := await generic_fault(request, fault, "akamai", contract.TITLE)) is not None:
            return response

        def build() -> list[str]:
            listed = [] if fault == "empty" else platform_offers(contract, origin, destination, day, cabin)
            heading = (airports.city(origin), airports.city(destination))
            half = (len(listed) + 1) // 2
            chunks = [listed[:half], listed[half:]] if listed else [[]]
            return [encode_frame_data(results_document(chunk, adults, children, infants, heading, offers))
                    for chunk in chunks]

        encoded = answers.built((contract.NAME, origin, destination, day, adults, children, infants, cabin,
                                 fault == "empty", offers), build)
        await answer_delay(config, contract.NAME, request)
        stream = await open_stream(request, {"Server": "AkamaiGHost"})
        await stream.write(frame(json.dumps({"App-Ver": ["1.0.0"], "Currency": ["INR"], "Region": ["in"]}),
                                 id="HANDSHAKE", event="response-headers"))
        await stream.write(frame(json.dumps({"loadingMessage": "Hold on, we are fetching flights"}),
                                 id="1", event="pre-search"))
        if fault == "slow":
            await asyncio.sleep(config.slow_seconds)
        for number, data in enumerate(encoded, start=2):
            if fault == "malformed":
                data = base64.b64encode(gzip.compress(b'{"cardList": [[{"flightNumber": "6E 1"')).decode()
            payload = frame(data, id=str(number), event="response")
            if fault == "cut" and number == 2 + len(encoded) - 1:
                await cut_here(request, stream, payload[: len(payload) // 2])
                return stream
            await stream.write(payload)
            await asyncio.sleep(0)
        await stream.write(frame(id="END", event="response"))
        await stream.write_eof()
        return stream

    return [web.get(prefix + contract.SEARCH_PATH, search),
            web.get(web_prefix + (listing_route or contract.LISTING_PATH), listing),
            *gates.akamai_home(config, contract.NAME, contract.TITLE, web_prefix)]
