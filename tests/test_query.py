import datetime as dt

import pytest

from flightcrawl.query import QueryError, SearchQuery, parse_date

TODAY = dt.date(2026, 12, 3)


def test_valid_query_normalizes_case_and_cabin():
    q = SearchQuery.parse("del", " bom ", "2026-12-20", adults="2", cabin="Premium Economy", now=TODAY)
    assert (q.origin, q.destination, q.date, q.adults, q.cabin) == ("DEL", "BOM", dt.date(2026, 12, 20), 2,
                                                                     "premium_economy")


def test_relative_date():
    assert parse_date("+7", now=TODAY) == dt.date(2026, 12, 10)


@pytest.mark.parametrize("kwargs, field", [
    (dict(origin="XXX"), "origin"),
    (dict(origin="DELHI"), "origin"),
    (dict(destination="DEL"), "destination"),
    (dict(date="2026-12-02"), "date"),
    (dict(date="2026-13-01"), "date"),
    (dict(date="20/12/2026"), "date"),
    (dict(date="2028-01-01"), "date"),
    (dict(adults=0), "adults"),
    (dict(adults="two"), "adults"),
    (dict(adults=5, children=5), "children"),
    (dict(adults=1, infants=2), "infants"),
    (dict(cabin="cargo"), "cabin"),
])
def test_bad_input_names_the_field(kwargs, field):
    args = dict(origin="DEL", destination="BOM", date="2026-12-20") | kwargs
    with pytest.raises(QueryError) as info:
        SearchQuery.parse(**args, now=TODAY)
    assert info.value.field == field
