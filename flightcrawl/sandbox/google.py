"""Google Flights replica: `GET www.google.com/travel/flights/search?tfs=<b64>&hl=en&curr=INR`.

Reads the `tfs` protobuf back (400 when it is not a one-way `Info` message, shared/sources.md
§7.1), sends a client without a consent cookie to consent.google.com (§7.3), and answers with
an HTML page whose `<script class="ds:1">` carries the results by position (§7.2). Some
itineraries carry no flight number, as on the real site.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import zlib
from urllib.parse import quote

from aiohttp import web

from flightcrawl import airports
from flightcrawl.parsers.google import FLIGHT_NUMBER_AT
from flightcrawl.sandbox import answers, catalog
from flightcrawl.sandbox.faults import SandboxConfig, answer_delay, generic_fault
from flightcrawl.sandbox.sse import cut_here
from flightcrawl.sites import google as site

CABINS = {seat: cabin for cabin, seat in site.SEATS.items()}
PLANES = ("Airbus A320neo", "Airbus A321neo", "Boeing 737", "ATR 72")
ALLIANCES = [["STAR_ALLIANCE", "Star Alliance"]]
SERVER = {"Server": "gws"}
ERROR_PAGE = (
    "<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Error {status} ({what})!!1</title>"
    "<p><b>{status}.</b> <ins>That’s an error.</ins><p>{text} <ins>That’s all we know.</ins></html>"
)
SORRY_PAGE = (
    "<html><head><meta http-equiv=\"content-type\" content=\"text/html; charset=utf-8\">"
    "<title>https://www.google.com/travel/flights/search</title></head><body><div id=\"captcha-form\">"
    "<p>Our systems have detected unusual traffic from your computer network. This page checks to see "
    "if it's really you sending the requests, and not a robot.</p></div></body></html>"
)


def lists_flight_number(flight: catalog.Flight) -> bool:
    """Google shows no flight number for some itineraries: here, every fourth flight of the day."""
    day = catalog.flights(flight.origin, flight.destination, flight.departure.date())
    return day.index(flight) % 4 != 1


def time_parts(moment: dt.datetime) -> list[int | None]:
    """[h, m] with zero parts omitted, as Google writes them: 08:00 -> [8], 00:31 -> [None, 31]."""
    parts: list[int | None] = [moment.hour or None, moment.minute or None]
    while parts and parts[-1] is None:
        parts.pop()
    return parts


def segment(leg: catalog.Leg, numbered: bool) -> list:
    s: list = [None] * 32
    s[3], s[4] = leg.origin, airports.airport(leg.origin)["name"]
    s[5], s[6] = airports.airport(leg.destination)["name"], leg.destination
    s[8], s[10], s[11] = time_parts(leg.departure), time_parts(leg.arrival), leg.minutes
    s[17] = PLANES[leg.number % len(PLANES)]
    s[20] = [leg.departure.year, leg.departure.month, leg.departure.day]
    s[21] = [leg.arrival.year, leg.arrival.month, leg.arrival.day]
    if numbered:  # CHOICE (mirrored in the parser): [carrier, number, operating carrier, name]
        s[FLIGHT_NUMBER_AT] = [leg.carrier, str(leg.number), None, catalog.AIRLINES[leg.carrier][0]]
    return s


def itinerary(flight: catalog.Flight, total: int) -> list:
    numbered = lists_flight_number(flight)
    detail: list = [None] * 27
    detail[0] = flight.carrier
    detail[1] = [flight.airline]
    detail[2] = [segment(leg, numbered) for leg in flight.legs]
    detail[22] = [None] * 7 + [flight.minutes * 620, flight.minutes * 600]  # CO2 grams: this, typical
    token = f"CjRI{zlib.crc32(flight.key.encode()):08x}"
    return [detail, [[None, total], token]]


def payload(offers: list[tuple[catalog.Flight, int]]) -> list:
    """The ds:1 data for (flight, party price) pairs; payload[3][0] is None when there are none."""
    data: list = [None] * 10
    data[3] = [[itinerary(f, total) for f, total in offers] or None, None]
    carriers = sorted({leg.carrier for flight, _ in offers for leg in flight.legs})
    data[7] = [None, [ALLIANCES, [[code, catalog.AIRLINES[code][0]] for code in carriers]]]
    return data


def script(key: str, hash_: str, data: str) -> str:
    return (f"<script class=\"{key}\" nonce=\"sandbox\">AF_initDataCallback({{key: '{key}', hash: '{hash_}', "
            f"data:{data}, sideChannel: {{}}}});</script>")


def page(origin: str, destination: str, data: str) -> str:
    title = f"{airports.city(origin)} to {airports.city(destination)} | Google Flights"
    return (
        "<!doctype html><html lang=\"en\" dir=\"ltr\"><head><base href=\"https://www.google.com/\">"
        f"<meta charset=\"utf-8\"><title>{title}</title></head><body><c-wiz jsrenderer=\"sandbox\">"
        "<div role=\"main\"><h2>Search results</h2></div></c-wiz>"
        + script("ds:0", "1", json.dumps([[site.LANGUAGE, site.CURRENCY]]))
        + script("ds:1", "2", data)
        + "</body></html>"
    )


def _error(status: int, what: str, text: str) -> web.Response:
    return web.Response(status=status, text=ERROR_PAGE.format(status=status, what=what, text=text),
                        content_type="text/html", headers=SERVER)


def consent_redirect(request: web.Request) -> web.Response:
    real_url = f"https://{site.HOST}{request.path_qs.split(site.HOST, 1)[-1]}"
    location = (f"https://{site.CONSENT_HOST}/m?continue={quote(real_url, safe='')}"
                "&gl=DE&m=0&pc=flt&cm=2&hl=en&src=1")
    return web.Response(status=302, headers={**SERVER, "Location": location})


def parse_request(request: web.Request) -> tuple[str, str, dt.date, tuple[int, int, int], str]:
    if not request.query.get("tfs"):
        raise ValueError("tfs is required")
    if request.query.get("curr", site.CURRENCY) not in ("", site.CURRENCY):
        raise ValueError("the replica prices in INR only")
    info = site.read_tfs(request.query["tfs"])
    if info.trip != site.ONE_WAY or len(info.legs) != 1:
        raise ValueError("the replica serves one-way searches: one leg, trip ONE_WAY")
    leg = info.legs[0]
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", leg.date):
        raise ValueError("date must be YYYY-MM-DD")
    day = dt.date.fromisoformat(leg.date)
    if not (airports.is_airport(leg.origin) and airports.is_airport(leg.destination)):
        raise ValueError("from_airport and to_airport must be IATA codes")
    cabin = CABINS.get(info.seat)
    if cabin is None:
        raise ValueError(f"seat {info.seat} is not a Seat")
    people = info.passengers
    if not 1 <= len(people) <= site.MAX_PASSENGERS or not set(people) <= {1, 2, 3, 4}:
        raise ValueError("passengers: 1 to 9 Passenger values")
    adults, lap = people.count(site.ADULT), people.count(site.INFANT_ON_LAP)
    if not adults or lap > adults:
        raise ValueError("passengers: at least one adult, and no more lap infants than adults")
    # An infant in a seat pays for the seat: priced here like a child.
    children = people.count(site.CHILD) + people.count(site.INFANT_IN_SEAT)
    return leg.origin, leg.destination, day, (adults, children, lap), cabin


def offers_for(origin: str, destination: str, day: dt.date, cabin: str) -> list[tuple[catalog.Flight, int]]:
    """(flight, fare per adult) for every flight Google Flights lists: the exact airports only."""
    return catalog.site_offers(site.NAME, [(origin, destination)], day, cabin)


def routes(config: SandboxConfig) -> list[web.RouteDef]:
    prefix = f"/{site.HOST}"

    async def search(request: web.Request) -> web.StreamResponse:
        fault = config.fault(site.NAME)
        if fault == "challenge" or not any(request.cookies.get(name) for name in site.CONSENT_COOKIES):
            return consent_redirect(request)  # the consent wall (§7.3)
        try:
            origin, destination, day, (adults, children, infants), cabin = parse_request(request)
        except ValueError as exc:
            return _error(400, "Bad Request", f"Your client has issued a malformed or illegal request. {exc}")
        if fault == "gate403":
            return _error(403, "Forbidden", "Your client does not have permission to get this URL.")
        if fault == "rate429":
            return web.Response(status=429, text=SORRY_PAGE, content_type="text/html", headers=SERVER)
        if fault and (response := await generic_fault(request, fault, "google")) is not None:
            return response
        data = answers.priced(
            site.NAME, offers_for, (origin, destination, day, cabin, adults, children, infants), fault == "empty",
            lambda offers: json.dumps(payload(sorted(offers, key=lambda pair: (pair[1], pair[0].departure))),
                                      ensure_ascii=False, separators=(",", ":")))
        if fault == "malformed":
            data = data[: len(data) // 2]
        body = page(origin, destination, data).encode()
        await answer_delay(config, site.NAME, request)
        response = web.StreamResponse(headers={**SERVER, "Content-Type": "text/html; charset=UTF-8"})
        await response.prepare(request)
        if fault == "slow":
            await response.write(body[:200])
            await asyncio.sleep(config.slow_seconds)
        if fault == "cut":
            ds1 = body.index(b'class="ds:1"')
            await cut_here(request, response, body[: ds1 + (len(body) - ds1) // 2])
            return response
        await response.write(body)
        await response.write_eof()
        return response

    return [web.get(prefix + site.SEARCH_PATH, search)]
