"""Cleartrip: the `/flight/search/v2` JSON API, `responseType=jsonV3` (shared/sources.md §4)."""

from __future__ import annotations

from urllib.parse import urlencode

from flightcrawl.airports import country
from flightcrawl.query import SearchQuery

NAME = "cleartrip"
TITLE = "Cleartrip"
API_HOST = "www.cleartrip.com"
HOSTS = (API_HOST,)
SEARCH_PATH = "/flight/search/v2"
WEB_ORIGIN = "https://www.cleartrip.com"
RESULTS_PATH = "/flights/results"  # §4.1: the page a traveller sees

CABIN_CLASSES = {
    "economy": "Economy",  # §4.1, §4.2
    # CHOICE: only "Economy" is in the notes; the other cabins are spelt as the site's menu reads.
    "premium_economy": "Premium Economy",
    "business": "Business",
    "first": "First",
}
# Either header form is named by the notes (§4.2: `app-agent: DESKTOP`, or `X-Requested-With`
# plus Referer [S35]); the replica accepts either.
APP_AGENT = "DESKTOP"
# CHOICE: `totalPrice` is read as the price of the whole party (the notes show one adult only);
# if live traffic shows it is per adult, set this to "adult".
PRICE_BASIS = "party"
CURRENCY = "INR"  # asked for with utm_currency=INR

# §4.2: "the first response can have empty `fares`, so wait for a later one" [S34].
# CHOICE: the follow-up is the same GET again (S34 only waits for a later response of the same
# endpoint; no search id is documented), sent with the session's cookies. Seconds to wait
# before each follow-up: at most len(POLL_WAITS) of them, and never past the search deadline.
POLL_WAITS = (0.5, 1.0, 2.0)


def depart_date(query: SearchQuery) -> str:
    return query.date.strftime("%d/%m/%Y")  # §4.1, §4.2: DD/MM/YYYY


def intl(query: SearchQuery) -> str:
    # CHOICE: only intl=n (domestic) is documented; "y" when either airport is outside India.
    return "n" if country(query.origin) == country(query.destination) == "IN" else "y"


def search_params(query: SearchQuery) -> dict[str, str]:
    # §4.2, in the documented order. CHOICE: S34's extra `filterVersion=v2&isWP=true` are left out.
    return {
        "from": query.origin,
        "source_header": query.origin,
        "to": query.destination,
        "destination_header": query.destination,
        "depart_date": depart_date(query),
        "class": CABIN_CLASSES[query.cabin],
        "adults": str(query.adults),
        "childs": str(query.children),
        "infants": str(query.infants),
        "mobileApp": "true",
        "intl": intl(query),
        "responseType": "jsonV3",
        "source": "DESKTOP",
        "utm_currency": CURRENCY,
        "return_date": "",
        "carrier": "",
        "cfw": "false",
        "multiFare": "true",
        "isFFSC": "true",
    }


def search_url(query: SearchQuery) -> str:
    return f"https://{API_HOST}{SEARCH_PATH}?{urlencode(search_params(query))}"  # the date URL-encoded


def search_headers(user_agent: str, referer: str) -> dict[str, str]:
    # CHOICE: both documented header forms at once, so either check the site makes is met; the
    # Referer is the results page the site's own XHR is sent from.
    return {
        "Accept": "application/json, text/plain, */*",
        "User-Agent": user_agent,
        "app-agent": APP_AGENT,
        "X-Requested-With": "XMLHttpRequest",
        "Referer": referer,
    }


def listing_url(query: SearchQuery) -> str:
    """The results page of §4.1 (its date left unencoded, as the site writes it)."""
    params = {
        "adults": query.adults,
        "childs": query.children,
        "infants": query.infants,
        "class": CABIN_CLASSES[query.cabin],
        "depart_date": depart_date(query),
        "from": query.origin,
        "to": query.destination,
        "intl": intl(query),
    }
    return f"{WEB_ORIGIN}{RESULTS_PATH}?{urlencode(params, safe='/')}"
