"""Sites behind a bot gate: a browser gets through, plain HTTP replays what it got.

The strategy each site's notes call for (shared/sources.md §1.2, §2.2, §6):

- A search first takes the site's cached session (flightcrawl.sessions) and makes the data
  call over plain HTTP with its cookies and the User-Agent it was obtained with.
- Without a session, or when the site rejects it (401/403, or a challenge page instead of
  data), the session is dropped and the browser path runs, once: the shared Chromium
  (flightcrawl.browser) loads the home page so the gate's script writes its cookie, and the
  cookies are cached for the next searches. Where the notes say the data call itself only
  works from the page (MakeMyTrip, Goibibo: `READS_PAGE_DATA`), the browser then opens the
  listing and the answer is the `search-stream-dt` response the page itself receives;
  elsewhere (ixigo) the plain call is made again with the fresh cookie.
- If that fails too, the site is `blocked`, with the gate's reason.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterable
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from scrapy import Request
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy_playwright.page import PageMethod
from twisted.python.failure import Failure

from flightcrawl.browser import BROWSER_CLOSE_SECONDS, browser_settings, hold_to_deadline
from flightcrawl.failures import TIMED_OUT, classify_browser_error, classify_failure, classify_http
from flightcrawl.hostmap import parse_host_map, rewrite_url
from flightcrawl.items import RawOption
from flightcrawl.politeness import parse_proxies
from flightcrawl.query import SearchQuery
from flightcrawl.sessions import Session, SessionStore, store_from_settings
from flightcrawl.spiders.base import FlightSpider
from flightcrawl.status import Blocked, SiteError, Status

SESSION_KEY = "flightcrawl_session"  # the id of the session a replayed request carries
FRESH_KEY = "flightcrawl_fresh_session"  # the session was just obtained: a rejection is final
REJECTED = (401, 403)
# How often the page is asked whether the gate's cookie is there yet.
COOKIE_POLL_SECONDS = 0.05


def _left(deadline_at: float | None) -> float:
    if deadline_at is None:
        return 30.0
    return max(0.05, deadline_at - BROWSER_CLOSE_SECONDS - time.monotonic())


async def _wait_for_cookie(page: Page, name: str, deadline_at: float | None) -> bool:
    end = time.monotonic() + _left(deadline_at)
    while time.monotonic() < end:
        if any(c["name"] == name for c in await page.context.cookies()):
            return True
        await asyncio.sleep(COOKIE_POLL_SECONDS)
    return False


async def pass_gate(page: Page, cookie: str, user_agent: str, deadline_at: float | None = None,
                    listing_url: str | None = None, data_path: str | None = None) -> dict[str, Any]:
    """Page method: wait (until the deadline) for the gate's script to write `cookie`; then,
    given a listing URL, open it and read the `data_path` response the page itself receives.

    Returns what the spider needs: {"cookies": [...], "user_agent", "data": {status, headers,
    body} | None, "failure": str | None, "timed_out": bool}.
    """
    # Nothing is asked of the page itself while the gate's script may still reload it.
    result: dict[str, Any] = {"cookies": [], "data": None, "failure": None, "timed_out": False,
                              "user_agent": user_agent}
    if not await _wait_for_cookie(page, cookie, deadline_at):
        result["cookies"] = await page.context.cookies()
        result["timed_out"] = True
        return result
    result["cookies"] = await page.context.cookies()
    if listing_url is None:
        return result
    seen: asyncio.Future = asyncio.get_running_loop().create_future()

    def on_response(response: Any) -> None:
        if data_path in response.url and not seen.done():
            seen.set_result(response)

    def on_failed(request: Any) -> None:
        if data_path in request.url and not seen.done():
            seen.set_result(request.failure or "request failed")

    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    try:
        # Inside the same page, as a traveller goes from the home page to a search (§1.2).
        await page.goto(listing_url, wait_until="commit")
        got = await asyncio.wait_for(seen, _left(deadline_at))
        if isinstance(got, str):
            result["failure"] = got
            return result
        body = await asyncio.wait_for(got.body(), _left(deadline_at))
        result["data"] = {"status": got.status, "headers": await got.all_headers(), "body": body}
    except TimeoutError:
        result["timed_out"] = True
    except PlaywrightError as exc:
        # The body never completed (a stream cut mid-frame, a reset): say how it failed.
        failure = got.request.failure if "got" in locals() and not isinstance(got, str) else None
        result["failure"] = failure or str(exc).splitlines()[0]
    finally:
        page.remove_listener("response", on_response)
        page.remove_listener("requestfailed", on_failed)
    return result


class GatedSpider(FlightSpider):
    """A site spider whose data call sits behind a bot gate (see the module's docstring)."""

    READS_PAGE_DATA = False  # True: the browser's listing page gives the data (MakeMyTrip)

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        browser_settings(settings)

    @property
    def sessions(self) -> SessionStore:
        if not hasattr(self, "_sessions"):
            self._sessions = store_from_settings(self.settings)
        return self._sessions

    # --- what a site spider provides -------------------------------------------------------

    def data_request(self, query: SearchQuery, session: Session, **kwargs: Any) -> Request:
        """The plain-HTTP data call, carrying the session (override per site)."""
        raise NotImplementedError

    def replay_headers(self, session: Session) -> dict[str, str]:
        return {"User-Agent": session.user_agent, "Cookie": session.cookie_header(), **session.headers}

    # --- the flow --------------------------------------------------------------------------

    def search_requests(self, query: SearchQuery) -> Iterable[Request]:
        session = self.sessions.get(self.name)
        if session is None:
            self.crawler.stats.inc_value("flightcrawl/session/miss")
            self.outcome.extra["session"] = "browser"
            yield self.browser_request(query)
        else:
            self.crawler.stats.inc_value("flightcrawl/session/reused")
            self.outcome.extra["session"] = "reused"
            yield self.replay(query, session, fresh=False)

    def replay(self, query: SearchQuery, session: Session, *, fresh: bool) -> Request:
        request = self.data_request(query, session)
        request.meta.update({SESSION_KEY: session.id, FRESH_KEY: fresh, "dont_merge_cookies": True})
        return request

    def _browser_meta(self, deadline_at: float, listing_url: str | None = None) -> dict[str, Any]:
        site = self.site
        user_agent = self.settings.get("USER_AGENT")
        kwargs: dict[str, Any] = {"cookie": site.GATE_REQUIRED, "user_agent": user_agent, "deadline_at": deadline_at}
        if listing_url is not None:
            # The page navigates on its own: point it where the host map points Scrapy.
            listing = rewrite_url(listing_url, parse_host_map(self.settings.get("FLIGHTCRAWL_HOST_MAP")))
            kwargs.update(listing_url=listing, data_path=site.SEARCH_PATH)
        # The browser's User-Agent is the one plain requests replay (Cloudflare binds to it).
        context_kwargs: dict[str, Any] = {"user_agent": user_agent}
        if proxies := parse_proxies(self.settings.get("FLIGHTCRAWL_PROXIES")).get(self.name):
            # A context has one proxy for its life: the browser takes the site's first; the
            # session it obtains is then replayed through the rotation of plain requests.
            context_kwargs["proxy"] = {"server": proxies[0]}
        return {
            "playwright": True,
            "playwright_context": self.name,
            "playwright_context_kwargs": context_kwargs,
            "playwright_page_init_callback": hold_to_deadline,
            "playwright_page_methods": [PageMethod(pass_gate, **kwargs)],
            "flightcrawl_deadline_at": deadline_at,
            # The home page's status (a challenge is a 403) is the gate's business.
            "handle_httpstatus_all": True,
            "dont_merge_cookies": True,
        }

    def browser_request(self, query: SearchQuery) -> Request:
        job = self.outcome
        listing = self.site.listing_url(query) if self.READS_PAGE_DATA else None
        return self.request(self.site.home_url(), headers={}, callback=self.parse_browser,
                            errback=self.on_browser_error, meta=self._browser_meta(job.deadline_at, listing))

    # --- warming up (workers): a session before the first job -----------------------------

    def warm_up(self, seconds: float = 30.0) -> Request | None:
        """A long-lived worker gets its site's session before taking jobs, so its first
        search does not pay for the browser (None when the store already has one)."""
        if self.sessions.get(self.name) is not None:
            return None
        self.warmed = asyncio.Event()
        meta = self._browser_meta(time.monotonic() + seconds)
        meta["download_timeout"] = seconds
        return Request(self.site.home_url(), callback=self._warmed_up, errback=self._warm_up_failed,
                       dont_filter=True, meta=meta)

    def _warmed_up(self, response: Response) -> None:
        result = response.meta["playwright_page_methods"][0].result
        session = Session.from_browser(self.name, result["cookies"], result["user_agent"],
                                       names=self.site.GATE_COOKIES)
        if self.site.GATE_REQUIRED in session.cookies:
            self.sessions.put(session)
            self.logger.info("%s: session obtained in the browser before the first job", self.name)
        else:
            self.logger.warning("%s: warming up got no %s cookie", self.name, self.site.GATE_REQUIRED)
        self.warmed.set()

    def _warm_up_failed(self, failure: Failure) -> None:
        self.logger.warning("%s: warming up failed: %s", self.name, failure.value)
        self.warmed.set()

    def parse_browser(self, response: Response) -> Iterable[RawOption | Request]:
        job = self.outcome
        self.crawler.stats.inc_value("flightcrawl/session/browser")
        result = response.meta["playwright_page_methods"][0].result
        cookie = self.site.GATE_REQUIRED
        session = Session.from_browser(self.name, result["cookies"], result["user_agent"],
                                       names=self.site.GATE_COOKIES)
        if cookie not in session.cookies:
            if result["timed_out"] and time.monotonic() < job.deadline_at - BROWSER_CLOSE_SECONDS:
                job.fail(Status.BLOCKED, f"the browser got no {cookie} cookie from {self.site.home_url()} "
                                         f"(home page HTTP {response.status}; the gate's script refused it)")
            elif result["timed_out"]:
                job.fail(*self._timed_out(f"waiting for the {cookie} cookie"))
            else:
                job.fail(Status.BLOCKED, f"the browser got no {cookie} cookie (home page HTTP {response.status})")
            return
        self.sessions.put(session)
        if not self.READS_PAGE_DATA:
            yield self.replay(job.query, session, fresh=True)
            return
        if result["failure"]:
            status, reason = classify_browser_error(Exception(f"net::{result['failure'].removeprefix('net::')}"))
            job.fail(status, f"{reason} (the page's own {self.site.SEARCH_PATH} call)")
            return
        if result["timed_out"] or result["data"] is None:
            job.fail(*self._timed_out(f"the page's own {self.site.SEARCH_PATH} call"))
            return
        data = result["data"]
        if not 200 <= data["status"] < 300:
            status, reason = classify_http(data["status"], data["headers"], data["body"])
            job.fail(status, reason + (" (after a fresh browser session)" if status is Status.BLOCKED else ""))
            return
        yield from self.read_data(data["body"], data["headers"].get("content-type", ""), fresh=True)

    def read_data(self, body: bytes, content_type: str, *, fresh: bool) -> Iterable[RawOption]:
        job = self.outcome
        fetched_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        try:
            page = type(self).parse_body(body, job.query, content_type=content_type, fetched_at=fetched_at)
        except SiteError as exc:
            reason = exc.reason + (" (after a fresh browser session)" if fresh and isinstance(exc, Blocked) else "")
            job.fail(exc.status, reason)
            return
        for reason in page.rejected:
            job.entries_rejected += 1
            self.crawler.stats.inc_value("flightcrawl/dropped/parse")
            self.logger.warning("%s: unreadable entry dropped: %s", self.name, reason)
        if not page.complete:
            kept = f"; {len(page.options)} options from whole frames kept" if page.options else ""
            job.fail(Status.BAD_RESPONSE, (page.note or "response body cut off") + kept)
        yield from page.options

    def _timed_out(self, what: str) -> tuple[Status, str]:
        return TIMED_OUT[0], f"{TIMED_OUT[1]} ({what})"

    # --- rejection: refresh once -------------------------------------------------------------

    def _refresh(self, request: Request, why: str) -> list[Request]:
        """The site refused the session `request` carried: drop it and take the browser path,
        once. Returns [] when the session was already fresh (the caller reports blocked)."""
        if SESSION_KEY not in request.meta or request.meta.get(FRESH_KEY):
            return []
        self.sessions.drop(self.name, request.meta[SESSION_KEY])
        self.crawler.stats.inc_value("flightcrawl/session/rejected")
        self.outcome.extra["session"] = "refreshed"
        self.logger.info("%s: cached session rejected (%s); refreshing it in the browser", self.name, why)
        return [self.browser_request(self.outcome.query)]

    def on_site_error(self, exc: SiteError, response: Response) -> Iterable[Request]:
        if isinstance(exc, Blocked) and (again := self._refresh(response.request, exc.reason)):
            return again
        if isinstance(exc, Blocked) and response.request.meta.get(FRESH_KEY):
            exc = Blocked(exc.reason + " (after a fresh browser session)")
        return super().on_site_error(exc, response)

    def on_error(self, failure: Failure) -> Iterable[Request] | None:
        exc = failure.value
        if isinstance(exc, HttpError) and exc.response.status in REJECTED:
            request = failure.request
            if again := self._refresh(request, f"HTTP {exc.response.status}"):
                return again
            if request.meta.get(FRESH_KEY):
                status, reason = classify_failure(failure)
                self.outcome.fail(status, reason + " (after a fresh browser session)")
                return None
        super().on_error(failure)
        return None

    def on_browser_error(self, failure: Failure) -> None:
        super().on_error(failure)


def gated_sites() -> list[str]:
    """The sites whose spiders go through a gate (their sessions are worth warming)."""
    from flightcrawl.spiders.goibibo import GoibiboSpider
    from flightcrawl.spiders.ixigo import IxigoSpider
    from flightcrawl.spiders.mmt import MmtSpider

    return [spider.name for spider in (MmtSpider, IxigoSpider, GoibiboSpider) if issubclass(spider, GatedSpider)]
