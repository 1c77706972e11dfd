"""The `flightcrawl` command as a person uses it."""

import pytest

from tests.conftest import run_cli


def test_table_shows_both_sites_and_marks_the_cheapest():
    result = run_cli("search", "DEL", "BOM", "+30", "--sandbox")
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0]
    assert "MakeMyTrip" in header and "ixigo" in header
    assert " *" in result.stdout
    assert "Sources:" in result.stdout and "ok" in result.stdout
    # live progress per site on stderr
    assert "Searching MakeMyTrip..." in result.stderr and "ixigo: ok" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["XXX", "BOM", "+3"], "origin"),
    (["DEL", "DEL", "+3"], "destination"),
    (["DEL", "BOM", "2020-01-01"], "past"),
    (["DEL", "BOM", "2026-02-30"], "not a date"),
    (["DEL", "BOM", "+3", "--adults", "0"], "adults"),
    (["DEL", "BOM", "+3", "--sources", "kayak"], "sources"),
    (["DEL", "BOM", "+3", "--fault", "mmt=http500"], "--sandbox"),
    (["DEL", "BOM", "+3", "--sandbox", "--fault", "mmt=explode"], "--fault"),
])
def test_bad_arguments_print_one_line_and_exit_2(args, message):
    result = run_cli("search", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flightcrawl: error:") and message in lines[0]
    assert "Traceback" not in result.stderr


def test_a_failing_site_is_a_status_line_not_a_traceback():
    result = run_cli("search", "DEL", "BOM", "+30", "--sandbox", "--fault", "ixigo=challenge")
    assert result.returncode == 0
    assert "blocked" in result.stdout and "challenge page" in result.stdout
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("args, message", [
    (["--redis-url", "redis://127.0.0.1:6379/0", "-s", "DOWNLOAD_DELAY=0"], "embedded mode"),
    (["-s", "DOWNLOAD_DELAY"], "NAME=VALUE"),
])
def test_serve_takes_scrapy_settings_only_in_embedded_mode(args, message):
    result = run_cli("serve", "--port", "0", *args)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("flightcrawl: error:") and message in result.stderr
