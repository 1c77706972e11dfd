"""MakeMyTrip: the `search-stream-dt` SSE API (shared/sources.md §1.3, §1.7)."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from flightcrawl.query import SearchQuery

NAME = "mmt"
TITLE = "MakeMyTrip"
API_HOST = "flights-cb.makemytrip.com"
WEB_HOST = "www.makemytrip.com"
HOSTS = (API_HOST, WEB_HOST)
SEARCH_PATH = "/api/search-stream-dt"
WEB_ORIGIN = f"https://{WEB_HOST}"
LISTING_PATH = "/flight/search"
# Akamai Bot Manager's cookies (§1.2). The sensor on the home page writes `_abck`; a session
# is what the browser holds of these, replayed on plain requests until Akamai refuses it.
GATE_COOKIES = ("_abck", "bm_sz", "ak_bmsc", "bm_s", "bm_so")
GATE_REQUIRED = "_abck"
# A search returns nearby airports at both ends (BLR-GOI also lists GOX), §1.3.
NEARBY_AIRPORTS = True

CABIN_CODES = {
    "economy": "E",
    "premium_economy": "PE",
    "business": "B",
    # CHOICE: "F" for first comes from one debug log ({E|B|P|F}) and is unverified.
    "first": "F",
}

# Each of these, when missing, gets its own 403 naming it (kumar-aiyer, Sept 2026).
REQUIRED_HEADERS = (
    "mcid",
    "device-id",
    "app-ver",
    "lob",
    "pfm",
    "os",
    "src",
    "language",
    "currency",
    "region",
)
# CHOICE: sources disagree on app-ver ("8.0.0" in the 2026 header gate and config, "1.0.0" in
# the site's own XHR and older captures); the gate only checks presence, so we send 8.0.0.
APP_VERSION = "8.0.0"
# CHOICE: `authorization` (a session bearer) is omitted: JetIndex omits it and no source shows
# how it is minted. A live deployment that needs it adds it in `search_headers`.


def api_date(query: SearchQuery) -> str:
    return query.date.strftime("%Y%m%d")


def pax(query: SearchQuery) -> str:
    return f"A-{query.adults}_C-{query.children}_I-{query.infants}"


def search_params(query: SearchQuery, request_id: str, now_ms: int | None = None) -> dict[str, str]:
    return {
        "it": f"{query.origin}-{query.destination}-{api_date(query)}",
        "pax": pax(query),
        "cc": CABIN_CODES[query.cabin],
        "cur": "INR",
        "currency": "INR",
        "region": "in",
        "language": "eng",
        "pfm": "DESKTOP",
        "sortBy": "rhino",
        "forwardFlowRequired": "true",
        "shd": "true",
        "dfs": "0",
        "safs": "st_0:0",
        "crId": request_id,
        "apiCallTimestamp": str(now_ms if now_ms is not None else int(time.time() * 1000)),
        "cmpId": "",
        "creditShellInfo": "",
        "src": "",
    }


def search_headers(device_id: str, user_agent: str) -> dict[str, str]:
    # The device ids are unsigned and unvalidated: one generated UUID serves them all.
    return {
        "Accept": "text/event-stream",
        "User-Agent": user_agent,
        "Origin": WEB_ORIGIN,
        "Referer": WEB_ORIGIN + "/",
        "mcid": device_id,
        "device-id": device_id,
        "deviceid": device_id,
        "usr-mcid": device_id,
        "vid": device_id,
        "tid": device_id,
        "app-ver": APP_VERSION,
        "lob": "B2C",
        "pfm": "DESKTOP",
        "os": "desktop",
        "src": "mmt",
        "language": "eng",
        "currency": "INR",
        "region": "in",
        "entity-name": "india",
        "user-country": "IN",
        "user-currency": "INR",
        "source": "MMT",
        "profile-type": "PERSONAL",
    }


def search_url(query: SearchQuery, request_id: str, now_ms: int | None = None) -> str:
    return f"https://{API_HOST}{SEARCH_PATH}?{urlencode(search_params(query, request_id, now_ms))}"


def home_url() -> str:
    """Where a browser starts: the home page lets the sensor write `_abck` (§1.2)."""
    return WEB_ORIGIN + "/"


def listing_url(query: SearchQuery) -> str:
    """The page a traveller opens for this search (DD/MM/YYYY in the itinerary)."""
    params = {
        "itinerary": f"{query.origin}-{query.destination}-{query.date:%d/%m/%Y}",
        "tripType": "O",
        "paxType": pax(query),
        "intl": "false",
        "cabinClass": CABIN_CODES[query.cabin],
    }
    return f"{WEB_ORIGIN}{LISTING_PATH}?{urlencode(params, safe='/')}"
