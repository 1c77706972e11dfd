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
