"""Each site's pure parser on fixture files: body in, items out (see fixture_cases.py)."""

import json

import pytest

from tests.fixture_cases import ROOT, cases, run_case


@pytest.mark.parametrize("case", cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(case):
    expected = json.loads((case / "expected.json").read_text())
    assert run_case(case) == expected


def test_every_site_has_fixtures_for_success_and_failure():
    for site in ("mmt", "ixigo", "google"):
        results = [json.loads((c / "expected.json").read_text()) for c in (ROOT / site).iterdir()]
        assert any(r.get("normalized") for r in results), site
        errors = {r["error"] for r in results if "error" in r}
        assert {"blocked", "bad_response"} <= errors, site


def test_mmt_capture_reads_nearby_airport_and_next_day_connection():
    result = run_case(ROOT / "mmt" / "capture_shape_blr_goi")
    direct, connection = result["normalized"]
    assert direct["destination"] == "GOX"  # the nearby airport actually flown, not the one searched
    assert connection["flight_numbers"] == ["IX1548", "IX1051"]
    assert connection["arrival"] == "2026-12-16T01:35:00+05:30"
    assert connection["layovers"] == ["HYD"]
    assert connection["offers"] == ["FLAT ₹ 184 OFF using MMTSUPER"]


def test_mmt_cut_stream_keeps_whole_frames_and_says_so():
    result = run_case(ROOT / "mmt" / "cut_mid_frame")
    assert result["complete"] is False
    assert "END" in result["note"]
    assert len(result["normalized"]) == 2


def test_mmt_party_price_is_total_and_per_adult_kept():
    result = run_case(ROOT / "mmt" / "party_of_three")
    for option in result["normalized"]:
        assert option["price"] == 3 * option["price_per_adult"]


def test_ixigo_takes_cheapest_fare_family():
    result = run_case(ROOT / "ixigo" / "skeleton_del_bom")
    connection = next(o for o in result["normalized"] if o["stops"] == 1)
    assert connection["price"] == 8640


def test_google_reads_positions_connection_next_day_and_no_flight_number():
    result = run_case(ROOT / "google" / "documented_shape_del_bom")
    direct, connection, unnumbered = result["normalized"]
    assert direct["flight_numbers"] == ["AI805"] and direct["departure"] == "2026-12-20T06:00:00+05:30"
    assert connection["flight_numbers"] == ["6E6012", "6E5397"] and connection["layovers"] == ["HYD"]
    assert connection["arrival"] == "2026-12-21T00:31:00+05:30"  # [None, 31] on the next day
    assert unnumbered["flight_numbers"] == [] and unnumbered["airline_code"] == "AI"
    assert unnumbered["flight_key"] == "AI@DEL0800-BOM1010@2026-12-20" and unnumbered["match"] == "schedule"
    assert unnumbered["departure"] == "2026-12-20T08:00:00+05:30"  # [8]


def test_google_consent_wall_is_blocked_and_says_consent():
    result = run_case(ROOT / "google" / "consent_wall")
    assert result["error"] == "blocked" and "consent" in result["reason"]


def test_google_no_flights_in_both_documented_spellings():
    for case in ("no_flights_error_status", "no_flights_null_list"):
        result = run_case(ROOT / "google" / case)
        assert (result["complete"], result["options"], result["rejected"]) == (True, [], []), case
