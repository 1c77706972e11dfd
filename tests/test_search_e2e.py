"""Every spider end to end: the real CLI, the sandbox over loopback HTTP, every fault mode."""

import datetime as dt
import json

import pytest

from flightcrawl.pipelines.normalize import schedule_key
from flightcrawl.query import parse_date
from flightcrawl.sandbox import catalog
from flightcrawl.sandbox.app import REPLICAS
from flightcrawl.sandbox.faults import FAULTS
from flightcrawl.sites import SITES
from tests.conftest import run_cli, search_json

DATE = "+30"
EXPECTED_STATUS = {
    "slow": "timeout",
    "http500": "error",
    "gate403": "blocked",
    "rate429": "rate_limited",
    "challenge": "blocked",
    "malformed": "bad_response",
    "cut": "bad_response",
    "empty": "no_results",
    "reset": "error",
}


def other(site: str) -> str:
    """The site that must keep delivering while `site` misbehaves."""
    return "ixigo" if site == "mmt" else "mmt"

# Long enough for a browser-path site to start its browser on a busy 2-core machine.
DEADLINE = 5.0
# A gated site whose session the gate refuses refreshes it in the browser once before it is
# reported blocked; launching Chromium for that can take 2 s on these 2 cores.
GATED = {"mmt", "goibibo", "ixigo"}
REFRESH_DEADLINE = 8.0


def test_every_fault_has_an_expected_status():
    assert set(EXPECTED_STATUS) == set(FAULTS)


def numbered(site: str, flight: catalog.Flight) -> bool:
    """Whether `site` shows this flight's number (Google Flights leaves some out)."""
    return getattr(REPLICAS[site], "lists_flight_number", lambda f: True)(flight)


def schedule_key_of(flight: catalog.Flight) -> str:
    return schedule_key(flight.carrier, flight.origin, flight.departure, flight.destination, flight.arrival)


def truth(site: str, origin: str, destination: str, day: dt.date, adults=1, children=0, infants=0) -> dict:
    """What the sandbox's catalog says each site must show: {clubbed flight key: party price}.

    A flight a site lists without its number is clubbed by schedule into the flight's number
    group when another site lists it with its number; otherwise it keeps its schedule key.
    """
    offers = REPLICAS[site].offers_for(origin, destination, day, "economy")
    listed_with_number = {f.key for other in SITES if other != site
                          for f, _ in REPLICAS[other].offers_for(origin, destination, day, "economy")
                          if numbered(other, f)}
    return {(f.key if numbered(site, f) or f.key in listed_with_number else schedule_key_of(f)):
            catalog.party_total(fare, adults, children, infants) for f, fare in offers}


def prices_by_site(total: dict) -> dict:
    found: dict = {}
    for key, by_source in total["flights"].items():
        for source, options in by_source.items():
            found.setdefault(source, {})[key] = options[0]["price"]
    return found


def test_every_site_prices_the_same_flights_side_by_side():
    total = search_json("DEL", "BOM", DATE)
    day = parse_date(DATE)
    assert {s: v["status"] for s, v in total["sources"].items()} == {s: "ok" for s in SITES}
    found = prices_by_site(total)
    for site in SITES:
        assert found[site] == truth(site, "DEL", "BOM", day), site
    shared = [k for k, by_source in total["flights"].items() if len(by_source) >= 2]
    assert len(shared) >= 5
    for key in shared:
        summary = total["summary"][key]
        prices = [found[site][key] for site in SITES if key in found[site]]
        assert summary["cheapest"]["price"] == min(prices)
        assert summary["spread"] == max(prices) - min(prices)
    cheapest_first = [s["cheapest"]["price"] for s in total["summary"].values()]
    assert cheapest_first == sorted(cheapest_first)
    # MakeMyTrip adds nearby airports (Navi Mumbai for Mumbai), as the real site does.
    assert any(o["destination"] == "NMI" for by in total["flights"].values() for o in by.get("mmt", []))


def test_party_prices_are_for_the_whole_party():
    total = search_json("BLR", "GOI", DATE, "--adults", "2", "--children", "1", "--infants", "1")
    day = parse_date(DATE)
    found = prices_by_site(total)
    for site in SITES:
        assert found[site] == truth(site, "BLR", "GOI", day, 2, 1, 1), site


def test_times_and_next_day_arrivals_match_the_catalog():
    total = search_json("DEL", "BOM", DATE)
    day = catalog.flights("DEL", "BOM", parse_date(DATE))
    flights = {f.key: f for f in day} | {schedule_key_of(f): f for f in day}
    checked = 0
    for key, by_source in total["flights"].items():
        if key not in flights:
            continue
        for options in by_source.values():
            assert options[0]["departure"] == flights[key].departure.isoformat()
            assert options[0]["arrival"] == flights[key].arrival.isoformat()
            assert options[0]["duration_minutes"] == flights[key].minutes
            checked += 1
    assert checked >= 10


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("site", list(SITES))
def test_fault_gives_typed_status_and_other_site_still_delivers(site, fault):
    deadline = REFRESH_DEADLINE if site in GATED and fault in ("gate403", "challenge") else DEADLINE
    total = search_json("DEL", "BOM", DATE, "--sources", f"{site},{other(site)}", "--fault", f"{site}={fault}",
                        "--deadline", str(deadline))
    status = total["sources"][site]
    assert status["status"] == EXPECTED_STATUS[fault], status
    if fault != "empty":
        assert status["reason"], status
    healthy = total["sources"][other(site)]
    assert healthy["status"] == "ok" and healthy["options"] > 0
    assert any(other(site) in by_source for by_source in total["flights"].values())
    assert total["search"]["elapsed"] <= deadline + 1.0


def test_blocked_reason_names_the_gate():
    total = search_json("DEL", "BOM", DATE, "--fault", "mmt=gate403", "--sources", "mmt")
    assert "403" in total["sources"]["mmt"]["reason"] and "AkamaiGHost" in total["sources"]["mmt"]["reason"]
    total = search_json("DEL", "BOM", DATE, "--fault", "ixigo=rate429", "--sources", "ixigo")
    assert "429" in total["sources"]["ixigo"]["reason"]
    total = search_json("DEL", "BOM", DATE, "--fault", "emt=gate403", "--sources", "emt")
    assert "403" in total["sources"]["emt"]["reason"] and "awselb" in total["sources"]["emt"]["reason"]


def test_flights_without_numbers_are_clubbed_by_schedule():
    total = search_json("DEL", "BOM", DATE)
    flights = {f.key: f for f in catalog.flights("DEL", "BOM", parse_date(DATE))}
    clubbed = 0
    for key, summary in total["summary"].items():
        google = total["flights"][key].get("google", [])
        if google and not google[0]["flight_numbers"]:
            assert google[0]["match"] == "schedule" and summary["match"] == "schedule"
            assert summary["matched_by_schedule"] == ["google"]
            if key in flights:  # clubbed into the flight-number group the other sites made
                assert google[0]["flight_key"] == schedule_key_of(flights[key])
                assert summary["flight_numbers"] == flights[key].flight_numbers
                clubbed += 1
        else:
            assert summary["match"] == "flight_number" and summary["matched_by_schedule"] == []
    assert clubbed >= 1


def test_google_consent_wall_is_blocked_and_says_consent():
    total = search_json("DEL", "BOM", DATE, "--fault", "google=challenge", "--sources", "google")
    status = total["sources"]["google"]
    assert status["status"] == "blocked" and "consent" in status["reason"], status


@pytest.mark.parametrize("chromium", ["/nonexistent/chromium", "/bin/false"])
def test_yatra_without_a_browser_is_an_error_not_a_hang(chromium):
    result = run_cli("search", "DEL", "BOM", DATE, "--sources", "yatra,mmt", "--deadline", str(DEADLINE),
                     "--sandbox", "--json", env={"FLIGHTCRAWL_CHROMIUM": chromium})
    assert result.returncode == 0, result.stderr
    total = json.loads(result.stdout)
    status = total["sources"]["yatra"]
    assert status["status"] == "error" and status["reason"].startswith("browser not available: "), status
    assert total["sources"]["mmt"]["status"] == "ok"
    assert total["search"]["elapsed"] <= DEADLINE + 1.0
