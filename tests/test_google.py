"""Google Flights pieces the fixtures do not show: the `tfs` protobuf and the positional times."""

import base64
import datetime as dt
import time

import pytest

from flightcrawl import protowire
from flightcrawl.jobs import SearchJob
from flightcrawl.parsers import google as parser
from flightcrawl.query import SearchQuery
from flightcrawl.sites import google as site
from flightcrawl.spiders.google import GoogleSpider
from flightcrawl.status import BadResponse, Blocked, Status


def query(origin="DEL", destination="BOM", date="2026-12-20", **party) -> SearchQuery:
    return SearchQuery.parse(origin, destination, date, **party, now=dt.date(2026, 1, 1))


def test_tfs_bytes_of_a_known_message():
    # Info{data: [FlightData{date: "2026-12-20", from_airport: {airport: "DEL"}, to_airport: {airport: "BOM"}}],
    #      passengers: [ADULT], seat: ECONOMY, trip: ONE_WAY}, fields in number order.
    expected = bytes.fromhex(
        "1a1a"                      # field 3 (data), 26 bytes:
        "120a" + b"2026-12-20".hex()  # field 2 (date)
        + "6a05" "1203" + b"DEL".hex()  # field 13 (from_airport) {field 2 (airport)}
        + "7205" "1203" + b"BOM".hex()  # field 14 (to_airport)
        + "420101"                  # field 8 (passengers), packed: [1]
        "4801"                      # field 9 (seat): 1
        "980102"                    # field 19 (trip), a two-byte tag: 2
    )
    assert site.info_message(query()) == expected
    assert site.tfs(query()) == base64.b64encode(expected).decode()


def test_tfs_matches_a_published_fast_flights_url():
    # fast-flights v3's URL for VIE -> NRT on 2027-03-10, one adult, economy, one way.
    q = SearchQuery.parse("VIE", "NRT", "2027-03-10", now=dt.date(2027, 1, 1))
    assert site.tfs(q) == "GhoSCjIwMjctMDMtMTBqBRIDVklFcgUSA05SVEIBAUgBmAEC"


def test_party_and_cabin_round_trip_through_the_decoder():
    q = query(adults=2, children=1, infants=2, cabin="business")
    info = site.read_tfs(site.tfs(q))
    assert info.passengers == (1, 1, 2, 4, 4)  # one entry per person
    assert (info.seat, info.trip) == (3, 2)
    assert info.legs == (site.Leg("2026-12-20", "DEL", "BOM"),)
    assert site.search_url(q).startswith("https://www.google.com/travel/flights/search?tfs=")
    assert site.search_url(q).endswith("&hl=en&curr=INR")
    assert site.listing_url(q) == site.search_url(q)


def test_more_than_nine_people_is_refused():
    with pytest.raises(ValueError, match="at most 9"):
        site.tfs(query(adults=5, children=4, infants=1))


def test_decoder_reads_unpacked_passengers_and_url_safe_base64():
    data = bytes.fromhex("1a1a120a") + b"2026-12-20" + bytes.fromhex("6a051203") + b"DEL" \
        + bytes.fromhex("72051203") + b"BOM" + bytes.fromhex("40014001400248019801029801")
    with pytest.raises(ValueError):  # the last varint is cut short
        site.read_info(data)
    info = site.read_info(data[:-2])
    assert info.passengers == (1, 1, 2)
    assert site.read_tfs(base64.urlsafe_b64encode(data[:-2]).decode().rstrip("=")) == info


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"\x1a\x30\x12").decode(),
                                   base64.b64encode(b"\x07").decode()])
def test_decoder_rejects_what_is_not_a_tfs(value):
    with pytest.raises(ValueError):
        site.read_tfs(value)


@pytest.mark.parametrize("number", [0, 1, 127, 128, 300, 2**32])
def test_varints(number):
    encoded = protowire.varint(number)
    assert protowire.read_varint(encoded, 0) == (number, len(encoded))


@pytest.mark.parametrize("value, text", [
    ([8], "08:00"),
    ([None, 31], "00:31"),
    ([13, 5], "13:05"),
    ([23, 59], "23:59"),
    ([], "00:00"),
    (None, "00:00"),
])
def test_times_omit_zero_parts(value, text):
    assert parser.clock(value) == text


@pytest.mark.parametrize("value", [[24], [8, 60], ["8"], [True], [8, 0, 0], "08:00", [8.5]])
def test_times_that_are_not_times(value):
    with pytest.raises(ValueError):
        parser.clock(value)


def test_dates():
    assert parser.day([2026, 12, 21]) == "2026-12-21"
    for bad in ([2026, 2, 30], [2026, 12], ["2026", 12, 21], None):
        with pytest.raises(ValueError):
            parser.day(bad)


def test_redirects_say_what_they_are():
    consent = parser.redirect_error(302, "https://consent.google.com/m?continue=https://www.google.com/travel/")
    assert isinstance(consent, Blocked) and "consent" in consent.reason
    assert parser.redirect_error(302, "https://www.google.com/sorry/index?continue=x").status is Status.BLOCKED
    assert parser.redirect_error(301, "https://www.google.com/travel/flights").status is Status.ERROR


def test_spider_ends_with_an_error_status_for_a_party_google_does_not_take():
    spider = GoogleSpider()
    party = SearchQuery.parse("DEL", "BOM", "+30", adults=5, children=4, infants=2)
    job = SearchJob(task_id="t", site="google", query=party, deadline_at=time.monotonic() + 30)
    spider._current = job  # as start_job() does while building a job's requests
    assert list(spider.search_requests(party)) == []
    assert job.status is Status.ERROR and "at most 9" in job.reason


@pytest.mark.parametrize("tag", ['<script class="ds:1" nonce="n">', "<script nonce=n class='ds:1'>",
                                 "<SCRIPT class=ds:1>", '<script class="js ds:1">'])
def test_ds1_script_found_however_its_tag_is_spelt(tag):
    body = f"<html><body>{tag}AF_initDataCallback({{key: 'ds:1', data:[null,null,null,[null]], sideChannel: {{}}}});" \
           "</script></body></html>"
    page = parser.parse(body.encode(), query())
    assert (page.options, page.complete) == ([], True)


@pytest.mark.parametrize("tag", ['<script class="ds:10">', '<script class="ds:0">', "<script>"])
def test_other_scripts_are_not_ds1(tag):
    body = f"<html><body>{tag}AF_initDataCallback({{data:[]}});</script></body></html>"
    with pytest.raises(BadResponse, match="no ds:1 script"):
        parser.parse(body.encode(), query())
