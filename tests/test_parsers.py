"""Each site's pure parser on fixture files: body in, items out (see fixture_cases.py)."""

import json

import pytest

from tests.fixture_cases import ROOT, cases, run_case


@pytest.mark.parametrize("case", cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(case):
    expected = json.loads((case / "expected.json").read_text())
    assert run_case(case) == expected


def test_every_site_has_fixtures_for_success_and_failure():
    for site in ("mmt", "ixigo", "yatra"):
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


def test_yatra_reads_rendered_connections_and_next_day_arrivals():
    result = run_case(ROOT / "yatra" / "rendered_del_bom")
    by_key = {o["flight_key"]: o for o in result["normalized"]}
    connection = by_key["6E1340+6E725@2026-12-20"]
    assert connection["layovers"] == ["HYD"] and connection["stops"] == 1
    assert connection["arrival"] == "2026-12-21T04:15:00+05:30"  # from the "+1 day" mark
    assert by_key["AI696@2026-12-20"]["arrival"] == "2026-12-21T01:00:00+05:30"
    assert by_key["AI2313+AI523@2026-12-20"]["layovers"] == ["MAA"]


def test_yatra_cut_page_keeps_whole_cards_and_distrusts_the_last():
    result = run_case(ROOT / "yatra" / "cut_mid_card")
    assert result["complete"] is False
    # The cut fell in the third card's price ("₹ 14,1"): read, it would be ₹141.
    assert [o["price"] for o in result["normalized"]] == [6389, 12978]
    assert result["rejected"] == ["card 3: the last card before the cut may be incomplete"]
