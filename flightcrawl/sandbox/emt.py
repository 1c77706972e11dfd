"""EaseMyTrip replica: `POST flightservice-node.easemytrip.com/AirAvail_Lights/AirBus_New`.

Reproduces the documented request (query `_=<epoch ms>&ngsw-bypass=true`, the JSON body of
shared/sources.md §3.3: 400 when a documented field is missing or malformed) and answers one
minified JSON document in the §3.4 shape: `C`, `A`, `Cnty`, `SQ`, the segment dictionary
`dctFltDtl` and the options `j[0].s[]`. Bot management is AWS WAF (§3.2): its block is a bare
403, its challenge a 202 page running challenge.js.

Not reproduced: the AES token chain (§3.2). `TKN` must be present (a string) but is not
validated, so the spider's placeholder token passes; the real site will want a minted one.
CHOICE: EaseMyTrip lists the searched airports only (the notes say nothing of nearby ones).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import zlib

from aiohttp import web

from flightcrawl import airports
from flightcrawl.sandbox import answers, catalog
from flightcrawl.sandbox.faults import SandboxConfig, answer_delay, generic_fault
from flightcrawl.sites import emt as site

CABINS = {code: cabin for cabin, code in site.CABIN_CODES.items()}
# The body's fields as §3.3 documents them; the replica insists on every one.
DOCUMENTED_FIELDS = (
    "org", "dept", "adt", "chd", "inf", "deptDT", "arrDT", "isDomestic", "isOneway", "airline", "Cabin",
    "currCode", "appType", "ResType", "serviceid", "TKN", "TraceId", "queryname", "IsDoubelSeat",
    "isSingleView", "IsNBA", "CouponCode", "IsArmedForce", "AgentCode", "IsWLAPP", "IsFareFamily",
    "serviceDepatment", "IpAddress", "LoginKey", "UUID", "userid", "FareTypeUI",
)
# English names whatever the process locale: "Sun-04Oct2026".
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
COUPON = "EMTFLY"


def segment_date(moment: dt.datetime) -> str:
    return f"{DAYS[moment.weekday()]}-{moment.day:02d}{MONTHS[moment.month - 1]}{moment.year}"


def hours_minutes(minutes: int) -> str:
    # CHOICE (mirrored in the parser): DUR and JyTm as "02h 15m", the notes' assumption (§3.4).
    return f"{minutes // 60:02d}h {minutes % 60:02d}m"


def _segment(leg: catalog.Leg) -> dict:
    return {
        "AC": leg.carrier, "FN": str(leg.number), "OG": leg.origin, "DT": leg.destination,
        "DDT": segment_date(leg.departure), "DTM": f"{leg.departure:%H:%M}",
        "ADT": segment_date(leg.arrival), "ATM": f"{leg.arrival:%H:%M}",
        "DUR": hours_minutes(leg.minutes), "STP": "0",
    }


def _option(flight: catalog.Flight, total: int, indices: list[int]) -> dict:
    base = int(round(total * 0.84))
    fares = [{"BF": base, "TTXMP": total - base, "TF": total, "PT": total, "SeatAv": 1 + total % 9}]
    if total % 3 == 0:  # a dearer fare family beside the listed one
        flexi = total + 600 + total % 400
        fares.append({"BF": int(round(flexi * 0.84)), "TTXMP": flexi - int(round(flexi * 0.84)),
                      "TF": flexi, "PT": flexi, "SeatAv": 9})
    option = {
        "b": [{"FL": indices, "JyTm": hours_minutes(flight.minutes)}],
        "TF": total,
        "lstFr": fares,
        "fbn": "Saver",
        "lstBagg": [{"CB": "7 Kg", "BG": "15 Kg"}],
        "lstCanPo": [],
        "SID": f"{zlib.crc32(flight.key.encode()):08x}",
    }
    if total % 4 == 0:  # some fares carry a coupon: TTDIS is the price after it
        off = 100 + total % 250
        option.update({"CC": COUPON, "TTDIS": total - off,
                       "CpNt": f"Use code {COUPON} and get ₹ {off} instant discount"})
    return option


def results_document(offers: list[tuple[catalog.Flight, int]], origin: str, destination: str,
                     day: dt.date) -> dict:
    """The AirBus_New answer for (flight, party total) pairs, in the site's shapes."""
    segments: dict[str, dict] = {}
    options = []
    for flight, total in offers:
        indices = []
        for leg in flight.legs:
            indices.append(len(segments))
            segments[str(len(segments))] = _segment(leg)
        options.append(_option(flight, total, indices))
    places = sorted({code for seg in segments.values() for code in (seg["OG"], seg["DT"])} | {origin, destination})
    return {
        "C": {code: catalog.AIRLINES[code][0] for code in sorted({s["AC"] for s in segments.values()})},
        # Shapes of A and Cnty are not known (§3.4 "airport / country maps"): illustrative.
        "A": {code: airports.site_city(code) for code in places},
        "Cnty": {"IN": "India"},
        "SQ": [{"org": origin, "dept": destination, "deptDT": day.isoformat(), "arrDT": None}],
        "dctFltDtl": segments,
        "j": [{"s": options}],
    }


def _bad(reason: str) -> web.Response:
    return web.json_response({"Message": f"The request is invalid: {reason}"}, status=400)


def parse_request(request: web.Request, body: object) -> tuple[str, str, dt.date, tuple[int, int, int], str]:
    if not re.fullmatch(r"\d{13}", request.query.get("_", "")):
        raise ValueError("_ must be the epoch time in milliseconds")
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    missing = [name for name in DOCUMENTED_FIELDS if name not in body]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    origin, destination = body["org"], body["dept"]
    if not (isinstance(origin, str) and isinstance(destination, str)
            and airports.is_airport(origin) and airports.is_airport(destination)) or origin == destination:
        raise ValueError("org and dept must be two IATA airport codes")
    if not (isinstance(body["deptDT"], str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", body["deptDT"])):
        raise ValueError("deptDT must be YYYY-MM-DD")
    day = dt.date.fromisoformat(body["deptDT"])
    counts = []
    for name in ("adt", "chd", "inf"):
        if not (isinstance(body[name], str) and body[name].isdigit()):
            raise ValueError(f"{name} must be a number as a string")
        counts.append(int(body[name]))
    if counts[0] < 1:
        raise ValueError("adt must be at least 1")
    cabin = CABINS.get(body["Cabin"]) if isinstance(body["Cabin"], int) else None
    if cabin is None:
        raise ValueError(f"Cabin must be one of {', '.join(map(str, CABINS))}")
    if body["currCode"] != "INR" or body["isOneway"] is not True:
        raise ValueError("only one-way searches in INR are replicated")
    if not isinstance(body["TKN"], str) or not body["TraceId"]:
        raise ValueError("TKN must be a string and TraceId set")
    return origin, destination, day, (counts[0], counts[1], counts[2]), cabin


def offers_for(origin: str, destination: str, day: dt.date, cabin: str) -> list[tuple[catalog.Flight, int]]:
    """(flight, fare per adult) for every flight EaseMyTrip lists: the exact airports, cheapest first."""
    return sorted(catalog.site_offers(site.NAME, [(origin, destination)], day, cabin), key=lambda pair: pair[1])


def routes(config: SandboxConfig) -> list[web.RouteDef]:
    prefix = f"/{site.API_HOST}"

    async def search(request: web.Request) -> web.StreamResponse:
        try:
            body = json.loads(await request.read())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _bad("the body is not JSON")
        try:
            origin, destination, day, (adults, children, infants), cabin = parse_request(request, body)
        except ValueError as exc:
            return _bad(str(exc))
        fault = config.fault(site.NAME)
        if fault and (response := await generic_fault(request, fault, "awswaf")) is not None:
            return response
        text = answers.priced(
            site.NAME, offers_for, (origin, destination, day, cabin, adults, children, infants), fault == "empty",
            lambda listed: json.dumps(results_document(listed, origin, destination, day), ensure_ascii=False,
                                      separators=(",", ":")))
        if fault == "malformed":
            # An Indian-grouped number leaks into the JSON: "TF":6,218 breaks the document mid-way.
            text, broken = re.subn(r'"TF":(\d+)(\d{3})', r'"TF":\1,\2', text, count=1)
            text = text if broken else text[:-1] + ",}"  # no fares to break: a trailing comma
        payload = text.encode()
        await answer_delay(config, site.NAME, request)
        response = web.StreamResponse(headers={"Content-Type": "application/json; charset=utf-8",
                                               "Cache-Control": "no-cache"})
        response.content_length = len(payload)
        await response.prepare(request)
        if fault == "slow":  # headers sent, then nothing: stalls before the body
            await asyncio.sleep(config.slow_seconds)
        if fault == "cut":  # half the document, then the connection drops
            await response.write(payload[: len(payload) // 2])
            if request.transport is not None:
                request.transport.close()
            return response
        await response.write(payload)
        await response.write_eof()
        return response

    return [web.post(prefix + site.SEARCH_PATH, search)]
