"""The comparison page, end to end in a real browser (Debian's Chromium driven by Playwright) against
`flightcrawl serve --sandbox` (and once against the distributed stack): what a traveller sees is checked
against the API's own TOTAL for the same search."""

from __future__ import annotations

import functools
import http.server
import itertools
import json
import pathlib
import re
import shutil
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import REPO
from tests.services import api

CHROMIUM = "/usr/lib/chromium/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
ARTIFACTS = REPO / "test-artifacts"
STATIC = REPO / "flightcrawl" / "api" / "static"
DEADLINE = 20.0  # Yatra renders in a browser of its own: give the full search room on a busy machine
SITES = ["mmt", "ixigo", "emt", "goibibo", "cleartrip", "yatra", "google"]
TITLES = {"mmt": "MakeMyTrip", "ixigo": "ixigo", "emt": "EaseMyTrip", "goibibo": "Goibibo", "cleartrip": "Cleartrip",
          "yatra": "Yatra", "google": "Google Flights"}
_days = itertools.count(40)


def fresh_date() -> str:
    """A date no earlier test searched: identical searches would share a task (by design)."""
    return f"+{next(_days)}"


def http_json(url: str, method: str = "GET", body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


class Server:
    """`flightcrawl serve --sandbox` (embedded mode) on free ports."""

    def __init__(self) -> None:
        self.proc, self.api = api({}, "--sandbox", "--deadline", str(DEADLINE))
        deadline = time.monotonic() + 10
        while "sandbox at" not in self.proc.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.sandbox = re.search(r"sandbox at (http://\S+)", self.proc.output()).group(1)

    def sandbox_config(self, **config: object) -> None:
        # ixigo's own rate limit (about 1 request/s) would throttle back-to-back searches
        http_json(f"{self.sandbox}/__sandbox__/config", "PUT",
                  {"faults": {}, "delays": {}, "rate_limit": False, **config})


@pytest.fixture(scope="module")
def server():
    server = Server()
    yield server
    server.proc.stop()


@pytest.fixture(autouse=True)
def clean_sandbox(server):
    server.sandbox_config()
    yield
    server.sandbox_config()


@pytest.fixture(scope="module")
def browser():
    if not pathlib.Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


class Console:
    """Every console error and uncaught exception of a page."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"{m.text} @ {m.location.get('url')}"))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.console = Console(page)
    yield page
    context.close()


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def search_url(base: str, sources: str = "mmt,ixigo", **params: str) -> str:
    query = {"from": "DEL", "to": "BOM", "date": fresh_date(), "sources": sources, **params}
    return f"{base}/?{urllib.parse.urlencode(query)}"


def wait_for_total(page: Page) -> None:
    expect(page.locator("#progress-line")).to_contain_text(" sites in ", timeout=(DEADLINE + 15) * 1000)


def run_search(page: Page, url: str, base: str) -> dict:
    """Open a search's URL; wait for TOTAL; return the API's TOTAL for the page's task."""
    with page.expect_response(re.compile(r"/api/flight/start\?")) as started:
        open_page(page, url)
    task_id = started.value.json()["task_id"]
    wait_for_total(page)
    return http_json(f"{base}/api/flight/result/{task_id}")["total"]


def money(amount: int) -> str:
    """₹ in Indian digit grouping, as the page prints it (en-IN)."""
    text = str(amount)
    if len(text) > 3:
        head, tail = text[:-3], text[-3:]
        groups = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        text = ",".join([head, *groups, tail] if head else [*groups, tail])
    return f"₹{text}"


def table(page: Page) -> list[dict]:
    """The rendered rows: key, and per site the price text and link (None for a dash)."""
    return page.evaluate("""() => [...document.querySelectorAll('#flights-body tr')].map((tr) => ({
        key: tr.dataset.key,
        cheapest: tr.querySelector('td.cheapest')?.dataset.site || null,
        saving: tr.querySelector('td.saving').textContent,
        times: tr.querySelector('td.times').textContent,
        stops: tr.querySelector('td.duration .stops').textContent,
        sites: Object.fromEntries([...tr.querySelectorAll('td.price')].map((td) => [td.dataset.site,
            td.classList.contains('none') ? null : {text: td.querySelector('a').textContent,
                                                    href: td.querySelector('a').href}])),
    }))""")


def check_rows_match_total(rows: list[dict], total: dict, sites: list[str]) -> None:
    assert [r["key"] for r in rows] == list(total["summary"])  # price order is the API's order
    for row in rows:
        summary, by_site = total["summary"][row["key"]], total["flights"][row["key"]]
        for site in sites:
            if site in by_site:
                best = by_site[site][0]
                assert row["sites"][site]["text"].rstrip(" ~") == money(best["price"]), (row, site)
                assert row["sites"][site]["href"] == best["deep_link"]
            else:
                assert row["sites"][site] is None, (row, site)
        if len(by_site) > 1:
            assert row["cheapest"] == summary["cheapest"]["source"], row
        else:
            assert row["cheapest"] is None  # nothing to compare with
        expected = money(summary["spread"]) if summary["spread"] else "–"
        assert row["saving"] == expected, row
        departure, arrival = summary["departure"], summary["arrival"]
        assert f"{departure[11:16]} → " in row["times"] and arrival[11:16] in row["times"]
        assert row["times"].endswith("+1") == (arrival[:10] > departure[:10])
        if summary["stops"]:
            assert row["stops"] == f"{summary['stops']} stop{'s' if summary['stops'] > 1 else ''} via " \
                                   + ", ".join(summary["layovers"])
        else:
            assert row["stops"] == "non-stop"


def chip_statuses(page: Page) -> dict[str, str]:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#chips .chip')]
        .map((chip) => [chip.dataset.site, chip.dataset.status]))""")


# --- the tests -----------------------------------------------------------------------------

def test_full_search_from_the_keyboard_shows_every_site_and_the_clubbed_rows(server, page):
    """Every site, Yatra's browser included; the form filled from the keyboard; the rows checked
    cell by cell against the API's TOTAL; screenshots kept as artifacts."""
    open_page(page, server.api)
    page.focus("#from")
    page.keyboard.type("delhi")
    expect(page.locator("#from-list [role=option]").first).to_contain_text("DEL")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#from")).to_have_attribute("aria-activedescendant", "from-option-0")
    page.keyboard.press("Enter")
    expect(page.locator("#from")).to_have_value("DEL")
    expect(page.locator("#from-hint")).to_contain_text("Indira Gandhi")
    page.keyboard.press("Tab")  # the swap button
    page.keyboard.press("Tab")
    expect(page.locator("#to")).to_be_focused()
    page.keyboard.type("Mumbai")
    expect(page.locator("#to-list [role=option]").first).to_contain_text("BOM")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#to")).to_have_value("BOM")
    page.fill("#date", page.evaluate("() => new Date(Date.now() + 45 * 86400000).toISOString().slice(0, 10)"))
    assert page.locator("#site-choices input:checked").count() == len(SITES)
    with page.expect_response(re.compile(r"/api/flight/start\?")) as started:
        page.focus("#to")
        page.keyboard.press("Enter")  # submits the form
    task_id = started.value.json()["task_id"]
    expect(page.locator("#chips .chip")).to_have_count(len(SITES))
    wait_for_total(page)
    total = http_json(f"{server.api}/api/flight/result/{task_id}")["total"]

    assert chip_statuses(page) == {site: total["sources"][site]["status"] for site in SITES}
    assert set(chip_statuses(page).values()) == {"ok"}, total["sources"]
    for site in SITES:
        chip = page.locator(f"#chips .chip[data-site={site}]")
        expect(chip).to_contain_text(TITLES[site])
        expect(chip).to_contain_text(f"{TITLES[site]} done {total['sources'][site]['options']} options")
    rows = table(page)
    assert len(rows) == total["counts"]["flights"] > 10
    check_rows_match_total(rows, total, SITES)
    expect(page.locator("#count")).to_have_text(f"Showing {len(rows)} of {len(rows)} flights.")
    assert "from=DEL" in page.url and "to=BOM" in page.url and "sources=" in page.url

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "ui-search.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 1200})
    page.evaluate("() => document.activeElement.blur()")
    page.screenshot(path=ARTIFACTS / "ui-search-top.png")  # the README's picture (docs/comparison-page.png)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    page.screenshot(path=ARTIFACTS / "ui-search-phone.png", full_page=True)
    assert page.console.errors == []


def test_rows_appear_as_each_site_delivers_before_total(server, page):
    server.sandbox_config(delays={"ixigo": 4.0})
    open_page(page, search_url(server.api))
    expect(page.locator("#chips .chip[data-site=mmt]")).to_have_attribute("data-status", "ok")
    expect(page.locator("#flights-body tr").first).to_be_visible()
    # mmt's rows are on screen while ixigo is still searching: nothing waited for TOTAL
    assert chip_statuses(page)["ixigo"] == "searching"
    expect(page.locator("#count")).to_contain_text("(more may arrive)")
    assert all(r["sites"]["ixigo"] is None for r in table(page))
    wait_for_total(page)
    assert chip_statuses(page) == {"mmt": "ok", "ixigo": "ok"}
    assert any(r["sites"]["ixigo"] for r in table(page))
    assert page.console.errors == []


@pytest.mark.parametrize("fault, status, label", [
    ("gate403", "blocked", "blocked"), ("rate429", "rate_limited", "rate limited"), ("http500", "error", "failed"),
])
def test_a_failing_site_shows_its_status_while_the_others_rows_appear(server, page, fault, status, label):
    server.sandbox_config(faults={"cleartrip": fault})
    total = run_search(page, search_url(server.api, "mmt,ixigo,cleartrip"), server.api)
    assert chip_statuses(page) == {"mmt": "ok", "ixigo": "ok", "cleartrip": status}
    chip = page.locator("#chips .chip[data-site=cleartrip]")
    expect(chip).to_contain_text(f"Cleartrip {label} 0 options")
    expect(chip).to_have_attribute("title", total["sources"]["cleartrip"]["reason"])
    notice = page.locator("#notices .notice[data-site=cleartrip]")
    expect(notice).to_contain_text(total["sources"]["cleartrip"]["reason"])
    expect(notice).to_contain_text("the other sites' results are unaffected")
    expect(page.locator("th.site-col[data-site=cleartrip] .badge")).to_have_text(label)
    rows = table(page)
    assert rows and all(r["sites"]["cleartrip"] is None for r in rows)
    assert any(r["sites"]["mmt"] for r in rows) and any(r["sites"]["ixigo"] for r in rows)
    check_rows_match_total(rows, total, ["mmt", "ixigo", "cleartrip"])
    if fault == "gate403":
        page.screenshot(path=ARTIFACTS / "ui-blocked-site.png", full_page=True)
    assert page.console.errors == []


def test_sort_and_filter_change_the_rows_in_the_page(server, page):
    total = run_search(page, search_url(server.api, "mmt,ixigo,google"), server.api)
    summary = total["summary"]
    everything = len(summary)
    starts = page.evaluate("() => performance.getEntriesByType('resource').length")

    def keys() -> list[str]:
        return [r["key"] for r in table(page)]

    def instant(iso: str) -> float:
        import datetime as dt
        return dt.datetime.fromisoformat(iso).timestamp()

    def count_text(shown: int) -> str:
        return f"Showing {shown} of {everything} flights."

    def sorted_by(field: str, value) -> None:
        page.select_option("#sort", field)
        assert [value(summary[k]) for k in keys()] == sorted(value(s) for s in summary.values())
        assert [value(summary[k]) for k in keys()] != [value(s) for s in summary.values()] or field == "price"

    sorted_by("departure", lambda s: instant(s["departure"]))
    sorted_by("arrival", lambda s: instant(s["arrival"]))
    sorted_by("duration", lambda s: s["duration_minutes"])
    sorted_by("price", lambda s: s["cheapest"]["price"])

    # stops: only non-stop flights
    non_stop = [k for k, s in summary.items() if s["stops"] == 0]
    assert 0 < len(non_stop) < everything
    page.uncheck("#filter-stops input[value='1']")
    assert sorted(keys()) == sorted(non_stop)
    expect(page.locator("#count")).to_have_text(count_text(len(non_stop)))
    page.check("#filter-stops input[value='1']")
    assert len(keys()) == everything

    # airline: IndiGo off; the airline's count is shown beside it
    indigo = [k for k, s in summary.items() if s["airline"] == "IndiGo"]
    expect(page.locator("#filter-airlines label[data-value='IndiGo']")).to_contain_text(f"({len(indigo)})")
    page.uncheck("#filter-airlines input[value='IndiGo']")
    assert sorted(keys()) == sorted(k for k in summary if k not in indigo)
    expect(page.locator("#count")).to_have_text(count_text(everything - len(indigo)))
    # the other facets count what the airline filter leaves
    non_stop_left = sum(1 for k in non_stop if k not in indigo)
    expect(page.locator("#filter-stops label[data-value='0']")).to_contain_text(f"({non_stop_left})")
    page.click("#reset-filters")
    assert len(keys()) == everything

    # departure window: mornings only
    for window in ("night", "afternoon", "evening"):
        page.uncheck(f"#filter-times input[value='{window}']")
    morning = [k for k, s in summary.items() if 6 <= int(s["departure"][11:13]) < 12]
    assert sorted(keys()) == sorted(morning)
    page.click("#reset-filters")

    # price ceiling: the slider's lowest step leaves the cheapest flights only
    cheapest = min(s["cheapest"]["price"] for s in summary.values())
    page.focus("#filter-price")
    page.keyboard.press("Home")
    assert sorted(keys()) == sorted(k for k, s in summary.items() if s["cheapest"]["price"] <= cheapest)
    expect(page.locator("#filter-price-value")).to_have_text(money(cheapest))
    page.keyboard.press("End")
    assert len(keys()) == everything

    # sites: without Google, its column goes and flights only Google listed go; cheapest is recomputed
    page.uncheck("#filter-sites input[value='google']")
    without = {k for k, f in total["flights"].items() if set(f) - {"google"}}
    assert set(keys()) == without
    expect(page.locator("th.site-col[data-site=google]")).to_have_count(0)
    for row in table(page):
        prices = {s: o[0]["price"] for s, o in total["flights"][row["key"]].items() if s != "google"}
        if len(prices) > 1:
            assert prices[row["cheapest"]] == min(prices.values())
    expect(page.locator("#count")).to_have_text(count_text(len(without)))
    # all of it happened in the page: no request since TOTAL
    assert page.evaluate("() => performance.getEntriesByType('resource').length") == starts
    assert page.console.errors == []


@pytest.mark.parametrize("field, value, message", [
    ("from", "QQQ", "'QQQ' is not a known IATA airport code"),
    ("to", "DEL", "must differ from origin"),
    ("date", "2020-01-01", "2020-01-01 is in the past"),
    ("infants", "2", "each infant needs an adult's lap: at most one per adult"),
])
def test_bad_input_is_explained_next_to_its_field(server, page, field, value, message):
    open_page(page, server.api)
    page.fill("#from", "DEL")
    page.fill("#to", "BOM")
    page.fill(f"#{field}", value)
    with page.expect_response(re.compile(r"/api/flight/start\?")) as started:
        page.click("#go")
    assert started.value.status == 400
    assert started.value.json()["message"] == message  # the API's own words...
    expect(page.locator(f"#{field}-error")).to_have_text(message)  # ...next to the field
    expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{field}")).to_be_focused()
    assert page.locator("#progress").is_hidden() and page.locator("#results").is_hidden()
    # Chromium logs the 400 itself as "Failed to load resource"; nothing else may be logged
    assert [e for e in page.console.errors if "status of 400" not in e or "/api/flight/start" not in e] == []
    page.fill(f"#{field}", "")  # typing again clears the message
    if field in ("from", "to"):
        expect(page.locator(f"#{field}-error")).to_have_text("")


def test_a_search_url_can_be_shared_and_reloaded(server, page):
    date = fresh_date()
    url = search_url(server.api, "mmt,ixigo", date=date, adults="2", cabin="business")
    total = run_search(page, url, server.api)
    expect(page.locator("#from")).to_have_value("DEL")
    expect(page.locator("#adults")).to_have_value("2")
    expect(page.locator("#cabin")).to_have_value("business")
    assert page.locator("#site-choices input:checked").evaluate_all("(boxes) => boxes.map((b) => b.value)") \
        == ["mmt", "ixigo"]
    assert total["search"]["adults"] == 2 and total["search"]["cabin"] == "business"
    first = table(page)
    assert first
    shared = page.url  # the page rewrote the URL with every parameter
    assert "adults=2" in shared and "cabin=business" in shared and "date=20" in shared
    with page.expect_response(re.compile(r"/api/flight/start\?")):
        page.reload()
    wait_for_total(page)
    assert table(page) == first
    assert page.console.errors == []


class CuttingProxy:
    """A TCP proxy in front of the API that can drop every open connection (a flaky network), and
    records the requests that went through it."""

    def __init__(self, target: str) -> None:
        host, port = target.removeprefix("http://").split(":")
        self.target = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.sockets: list[socket.socket] = []
        self.requests: list[str] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        try:
            while data := source.recv(65536):
                if from_client:
                    with self.lock:
                        self.requests.append(data.decode("latin-1"))
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        self.cut()
        self.listener.close()


def test_a_dropped_stream_resumes_with_last_event_id_without_duplicates(server, page):
    server.sandbox_config(delays={"ixigo": 6.0})
    proxy = CuttingProxy(server.api)
    try:
        with page.expect_response(re.compile(r"/api/flight/start\?")) as started:
            open_page(page, search_url(proxy.url))
        task_id = started.value.json()["task_id"]
        expect(page.locator("#chips .chip[data-site=mmt]")).to_have_attribute("data-status", "ok")
        before = table(page)
        assert before and chip_statuses(page)["ixigo"] == "searching"
        proxy.cut()
        expect(page.locator("#progress-line")).to_contain_text("reconnecting")
        wait_for_total(page)
        streams = [r for r in proxy.requests if r.startswith(f"GET /api/flight/stream/{task_id}")]
        assert len(streams) >= 2  # the first and the resumed one
        resumed = re.search(r"(?im)^last-event-id: (\d+)\r$", streams[-1])
        assert resumed and int(resumed.group(1)) >= 4  # mmt's progress, partial and source_done were applied
    finally:
        proxy.close()
    total = http_json(f"{server.api}/api/flight/result/{task_id}")["total"]
    rows = table(page)
    assert len(rows) == len({r["key"] for r in rows}) == total["counts"]["flights"]
    check_rows_match_total(rows, total, ["mmt", "ixigo"])
    # the chip counts what the site sent once, not once per connection
    expect(page.locator("#chips .chip[data-site=mmt]")).to_contain_text(f"{total['sources']['mmt']['options']} options")
    # Chromium reports the cut stream itself (ERR_INCOMPLETE_CHUNKED_ENCODING); the page logs nothing of its own
    assert [e for e in page.console.errors
            if not ("net::ERR_INCOMPLETE_CHUNKED_ENCODING" in e and f"/api/flight/stream/{task_id}" in e)] == []


def test_the_page_works_from_another_origin(server, page, tmp_path):
    """The static files served elsewhere, pointed at the API by their meta tag: CORS lets it search."""
    shutil.copytree(STATIC, tmp_path / "static")
    html = (STATIC / "index.html").read_text().replace(
        '<meta name="flightcrawl-api" content="">', f'<meta name="flightcrawl-api" content="{server.api}">')
    (tmp_path / "index.html").write_text(html)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    other = f"http://localhost:{httpd.server_address[1]}"  # another host name: another origin
    try:
        with page.expect_response(re.compile(r"/api/flight/start\?")) as started:
            open_page(page, search_url(other))
        assert started.value.url.startswith(server.api)
        assert started.value.headers["access-control-allow-origin"] == "*"
        wait_for_total(page)
        total = http_json(f"{server.api}/api/flight/result/{started.value.json()['task_id']}")["total"]
        check_rows_match_total(table(page), total, ["mmt", "ixigo"])
        page.fill("#from", "mumb")
        expect(page.locator("#from-list [role=option]").first).to_contain_text("BOM")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert page.console.errors == []


def test_the_page_in_distributed_mode(page):
    from tests.test_api import Stack

    stack = Stack("distributed")
    try:
        http_json(f"{stack.sandbox}/__sandbox__/config", "PUT", {"faults": {}, "rate_limit": False})
        total = run_search(page, search_url(stack.api), stack.api)
    finally:
        stack.close()
    assert chip_statuses(page) == {"mmt": "ok", "ixigo": "ok"}
    rows = table(page)
    assert len(rows) == total["counts"]["flights"] > 0
    check_rows_match_total(rows, total, ["mmt", "ixigo"])
    assert page.console.errors == []


def test_api_serves_the_page_and_searches_airports(server):
    with urllib.request.urlopen(f"{server.api}/", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/html")
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert b'src="static/app.js"' in response.read()
    with urllib.request.urlopen(f"{server.api}/static/app.js", timeout=10) as response:
        assert "javascript" in response.headers["Content-Type"]
    found = http_json(f"{server.api}/api/airports?q=bengaluru")["airports"]
    assert found[0]["iata"] == "BLR" and found[0]["city"] == "Bengaluru"
    assert [a["iata"] for a in http_json(f"{server.api}/api/airports?q=BOM")["airports"]][:1] == ["BOM"]
    assert len(http_json(f"{server.api}/api/airports?q=a&limit=20")["airports"]) == 20
    for query, field in (("", "q"), ("q=%3Cscript%3E", "q"), ("q=" + "a" * 61, "q"), ("q=del&limit=21", "limit"),
                         ("q=del&limit=x", "limit")):
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f"{server.api}/api/airports?{query}", timeout=10)
        assert error.value.code == 400
        assert json.loads(error.value.read())["field"] == field



def test_typed_city_names_become_airport_codes(server, page):
    open_page(page, server.api)
    page.fill("#from", "Bengaluru")
    page.fill("#to", "mumbai")
    page.uncheck("#site-choices input[value='yatra']")
    with page.expect_response(re.compile(r"/api/flight/start\?")) as started:
        page.click("#go")
    query = urllib.parse.parse_qs(urllib.parse.urlparse(started.value.url).query)
    assert (query["from"], query["to"]) == (["BLR"], ["BOM"])
    expect(page.locator("#from")).to_have_value("BLR")
    expect(page.locator("#from-hint")).to_contain_text("Bengaluru")
    wait_for_total(page)
    assert page.console.errors == []


def test_no_flights_anywhere_says_so(server, page):
    server.sandbox_config(faults={"mmt": "empty", "ixigo": "gate403"})
    run_search(page, search_url(server.api), server.api)
    assert chip_statuses(page) == {"mmt": "no_results", "ixigo": "blocked"}
    expect(page.locator("#count")).to_have_text("No flights found on the sites searched.")
    assert page.locator("#controls").is_hidden() and page.locator("#flights-body tr").count() == 0
    expect(page.locator("#notices .notice[data-site=mmt]")).to_contain_text("listed no flights")
    assert page.console.errors == []
