"""Each site's pure parser on fixture files: body in, items out (see fixture_cases.py)."""

import json

import pytest

from flightcrawl.sites import SITES
from tests.fixture_cases import ROOT, cases, run_case


@pytest.mark.parametrize("case", cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(case):
    expected = json.loads((case / "expected.json").read_text())
    assert run_case(case) == expected


def test_every_site_has_fixtures_for_success_and_failure():
    for site in SITES:
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


def test_emt_skeleton_price_is_tf_not_the_coupon_price():
    result = run_case(ROOT / "emt" / "skeleton_del_bom")
    first = result["normalized"][0]
    assert first["flight_numbers"] == ["6E2054"]  # AC "6E" + FN "2054"
    assert first["price"] == 6218  # TF, not TTDIS 6000
    assert first["offers"] == ["Use code EMTFLY and get ₹ 218 instant discount"]
    assert first["deep_link"] == ("https://flight.easemytrip.com/FlightList/Index?srch=DEL-Delhi-India|"
                                  "BOM-Mumbai-India|04/10/2026&px=1-0-0&cbn=0&ar=undefined&isow=true&isdm=true")


def test_emt_connection_and_next_day_arrival_from_segment_dates():
    result = run_case(ROOT / "emt" / "connection_next_day")
    direct, connection = result["normalized"]
    assert direct["arrival"] == "2026-12-21T01:05:00+05:30"
    assert connection["flight_numbers"] == ["AI2417", "AI2893"]
    assert connection["layovers"] == ["BLR"] and connection["stops"] == 1
    assert connection["duration_minutes"] == 335
    assert result["rejected"] == ["option 2: FL names segment 7, absent from dctFltDtl"]


def test_emt_party_total_and_cheapest_fare_in_the_list():
    result = run_case(ROOT / "emt" / "party_with_infant")
    assert [o["price"] for o in result["normalized"]] == [16779, 15399]


def test_emt_cut_and_malformed_bodies_are_told_apart():
    assert "cut off mid-document" in run_case(ROOT / "emt" / "cut_mid_document")["reason"]
    assert "malformed JSON" in run_case(ROOT / "emt" / "malformed_json")["reason"]


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
def test_cleartrip_reads_leg_ids_and_next_day_connection():
    direct, connection = run_case(ROOT / "cleartrip" / "skeleton_del_bom")["normalized"]
    assert direct["flight_numbers"] == ["6E303"]
    assert direct["departure"] == "2026-09-10T20:00:00+05:30"  # epoch 1789050600 at Delhi
    assert direct["price"] == 4899  # totalPrice = totalBaseFare 4100 + totalTax 799
    assert connection["flight_numbers"] == ["AI809", "AI2494"]  # "__"-joined leg ids
    assert connection["layovers"] == ["HYD"]
    assert connection["arrival"] == "2026-09-11T03:40:00+05:30"


def test_cleartrip_first_answer_without_fares_says_so():
    result = run_case(ROOT / "cleartrip" / "fares_pending_first_call")
    assert result["error"] == "bad_response" and "later call" in result["reason"]


def test_cleartrip_cut_body_is_told_from_malformed_json():
    assert "cut off" in run_case(ROOT / "cleartrip" / "cut_mid_document")["reason"]
    assert "malformed JSON" in run_case(ROOT / "cleartrip" / "malformed_json")["reason"]


def test_cleartrip_keeps_readable_cards_beside_unreadable_ones():
    result = run_case(ROOT / "cleartrip" / "unreadable_cards_rejected")
    assert len(result["normalized"]) == 2 and len(result["rejected"]) == 3
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
