"""Yatra replica: the listing page `flight.yatra.com/air-search-ui/dom2/trigger`, rendered by JavaScript.

As the real site does for public scrapers (shared/sources.md §5), the page's HTML has no
flights: an inline script fetches them from `/air-service/dom2/search?<same params>` on the
same host and builds the cards, so only a browser sees them. Nothing of Yatra's JSON or markup
is known (§5, §9): the JSON below is our own shape, and the cards use the first selector of
each list in `flightcrawl/parsers/yatra.py` (AirGo's guesses where it had one).

Faults: reset, http500, gate403 (Akamai, which one source claims) and rate429 are the
document's HTTP status; challenge is the "Challenge Validation" page (§5); slow stalls the
data call so no card ever renders; malformed and cut break the data call so the page shows
its error state; empty makes it render its "no flights" state.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import re

from aiohttp import web

from flightcrawl import airports
from flightcrawl.sandbox import catalog, params
from flightcrawl.sandbox.faults import SandboxConfig, answer_delay, generic_fault
from flightcrawl.sandbox.sse import cut_here
from flightcrawl.sites import yatra as site

CABINS = {name: cabin for cabin, name in site.CABIN_NAMES.items()}

# The bot check's interstitial. §5 gives only its title; the rest is modelled on Akamai's
# sec-cpt page (Akamai is claimed by one source). CHOICE: served with HTTP 200.
CHALLENGE_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Challenge Validation</title></head>
<body><div id="sec-container"><div id="sec-text-container"><h1>Please wait...</h1>
<p>We are checking your browser before taking you to flight.yatra.com</p></div>
<div id="sec-if-container"></div></div>
<script src="/_sec/cp_challenge/ak-challenge-4-3.js"></script>
<noscript>Please enable JavaScript to continue.</noscript></body></html>
"""

# The listing page's shell. CHOICE: all markup and the script are ours (nothing is known).
# Paths are relative, so the page works under the real host and under the sandbox's
# /flight.yatra.com/ prefix alike: ../../ leads from /air-search-ui/dom2/ to the host's root.
LISTING_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Flights from __FROM__ to __TO__ | Yatra.com</title>
<style>
@font-face { font-family: "Rubik"; src: url("../../content/fonts/rubik-regular.woff2") format("woff2"); }
body { font-family: Rubik, Arial, sans-serif; }
.flightItem { border: 1px solid #ddd; margin: 8px 0; padding: 8px; display: flex; gap: 16px; }
.airline-logo { width: 24px; height: 24px; }
</style></head>
<body>
<header class="search-summary"><h1>__FROM__ to __TO__</h1><p>__DATE__ | __PAX__ | __CABIN__</p></header>
<main id="results"><div class="flight-list" id="flight-list">
<div class="loader">Fetching the best fares for you...</div></div></main>
<script>
(function () {
  var list = document.getElementById("flight-list");
  function esc(text) {
    return String(text).replace(/[&<>"]/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c];
    });
  }
  function rupees(amount) {  // Indian grouping: 1,23,456
    var text = String(amount), head = text.slice(0, -3), tail = text.slice(-3);
    return head ? head.replace(/\\B(?=(\\d{2})+(?!\\d))/g, ",") + "," + tail : tail;
  }
  function duration(minutes) {
    return Math.floor(minutes / 60) + "h " + (minutes % 60) + "m";
  }
  function card(f) {
    var legs = f.legs, last = legs[legs.length - 1], n = legs.length - 1;
    var stops = n === 0 ? "Non Stop" : n + (n === 1 ? " Stop" : " Stops");
    var via = legs.slice(0, -1).map(function (l) { return esc(l.toCity); }).join(", ");
    return '<div class="flightItem border-shadow pr" data-id="' + esc(f.id) + '">' +
      '<div class="airline-name"><img class="airline-logo" alt="" src="../../content/images/airlines/' +
      esc(f.airlineCode) + '.png"><span class="text">' + esc(f.airlineName) + '</span></div>' +
      '<p class="fl-no">' + legs.map(function (l) { return "<span>" + esc(l.flightNo) + "</span>"; }).join("") +
      '</p>' +
      '<div class="dtime"><p class="time" autom="departureTimeLabel">' + esc(f.depTime) + '</p>' +
      '<p class="city-code">' + esc(legs[0].from) + '</p></div>' +
      '<div class="du-stops"><p class="du" autom="durationLabel">' + duration(f.durationMin) + '</p>' +
      '<span class="stops">' + stops + '</span>' + (via ? '<span class="via">via ' + via + '</span>' : '') +
      '</div>' +
      '<div class="atime"><p class="time" autom="arrivalTimeLabel">' + esc(f.arrTime) + '</p>' +
      (f.arrDayOffset ? '<span class="day-change">+' + f.arrDayOffset + ' day</span>' : '') +
      '<p class="city-code">' + esc(last.to) + '</p></div>' +
      '<div class="price" autom="priceLabel"><div class="fare-summary-tooltip">\\u20b9 ' +
      rupees(f.fare.total) + '</div></div>' +
      '<button class="button secondary-button" autom="booknow">Book Now</button></div>';
  }
  function show(html) { list.innerHTML = html; }
  function fail(detail) {
    show('<div class="search-error" role="alert"><h3>Something went wrong</h3>' +
         '<p>We could not load flights: ' + esc(detail) + '</p></div>');
  }
  fetch("../../air-service/dom2/search" + location.search, {headers: {"Accept": "application/json"}})
    .then(function (response) {
      if (!response.ok) { throw new Error("search service answered HTTP " + response.status); }
      return response.text();
    })
    .then(function (text) {
      var data;
      try { data = JSON.parse(text); } catch (e) { throw new Error("unreadable search results"); }
      var flights = data.flights || [];
      if (!flights.length) {
        show('<div class="no-flights"><h3>No flights found</h3>' +
             '<p>Try another date or nearby airports.</p></div>');
        return;
      }
      show('<p class="result-count">' + flights.length + ' flights found</p>' + flights.map(card).join(""));
    })
    .catch(function (error) { fail(error.message === "Failed to fetch" ? "connection interrupted" : error.message); });
})();
</script>
</body></html>
"""


def results_document(offers: list[tuple[catalog.Flight, int]], search_id: str) -> dict:
    """The data call's answer for (flight, party total) pairs. CHOICE: our own shape."""
    flights = []
    for flight, total in offers:
        flights.append({
            "id": f"{flight.origin}{flight.destination}{''.join(flight.flight_numbers)}{flight.departure:%Y%m%d}",
            "airlineCode": flight.carrier,
            "airlineName": flight.airline,
            "legs": [{"flightNo": f"{leg.carrier}-{leg.number}", "from": leg.origin, "to": leg.destination,
                      "toCity": airports.city(leg.destination), "dep": f"{leg.departure:%H:%M}",
                      "arr": f"{leg.arrival:%H:%M}"} for leg in flight.legs],
            "depTime": f"{flight.departure:%H:%M}",
            "arrTime": f"{flight.arrival:%H:%M}",
            "arrDayOffset": (flight.arrival.date() - flight.departure.date()).days,
            "durationMin": flight.minutes,
            "fare": {"total": total, "currency": "INR"},
        })
    return {"status": "SUCCESS", "searchId": search_id, "currency": "INR", "flights": flights}


def parse_request(request: web.Request) -> tuple[str, str, dt.date, tuple[int, int, int], str]:
    """The listing's parameters (the data call takes the same ones); ValueError when malformed."""
    query = request.query
    if query.get("type") != "O" or query.get("noOfSegments") != "1":
        raise ValueError("only one-way searches (type=O, noOfSegments=1) are replicated")
    origin, destination = query.get("origin", ""), query.get("destination", "")
    if not (airports.is_airport(origin) and airports.is_airport(destination)):
        raise ValueError("origin and destination must be IATA codes")
    for name in ("originCountry", "destinationCountry"):
        if not re.fullmatch(r"[A-Z]{2}", query.get(name, "")):
            raise ValueError(f"{name} must be a country code")
    day = params.day(query, "flight_depart_date", "DD/MM/YYYY")
    counts = params.counts(query, "ADT", "CHD", "INF")
    if counts[0] < 1:
        raise ValueError("ADT must be at least 1")
    cabin = CABINS.get(query.get("class", ""))
    if cabin is None:
        raise ValueError(f"class must be one of {', '.join(CABINS)}")
    return origin, destination, day, (counts[0], counts[1], counts[2]), cabin


def offers_for(origin: str, destination: str, day: dt.date, cabin: str) -> list[tuple[catalog.Flight, int]]:
    """(flight, fare per adult) for every flight Yatra lists: the exact airports only."""
    return catalog.site_offers(site.NAME, [(origin, destination)], day, cabin)


def listing_page(origin: str, destination: str, day: dt.date, pax: tuple[int, int, int], cabin: str) -> str:
    travellers = sum(pax)
    return (LISTING_PAGE.replace("__FROM__", airports.city(origin)).replace("__TO__", airports.city(destination))
            .replace("__DATE__", f"{day:%a, %d %b %Y}")
            .replace("__PAX__", f"{travellers} Traveller{'s' if travellers > 1 else ''}")
            .replace("__CABIN__", site.CABIN_NAMES[cabin]))


def routes(config: SandboxConfig) -> list[web.RouteDef]:
    prefix = f"/{site.HOST}"

    async def listing(request: web.Request) -> web.StreamResponse:
        try:
            origin, destination, day, pax, cabin = parse_request(request)
        except ValueError as exc:
            return web.Response(status=400, text=f"<html><body><h1>Bad Request</h1><p>{exc}</p></body></html>",
                                content_type="text/html")
        fault = config.fault(site.NAME)
        if fault == "challenge":
            return web.Response(text=CHALLENGE_PAGE, content_type="text/html")
        if fault and (response := await generic_fault(request, fault, "akamai")) is not None:
            return response
        return web.Response(text=listing_page(origin, destination, day, pax, cabin), content_type="text/html",
                            headers={"Cache-Control": "no-store"})

    async def search(request: web.Request) -> web.StreamResponse:
        try:
            origin, destination, day, (adults, children, infants), cabin = parse_request(request)
        except ValueError as exc:
            return web.json_response({"status": "FAILURE", "error": str(exc)}, status=400)
        fault = config.fault(site.NAME)
        offers = []
        if fault != "empty":
            offers = [(flight, catalog.party_total(fare, adults, children, infants))
                      for flight, fare in offers_for(origin, destination, day, cabin)]
        search_id = hashlib.sha1(request.query_string.encode()).hexdigest()[:20]
        data = json.dumps(results_document(offers, search_id), ensure_ascii=False)
        if fault == "malformed":
            data = data[: len(data) // 2] + '"}]}'
        await answer_delay(config, site.NAME, request)
        response = web.StreamResponse(headers={"Content-Type": "application/json; charset=utf-8"})
        await response.prepare(request)
        if fault == "slow":
            await response.write(data[:20].encode())
            await asyncio.sleep(config.slow_seconds)
        if fault == "cut":
            await cut_here(request, response, data.encode()[: len(data) // 2])
            return response
        await response.write(data.encode())
        await response.write_eof()
        return response

    return [web.get(prefix + site.LISTING_PATH, listing), web.get(prefix + site.DATA_PATH, search)]
