import pytest

from flightcrawl.hostmap import format_host_map, parse_host_map, rewrite_url


def test_parse_and_rewrite():
    mapping = parse_host_map("flights-cb.makemytrip.com=http://127.0.0.1:8901/flights-cb.makemytrip.com/,"
                             " www.ixigo.com=http://127.0.0.1:8901/www.ixigo.com")
    assert rewrite_url("https://flights-cb.makemytrip.com/api/search-stream-dt?it=DEL-BOM-20261220", mapping) == (
        "http://127.0.0.1:8901/flights-cb.makemytrip.com/api/search-stream-dt?it=DEL-BOM-20261220")
    assert rewrite_url("https://www.makemytrip.com/flight/search", mapping) == "https://www.makemytrip.com/flight/search"
    assert parse_host_map(format_host_map(mapping)) == mapping


@pytest.mark.parametrize("bad", ["www.ixigo.com", "www.ixigo.com=ftp://x", "=http://x"])
def test_malformed_entries_are_errors(bad):
    with pytest.raises(ValueError):
        parse_host_map(bad)
