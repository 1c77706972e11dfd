"""Clubbing: grouping by flight identity, ordering, summary."""

import dataclasses

from flightcrawl.club import club
from flightcrawl.items import FlightOption
from flightcrawl.status import SourceStatus, Status


def option(source, numbers, price, departure="2026-12-20T06:05:00+05:30", **extra) -> FlightOption:
    return FlightOption(
        source=source, flight_key="+".join(numbers) + "@" + departure[:10], flight_numbers=numbers,
        airline="IndiGo", airline_code=numbers[0][:2], origin="DEL", destination="BOM", departure=departure,
        arrival="2026-12-20T08:20:00+05:30", duration_minutes=135, stops=len(numbers) - 1, layovers=[],
        price=price, currency="INR", price_per_adult=price, price_display=f"₹ {price:,}", offers=[],
        refundable=None, deep_link="https://example.test/", fetched_at="2026-12-01T00:00:00+00:00", **extra)


def test_same_flight_from_two_sites_is_one_row_cheapest_first():
    total = club([
        option("mmt", ["6E354"], 5200),
        option("ixigo", ["6E354"], 5100),
        option("mmt", ["AI2977"], 4800),
        option("ixigo", ["6E22", "6E131"], 9000),
        option("mmt", ["6E354"], 5600),  # a dearer fare family at the same site
    ], {"mmt": SourceStatus("mmt", Status.OK, options=3), "ixigo": SourceStatus("ixigo", Status.OK, options=2)})
    assert list(total["flights"]) == ["AI2977@2026-12-20", "6E354@2026-12-20", "6E22+6E131@2026-12-20"]
    row = total["flights"]["6E354@2026-12-20"]
    assert list(row) == ["ixigo", "mmt"]
    assert [o["price"] for o in row["mmt"]] == [5200, 5600]
    summary = total["summary"]["6E354@2026-12-20"]
    assert summary["cheapest"] == {"source": "ixigo", "price": 5100, "currency": "INR"}
    assert summary["spread"] == 100
    assert summary["prices"] == {"ixigo": {"price": 5100, "currency": "INR"},
                                 "mmt": {"price": 5200, "currency": "INR"}}
    assert total["counts"] == {"flights": 3, "options": 5, "on_several_sites": 1}
    assert total["sources"]["mmt"]["status"] == "ok"


def test_same_number_on_another_day_is_another_flight():
    total = club([option("mmt", ["6E354"], 5000),
                  option("ixigo", ["6E354"], 5000, departure="2026-12-21T06:05:00+05:30")])
    assert len(total["flights"]) == 2


def test_deterministic_whatever_the_arrival_order():
    options = [option("mmt", ["6E354"], 5000), option("ixigo", ["6E354"], 5000), option("mmt", ["AI1"], 5000)]
    assert club(options) == club(list(reversed(options)))


def test_other_currency_is_not_compared_as_cheaper():
    usd = dataclasses.replace(option("gf", ["6E354"], 70), currency="USD")
    summary = club([option("mmt", ["6E354"], 5000), option("ixigo", ["6E354"], 5100), usd])["summary"]
    assert summary["6E354@2026-12-20"]["cheapest"]["source"] == "mmt"


def test_empty():
    assert club([]) == {"flights": {}, "summary": {}, "sources": {},
                        "counts": {"flights": 0, "options": 0, "on_several_sites": 0}}


def by_schedule(source, price, airline_code="6E", departure="2026-12-20T06:05:00+05:30",
                arrival="2026-12-20T08:20:00+05:30") -> FlightOption:
    """An option from a site that shows no flight number (Google Flights)."""
    key = f"{airline_code}@DEL{departure[11:13]}{departure[14:16]}-BOM{arrival[11:13]}{arrival[14:16]}@{departure[:10]}"
    return dataclasses.replace(option(source, ["6E354"], price, departure=departure), flight_numbers=[],
                               flight_key=key, airline_code=airline_code, arrival=arrival, match="schedule")


def test_option_without_flight_number_joins_the_group_with_its_schedule():
    total = club([option("mmt", ["6E354"], 5200), option("ixigo", ["6E354"], 5100), by_schedule("google", 5000),
                  option("mmt", ["6E22"], 4000, departure="2026-12-20T09:00:00+05:30")])
    assert list(total["flights"]) == ["6E22@2026-12-20", "6E354@2026-12-20"]
    row = total["flights"]["6E354@2026-12-20"]
    assert list(row) == ["google", "ixigo", "mmt"]
    assert row["google"][0]["flight_key"] == "6E@DEL0605-BOM0820@2026-12-20"  # the option keeps its own key
    summary = total["summary"]["6E354@2026-12-20"]
    assert summary["match"] == "schedule" and summary["matched_by_schedule"] == ["google"]
    assert summary["flight_numbers"] == ["6E354"]  # from the sites that gave it, though Google is cheapest
    assert summary["cheapest"] == {"source": "google", "price": 5000, "currency": "INR"}
    assert summary["spread"] == 200
    assert total["summary"]["6E22@2026-12-20"]["match"] == "flight_number"
    assert total["summary"]["6E22@2026-12-20"]["matched_by_schedule"] == []
    assert total["counts"] == {"flights": 2, "options": 4, "on_several_sites": 1}


def test_schedule_match_compares_instants_not_spellings():
    utc = by_schedule("google", 5000, departure="2026-12-20T00:35:00+00:00", arrival="2026-12-20T02:50:00+00:00")
    total = club([option("mmt", ["6E354"], 5200), utc])
    assert list(total["flights"]) == ["6E354@2026-12-20"]


def test_option_without_flight_number_and_no_matching_flight_keeps_its_own_group():
    other_airline = by_schedule("google", 5000, airline_code="AI")
    other_arrival = by_schedule("google", 5100, arrival="2026-12-20T08:25:00+05:30")
    total = club([option("mmt", ["6E354"], 5200), other_airline, other_arrival])
    assert list(total["flights"]) == ["AI@DEL0605-BOM0820@2026-12-20", "6E@DEL0605-BOM0825@2026-12-20",
                                      "6E354@2026-12-20"]
    alone = total["summary"]["AI@DEL0605-BOM0820@2026-12-20"]
    assert (alone["match"], alone["matched_by_schedule"], alone["flight_numbers"]) == ("schedule", ["google"], [])
    assert total["summary"]["6E354@2026-12-20"]["match"] == "flight_number"


def test_schedule_shared_by_two_numbered_flights_is_not_guessed():
    total = club([option("mmt", ["6E354"], 5200), option("mmt", ["6E999"], 5300), by_schedule("google", 5000)])
    assert set(total["flights"]) == {"6E354@2026-12-20", "6E999@2026-12-20", "6E@DEL0605-BOM0820@2026-12-20"}
    assert list(total["flights"]["6E354@2026-12-20"]) == list(total["flights"]["6E999@2026-12-20"]) == ["mmt"]


def test_schedule_matching_is_deterministic_whatever_the_arrival_order():
    options = [by_schedule("google", 5000), option("mmt", ["6E354"], 5200), by_schedule("google", 4000, "AI"),
               option("ixigo", ["6E354"], 5000)]
    assert club(options) == club(list(reversed(options)))
