"""`scrapy crawl <site> -a ...` for ad-hoc debugging, against a separately started sandbox."""

import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from flightcrawl.sites import SITES
from tests.conftest import REPO, command

FIXTURES = REPO / "tests" / "fixtures"


def crawl(site, host_map, *args, tmp_path):
    out = tmp_path / f"{site}.json"
    result = subprocess.run(
        [command("scrapy"), "crawl", site, "-a", "origin=DEL", "-a", "destination=BOM", *args, "-O", str(out)],
        capture_output=True, text=True, timeout=60, cwd=REPO, env={**os.environ, "FLIGHTCRAWL_HOST_MAP": host_map})
    return result, out


@pytest.mark.parametrize("site", list(SITES))
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


class FaresNeverCome:
    """A stand-in for Cleartrip that answers every call with cards and empty fares."""

    def __init__(self) -> None:
        body = (FIXTURES / "cleartrip" / "fares_pending_first_call" / "body.json").read_bytes()
        calls = self.calls = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                calls.append(time.monotonic())
                self.send_response(200)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host_map = f"www.cleartrip.com=http://127.0.0.1:{self.server.server_port}/www.cleartrip.com"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def gaps(self) -> list[float]:
        return [later - earlier for earlier, later in zip(self.calls, self.calls[1:], strict=False)]


@pytest.fixture
def fares_never_come():
    stub = FaresNeverCome()
    yield stub
    stub.server.shutdown()


def test_cleartrip_asks_again_a_few_times_then_says_fares_never_came(fares_never_come, tmp_path):
    from flightcrawl.sites.cleartrip import POLL_WAITS

    result, _ = crawl("cleartrip", fares_never_come.host_map, "-a", "date=+30", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(fares_never_come.calls) == 1 + len(POLL_WAITS)
    assert all(gap >= wait - 0.05 for gap, wait in zip(fares_never_come.gaps(), POLL_WAITS, strict=True))
    assert "flightcrawl cleartrip: bad_response (2 cards but no fares yet" in result.stderr
    assert f"still none after {1 + len(POLL_WAITS)} calls" in result.stderr
    assert "Traceback" not in result.stderr


def test_cleartrip_stops_asking_when_the_deadline_leaves_no_time(fares_never_come, tmp_path):
    started = time.monotonic()
    result, _ = crawl("cleartrip", fares_never_come.host_map, "-a", "date=+30", "-s", "FLIGHTCRAWL_DEADLINE=1.5",
                      tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    # Waits of 0.5 s then 1 s: at most the first fits in 1.5 s (how much of the deadline Scrapy's
    # start-up takes varies), and the spider says so instead of waiting past the deadline.
    assert 1 <= len(fares_never_come.calls) <= 2
    assert "flightcrawl cleartrip: timeout (" in result.stderr and "no time left in the deadline" in result.stderr
    assert time.monotonic() - started < 15
def test_scrapy_crawl_yatra_uses_one_browser_closes_its_page_and_fetches_no_images(sandbox_process, tmp_path):
    result, out = crawl("yatra", sandbox_process.host_map, "-a", "date=+30", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text())
    stats = result.stderr
    assert "'playwright/browser_count': 1," in stats
    assert "'playwright/page_count': 1," in stats and "'playwright/page_count/closed': 1," in stats
    assert "'playwright/request_count/aborted':" in stats  # the airline logos and the web font
    assert "'playwright/response_count/resource_type/image'" not in stats
