"""EaseMyTrip: `POST AirAvail_Lights/AirBus_New` with a JSON body (shared/sources.md §3.3).

The answer is one big JSON document (§3.4), not a stream. The real endpoint sits behind AWS
WAF and an AES token chain (§3.2) that the "gates" work will build; this contract sends the
documented body with a placeholder token.
"""

from __future__ import annotations

import time
from urllib.parse import quote

from flightcrawl import airports
from flightcrawl.query import SearchQuery

NAME = "emt"
TITLE = "EaseMyTrip"
API_HOST = "flightservice-node.easemytrip.com"
HOSTS = (API_HOST,)
SEARCH_PATH = "/AirAvail_Lights/AirBus_New"
WEB_ORIGIN = "https://www.easemytrip.com"  # Origin/Referer of the API call (§3.3)
LISTING_ORIGIN = "https://flight.easemytrip.com"  # the results page (§3.1)

CABIN_CODES = {
    "economy": 0,  # documented: body `Cabin: 0` and listing `cbn=0` (§3.1, §3.3)
    # CHOICE: the notes show only 0. These are one public EaseMyTrip client's enum (outside
    # sources.md): FIRST = 1, BUSINESS = 2, PREMIUM_ECONOMY = 4. Unverified.
    "premium_economy": 4,
    "business": 2,
    "first": 1,
}
# CHOICE: TKN comes from the AES token chain (etoken/GIT -> GUT, §3.2), which the "gates" work
# will build in a browser session. Until then we send an empty token; the real site will refuse
# it, the replica does not check it. This is the one place to plug the minted token in.
PLACEHOLDER_TOKEN = ""


def api_date(query: SearchQuery) -> str:
    return query.date.isoformat()  # deptDT is YYYY-MM-DD (§3.3)


def is_domestic(query: SearchQuery) -> bool:
    return airports.country(query.origin) == airports.country(query.destination) == "IN"


def search_body(query: SearchQuery, trace_id: str, token: str = PLACEHOLDER_TOKEN) -> dict:
    """The documented body (§3.3): counts as strings, `queryname` the same uuid as `TraceId`."""
    return {
        "org": query.origin,
        "dept": query.destination,
        "adt": str(query.adults),
        "chd": str(query.children),
        "inf": str(query.infants),
        "deptDT": api_date(query),
        "arrDT": "",
        # CHOICE: §3.3 documents a domestic search (true); false for a route leaving India is
        # assumed. ResType 2 is kept as documented whatever the route.
        "isDomestic": is_domestic(query),
        "isOneway": True,
        "airline": "undefined",
        "Cabin": CABIN_CODES[query.cabin],
        "currCode": "INR",
        "appType": 1,
        "ResType": 2,
        "serviceid": "EMTSERVICE;",
        "TKN": token,
        "TraceId": trace_id,
        "queryname": trace_id,
        "IsDoubelSeat": False,  # sic, as the site spells it
        "isSingleView": False,
        "IsNBA": False,
        "CouponCode": "",
        "IsArmedForce": False,
        "AgentCode": "",
        "IsWLAPP": False,
        "IsFareFamily": False,
        "serviceDepatment": "",  # sic
        "IpAddress": "",
        "LoginKey": "",
        "UUID": "",
        "userid": "",
        "FareTypeUI": 0,
    }


def search_headers(user_agent: str) -> dict[str, str]:
    return {
        "Accept": "application/json, text/plain, */*",
        "Content-Type": "application/json",
        "User-Agent": user_agent,
        "Origin": WEB_ORIGIN,
        "Referer": WEB_ORIGIN + "/",
    }


def search_url(now_ms: int | None = None) -> str:
    """`_` is a cache-buster (epoch ms); `ngsw-bypass` skips the site's Angular service worker."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    return f"https://{API_HOST}{SEARCH_PATH}?_={now_ms}&ngsw-bypass=true"


# CHOICE: the listing's segment is IATA-City-Country with the country's name; airportsdata
# gives only its ISO code, so India is spelt out and any other country keeps its code.
COUNTRY_NAMES = {"IN": "India"}


def _place(code: str) -> str:
    country = airports.country(code)
    text = f"{code}-{airports.site_city(code)}-{COUNTRY_NAMES.get(country, country)}"
    return quote(text, safe="-")  # "Navi Mumbai" -> "Navi%20Mumbai"; the `|` and `/` stay as seen


def listing_url(query: SearchQuery) -> str:
    """FlightList/Index?srch=DEL-Delhi-India|BOM-Mumbai-India|DD/MM/YYYY&px=1-0-0&cbn=0... (§3.1)."""
    srch = f"{_place(query.origin)}|{_place(query.destination)}|{query.date:%d/%m/%Y}"
    px = f"{query.adults}-{query.children}-{query.infants}"
    domestic = "true" if is_domestic(query) else "false"  # as isDomestic in the body
    return (f"{LISTING_ORIGIN}/FlightList/Index?srch={srch}&px={px}&cbn={CABIN_CODES[query.cabin]}"
            f"&ar=undefined&isow=true&isdm={domestic}")
