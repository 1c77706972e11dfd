"""The airport search behind the form's From and To fields (pure, on the airportsdata database)."""

import pytest

from flightcrawl import airports
from flightcrawl.api.validation import InvalidInput, parse_airport_query


def codes(text: str, limit: int = 8) -> list[str]:
    return [a["iata"] for a in airports.search(text, limit)]


@pytest.mark.parametrize("text, first", [
    ("BOM", "BOM"), ("bom", "BOM"), ("Mumbai", "BOM"), ("bengaluru", "BLR"), ("Bangalore", "BLR"),
    ("kochi", "COK"), ("Indira Gandhi", "DEL"), ("new delhi", "DEL"), ("LHR", "LHR"), ("  hyderabad ", "HYD"),
])
def test_code_city_or_name_finds_the_airport_first(text, first):
    assert codes(text)[0] == first


def test_an_exact_code_leads_then_home_country_airports():
    found = codes("goa")
    assert found[0] == "GOA" and set(found[1:3]) == {"GOI", "GOX"}  # Genoa's code, then Goa's two airports
    assert codes("london")[0] in {"LCY", "LGW", "LHR", "LTN", "STN", "BQH"}  # the city itself before East London
    assert codes("Mumbai") == ["BOM", "NMI"]
    found = airports.search("hyderabad")
    assert [a["country"] for a in found][:1] == ["IN"] and {"HYD", "BPM"} <= {a["iata"] for a in found}


def test_results_are_bounded_and_spelt_as_sites_print_them():
    assert len(codes("a", 20)) == 20 and len(codes("a", 3)) == 3
    assert airports.search("DEL", 1) == [{"iata": "DEL", "name": "Indira Gandhi International Airport",
                                          "city": "Delhi", "country": "IN"}]
    assert codes("zzzzqqq") == [] and codes("   ") == []


@pytest.mark.parametrize("params, field", [
    ({}, "q"), ({"q": "  "}, "q"), ({"q": "a" * 61}, "q"), ({"q": "<script>"}, "q"),
    ({"q": "del", "limit": "0"}, "limit"), ({"q": "del", "limit": "21"}, "limit"),
    ({"q": "del", "limit": "ten"}, "limit"),
])
def test_bad_airport_queries_name_their_field(params, field):
    with pytest.raises(InvalidInput) as error:
        parse_airport_query(params)
    assert error.value.field == field


def test_airport_query_defaults():
    assert parse_airport_query({"q": " navi   mumbai "}) == ("navi mumbai", 8)
    assert parse_airport_query({"q": "St. John's (Airport)", "limit": "20"}) == ("St. John's (Airport)", 20)
