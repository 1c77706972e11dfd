"""Normalization of RawOptions, and validation, beyond what the fixtures show."""

import dataclasses
import datetime as dt

import pytest

from flightcrawl.items import RawOption
from flightcrawl.pipelines.normalize import normalize_option
from flightcrawl.pipelines.validate import problems
from flightcrawl.query import SearchQuery

TODAY = dt.date(2026, 1, 1)


def raw(**changes) -> RawOption:
    base = RawOption(
        source="test", flight_numbers=["6E 0354"], airline="IndiGo", airline_code="6E", origin="DEL",
        destination="BOM", departure_date="2026-12-20", departure_time="06:05", arrival_time="08:20",
        duration="2h 15m", stops="Non stop", price="₹ 7,214", deep_link="https://example.test/")
    return dataclasses.replace(base, **changes)


def query(**changes) -> SearchQuery:
    return SearchQuery.parse(**({"origin": "DEL", "destination": "BOM", "date": "2026-12-20"} | changes), now=TODAY)


def test_canonical_fields():
    option = normalize_option(raw(), query())
    assert option.flight_key == "6E354@2026-12-20"
    assert option.departure == "2026-12-20T06:05:00+05:30"
    assert option.arrival == "2026-12-20T08:20:00+05:30"
    assert (option.duration_minutes, option.stops, option.price, option.currency) == (135, 0, 7214, "INR")
    assert option.price_per_adult == 7214
    assert problems(option) == []


def test_arrival_in_another_time_zone_uses_that_airports_offset():
    option = normalize_option(raw(destination="DXB", departure_time="21:30", arrival_time="23:25",
                                  duration="3h 25m"), query(destination="DXB"))
    assert option.arrival == "2026-12-20T23:25:00+04:00"
    assert option.duration_minutes == 205


def test_next_day_arrival_from_duration():
    option = normalize_option(raw(departure_time="23:25", arrival_time="01:30", duration=125), query())
    assert option.arrival == "2026-12-21T01:30:00+05:30"


def test_arrival_that_disagrees_with_duration_is_rejected():
    with pytest.raises(ValueError, match="arrival"):
        normalize_option(raw(arrival_time="09:20"), query())


def test_per_adult_fare_multiplies_for_adults_only():
    option = normalize_option(raw(price=5000, price_basis="adult"), query(adults=3))
    assert (option.price, option.price_per_adult) == (15000, 5000)
    with pytest.raises(ValueError, match="price"):
        normalize_option(raw(price=5000, price_basis="adult"), query(adults=1, children=1))


def test_layovers_from_stop_text():
    option = normalize_option(raw(flight_numbers=["6E 22, 6E 131"], stops="1 stop via Bhopal"), query())
    assert option.flight_numbers == ["6E22", "6E131"]
    assert option.flight_key == "6E22+6E131@2026-12-20"
    assert option.layovers == ["BHO"]


def test_unknown_airport_and_bad_price_are_rejected():
    with pytest.raises(ValueError, match="origin"):
        normalize_option(raw(origin="ZZZ"), query())
    with pytest.raises(ValueError, match="price"):
        normalize_option(raw(price="call us"), query())


def test_validation_finds_implausible_options():
    option = normalize_option(raw(), query())
    assert problems(dataclasses.replace(option, price=0))
    assert problems(dataclasses.replace(option, flight_numbers=["6E0354"]))
    assert problems(dataclasses.replace(option, stops=0, flight_numbers=["6E1", "6E2"]))
    assert problems(dataclasses.replace(option, deep_link=""))


def test_option_without_flight_number_is_identified_by_its_schedule():
    option = normalize_option(raw(flight_numbers=[], airline_code="AI", departure_time="06:00",
                                  arrival_time="08:15", duration=135), query())
    assert option.flight_key == "AI@DEL0600-BOM0815@2026-12-20"
    assert (option.flight_numbers, option.airline_code, option.match) == ([], "AI", "schedule")
    assert problems(option) == []
    next_day = normalize_option(raw(flight_numbers=[""], airline_code="6E", departure_time="23:25",
                                    arrival_time="01:30", duration=125), query())
    assert next_day.flight_key == "6E@DEL2325-BOM0130+1@2026-12-20"
    assert next_day.match == "schedule"
    assert normalize_option(raw(), query()).match == "flight_number"


def test_option_without_flight_number_needs_an_airline_code():
    with pytest.raises(ValueError, match="airline code"):
        normalize_option(raw(flight_numbers=[], airline_code=None), query())
    option = normalize_option(raw(flight_numbers=[], airline_code="AI"), query())
    assert problems(dataclasses.replace(option, airline_code="Air India"))
    assert problems(dataclasses.replace(option, flight_numbers=["AI2993"]))


def test_a_response_batch_keeps_its_good_options_and_counts_each_drop_by_reason():
    """Options travel the pipelines as one batch per response; each is kept or dropped alone,
    and the site's status counts what was shown and what was dropped."""
    from types import SimpleNamespace

    from scrapy.utils.test import get_crawler

    from flightcrawl.extensions.source_status import SourceStatusExtension
    from flightcrawl.items import OptionBatch
    from flightcrawl.jobs import SearchJob
    from flightcrawl.pipelines.normalize import NormalizePipeline
    from flightcrawl.pipelines.validate import ValidatePipeline
    from flightcrawl.status import Status

    crawler = get_crawler()
    job = SearchJob("task-1", "test", query(), deadline_at=1e12)
    crawler.spider = SimpleNamespace(jobs={"task-1": job})
    batch = OptionBatch("test", [raw(), raw(origin="XXX"), raw(flight_numbers=["6E 0355"], deep_link=None),
                                 raw(flight_numbers=["AI 2977"], airline_code="AI")], task_id="task-1")
    for pipeline in (NormalizePipeline(crawler), ValidatePipeline(crawler)):
        batch = pipeline.process_item(batch)
    assert [o.flight_key for o in batch.options] == ["6E354@2026-12-20", "AI2977@2026-12-20"]
    assert batch.dropped == 2
    stats = crawler.stats.get_stats()
    assert stats["flightcrawl/dropped/normalize/origin"] == 1 and stats["flightcrawl/dropped/validate/deep_link"] == 1

    job.items_expected = 1
    SourceStatusExtension(crawler).item_scraped(batch)
    assert job.final is not None
    assert (job.final.status, job.final.options, job.final.dropped) == (Status.OK, 2, 2)
    assert job.final.reason == "2 unreadable options dropped"
