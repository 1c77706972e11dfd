"""Normalization tables: every spelling the sites use."""

import pytest

from flightcrawl.fields import (
    canonical_flight_number,
    layover_codes,
    parse_duration,
    parse_price,
    parse_refundable,
    parse_stops,
    split_flight_numbers,
    strip_html,
)


@pytest.mark.parametrize("text, expected", [
    ("₹ 7,214", (7214, "INR")),
    ("₹7,214", (7214, "INR")),
    ("Rs. 1,23,456", (123456, "INR")),
    ("Rs 999", (999, "INR")),
    ("INR 7,214.00", (7214, "INR")),
    ("7,214.50 INR", (7215, "INR")),
    ("<font color='#000000'>₹ 5,193</font>", (5193, "INR")),
    ("₹ 12,689/adult", (12689, "INR")),
    ("₹\u00a03,799", (3799, "INR")),
    (7000, (7000, "INR")),
    (7000.4, (7000, "INR")),
])
def test_price(text, expected):
    assert parse_price(text) == expected


@pytest.mark.parametrize("text", ["", "free", "₹ 0", "-5", None, True, "₹ 1,2,3x"])
def test_price_rejects(text):
    with pytest.raises(ValueError):
        parse_price(text)


@pytest.mark.parametrize("text, minutes", [
    ("02 h 25 m ", 145),
    ("2h 25m", 145),
    ("1 hr 20 mins ", 80),
    ("5 hrs", 300),
    ("01h 55m", 115),
    ("145", 145),
    (145, 145),
    ("02h", 120),
    ("45m", 45),
    ("45 mins", 45),
    ("<font color='#757575'>01h 20m</font>", 80),
    ("1 hour 5 minutes", 65),
])
def test_duration(text, minutes):
    assert parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["", "soon", "0", "h m", None])
def test_duration_rejects(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize("text, expected", [
    ("Non stop", (0, [])),
    ("Nonstop", (0, [])),
    ("non-stop", (0, [])),
    ("1 stop via Bhopal", (1, ["Bhopal"])),
    ("1 stop", (1, [])),
    ("2 stops", (2, [])),
    ("2 stops via Hyderabad, Nagpur", (2, ["Hyderabad", "Nagpur"])),
    ("<font color='#757575'>Non stop</font>", (0, [])),
    (0, (0, [])),
    ("1", (1, [])),
])
def test_stops(text, expected):
    assert parse_stops(text) == expected


def test_layover_places_resolve_to_airports_from_the_database():
    assert layover_codes(["Bhopal", "HYD", "Bengaluru", "Kolkata", "Nagpur"]) == ["BHO", "HYD", "BLR", "CCU", "NAG"]
    with pytest.raises(ValueError):
        layover_codes(["Atlantis"])


@pytest.mark.parametrize("text, expected", [
    ("6E 0354", "6E354"),
    ("6E-309", "6E309"),
    ("6E309", "6E309"),
    ("QP-1382", "QP1382"),
    ("AI2977", "AI2977"),
    ("ai 809", "AI809"),
    ("9I 501", "9I501"),
    ("I5 791", "I5791"),
    ("SG 8169", "SG8169"),
])
def test_flight_number(text, expected):
    assert canonical_flight_number(text) == expected


@pytest.mark.parametrize("text", ["", "6E", "12 345", "6E 0", "INDIGO 22", "6E 12345"])
def test_flight_number_rejects(text):
    with pytest.raises(ValueError):
        canonical_flight_number(text)


@pytest.mark.parametrize("text, expected", [
    ("IX 1548, IX 1051", ["IX1548", "IX1051"]),
    ("IX-1548 | IX-1051", ["IX1548", "IX1051"]),
    ("AI809, AI2494", ["AI809", "AI2494"]),
    ("I5791*I5972", ["I5791", "I5972"]),
    (["6E 22", "6E-0131"], ["6E22", "6E131"]),
])
def test_split_flight_numbers(text, expected):
    assert split_flight_numbers(text) == expected


@pytest.mark.parametrize("value, expected", [
    ("PARTIALLY_REFUNDABLE", "partially_refundable"),
    ("NON_REFUNDABLE", "non_refundable"),
    ("Refundable", "refundable"),
    (True, "refundable"),
    (None, None),
])
def test_refundable(value, expected):
    assert parse_refundable(value) == expected


def test_strip_html():
    assert strip_html("<b><font color='#4a4a4a'><b>Goa (North)</b></font></b>") == "Goa (North)"
    assert strip_html("FLAT &#8377; 184 OFF") == "FLAT ₹ 184 OFF"
