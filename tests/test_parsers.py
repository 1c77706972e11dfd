"""Each site's pure parser on fixture files: body in, items out (see fixture_cases.py)."""

import json

import pytest

from tests.fixture_cases import ROOT, cases, run_case


@pytest.mark.parametrize("case", cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(case):
    expected = json.loads((case / "expected.json").read_text())
    assert run_case(case) == expected


def test_every_site_has_fixtures_for_success_and_failure():
    for site in ("mmt", "ixigo", "goibibo"):
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


def test_goibibo_reads_the_mmt_format_as_its_own_site():
    result = run_case(ROOT / "goibibo" / "skeleton_del_bom")
    direct, nearby, connection = result["normalized"]
    assert {o["source"] for o in result["normalized"]} == {"goibibo"}
    assert nearby["destination"] == "NMI"
    assert connection["flight_numbers"] == ["QP1127", "QP1404"]
    assert connection["arrival"] == "2026-12-21T01:30:00+05:30"
    assert direct["deep_link"] == "https://www.goibibo.com/flights/air-DEL-BOM-20261220--1-0-0-E-D/"


def test_goibibo_cut_stream_keeps_whole_frames():
    result = run_case(ROOT / "goibibo" / "cut_mid_frame")
    assert result["complete"] is False and len(result["normalized"]) == 2
