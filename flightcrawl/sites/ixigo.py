"""ixigo: the `/flights/v2/search/stream` SSE API (shared/sources.md §2.2)."""

from __future__ import annotations

from urllib.parse import urlencode

from flightcrawl.query import SearchQuery

NAME = "ixigo"
TITLE = "ixigo"
API_HOST = "www.ixigo.com"
HOSTS = (API_HOST,)
SEARCH_PATH = "/flights/v2/search/stream"
WEB_ORIGIN = "https://www.ixigo.com"
# Cloudflare's clearance (§2.2): solved by a browser on the home page, bound to that browser's
# User-Agent (and TLS fingerprint), then replayed on the stream API with static headers.
GATE_COOKIES = ("cf_clearance", "__cf_bm")
GATE_REQUIRED = "cf_clearance"

CABIN_CODES = {"economy": "e", "premium_economy": "p", "business": "b", "first": "f"}

# The static header gate: no login, but these must be present.
REQUIRED_HEADERS = ("apikey", "clientid", "ixisrc", "uuid", "deviceid")
API_KEY = "ixiweb!2$"
# CHOICE: 2.80.0 (S23, newest) over 2.78.1 (S20, S22); the value is not known to be checked.
WEB_APP_VERSION = "2.80.0"
# About one request per second per IP; HTTP 429 above that (S20).
REQUESTS_PER_SECOND = 1.0
# CHOICE: the issue and S20 read `displayFare` as the total; we take it as the price of the
# whole party, not per adult. If live traffic shows otherwise, set this to "adult".
PRICE_BASIS = "party"


def leave_date(query: SearchQuery) -> str:
    # CHOICE: DDMMYYYY (most sources and the booking fareKey) over S23's DDMMYY.
    return query.date.strftime("%d%m%Y")


def search_params(query: SearchQuery) -> dict[str, str]:
    return {
        "origin": query.origin,
        "destination": query.destination,
        "leave": leave_date(query),
        "return": "",
        "adults": str(query.adults),
        "children": str(query.children),
        "infants": str(query.infants),
        "class": CABIN_CODES[query.cabin],
        "airlineFareType": "REGULAR",
        "version": "2.0",
        "searchSrc": "Search Form",
    }


def search_headers(device_id: str, user_agent: str, referer: str) -> dict[str, str]:
    return {
        "Accept": "text/event-stream, application/json",
        "Content-Type": "application/json; charset=UTF-8",
        "User-Agent": user_agent,
        "Origin": WEB_ORIGIN,
        "Referer": referer,  # S22: must match the search page
        "apikey": API_KEY,
        "clientid": "ixiweb",
        "ixisrc": "ixiweb",
        "uuid": device_id,
        "deviceid": device_id,
        "appversion": "2",
        "x-request-webappversion": WEB_APP_VERSION,
    }


def search_url(query: SearchQuery) -> str:
    return f"https://{API_HOST}{SEARCH_PATH}?{urlencode(search_params(query))}"


def home_url() -> str:
    return WEB_ORIGIN + "/"


def listing_url(query: SearchQuery) -> str:
    params = {
        "from": query.origin,
        "to": query.destination,
        "date": leave_date(query),
        "returnDate": "",
        "adults": query.adults,
        "children": query.children,
        "infants": query.infants,
        "class": CABIN_CODES[query.cabin],
        "source": "Search Form",
    }
    return f"{WEB_ORIGIN}/search/result/flight?{urlencode(params)}"
