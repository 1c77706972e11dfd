"""`scrapy crawl <site> -a ...` for ad-hoc debugging, against a separately started sandbox."""

import json
import os
import subprocess

import pytest

from tests.conftest import REPO, command


def crawl(site, host_map, *args, tmp_path):
    out = tmp_path / f"{site}.json"
    result = subprocess.run(
        [command("scrapy"), "crawl", site, "-a", "origin=DEL", "-a", "destination=BOM", *args, "-O", str(out)],
        capture_output=True, text=True, timeout=60, cwd=REPO, env={**os.environ, "FLIGHTCRAWL_HOST_MAP": host_map})
    return result, out


@pytest.mark.parametrize("site", ["mmt", "ixigo", "yatra"])
def test_scrapy_crawl_exports_normalized_options(site, sandbox_process, tmp_path):
    result, out = crawl(site, sandbox_process.host_map, "-a", "date=+30", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    items = json.loads(out.read_text())
    assert items and all(item["source"] == site for item in items)
    assert all(item["flight_key"].endswith("@" + items[0]["departure"][:10]) for item in items)
    assert f"flightcrawl {site}: ok" in result.stderr
    # Scrapy 2.19 enables a code-execution remote-control server by default; ours is off.
    assert "Enabled extensions" in result.stderr and "RemoteControl" not in result.stderr


def test_scrapy_crawl_with_bad_arguments_ends_with_a_status_line(sandbox_process, tmp_path):
    result, out = crawl("mmt", sandbox_process.host_map, "-a", "date=yesterday", tmp_path=tmp_path)
    assert result.returncode == 0
    assert "flightcrawl mmt: error (bad search arguments: date:" in result.stderr
    assert "Traceback" not in result.stderr


def test_scrapy_crawl_yatra_uses_one_browser_closes_its_page_and_fetches_no_images(sandbox_process, tmp_path):
    result, out = crawl("yatra", sandbox_process.host_map, "-a", "date=+30", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text())
    stats = result.stderr
    assert "'playwright/browser_count': 1," in stats
    assert "'playwright/page_count': 1," in stats and "'playwright/page_count/closed': 1," in stats
    assert "'playwright/request_count/aborted':" in stats  # the airline logos and the web font
    assert "'playwright/response_count/resource_type/image'" not in stats
