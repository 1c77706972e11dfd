"""What every site spider shares: arguments, the search deadline, and a typed outcome."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from types import ModuleType
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from flightcrawl.failures import classify_failure
from flightcrawl.items import RawOption
from flightcrawl.parsers import SearchPage
from flightcrawl.query import QueryError, SearchQuery
from flightcrawl.status import SiteError, Status


class Outcome:
    """The first failure a spider meets decides its status; options still count."""

    def __init__(self) -> None:
        self.status: Status | None = None
        self.reason = ""
        self.notes: list[str] = []

    def fail(self, status: Status, reason: str) -> None:
        if self.status is None:
            self.status, self.reason = status, reason
        else:
            self.notes.append(f"{status}: {reason}")


class FlightSpider(Spider):
    """Base for site spiders: `-a origin=DEL -a destination=BOM -a date=2026-12-20 ...`."""

    site: ModuleType  # the site's contract module in flightcrawl.sites
    parse_body: Callable[..., SearchPage]  # the site's pure parser

    def __init__(
        self,
        origin: str = "",
        destination: str = "",
        date: str = "",
        adults: int | str = 1,
        children: int | str = 0,
        infants: int | str = 0,
        cabin: str = "economy",
        search_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.search_id = search_id or uuid.uuid4().hex
        self.outcome = Outcome()
        self.started = time.monotonic()
        self.deadline_at: float | None = None  # set when the crawler's settings are known
        # Device ids are unsigned and unvalidated by the sites: one per spider run.
        self.device_id = str(uuid.uuid4())
        self.query: SearchQuery | None
        try:
            self.query = SearchQuery.parse(origin, destination, date, adults, children, infants, cabin)
        except QueryError as exc:
            self.query = None
            self.outcome.fail(Status.ERROR, f"bad search arguments: {exc}")

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        deadline = settings.getfloat("FLIGHTCRAWL_DEADLINE", 30.0)
        # A download may take the whole deadline, no longer; the spider then closes as timeout.
        settings.set("DOWNLOAD_TIMEOUT", deadline, priority="spider")
        settings.set("CLOSESPIDER_TIMEOUT", deadline + 0.5, priority="spider")

    async def start(self) -> AsyncIterator[Request]:
        # The deadline counts from when this spider was made, not from now: what the engine
        # does at start (a browser-driven spider starts its browser driver) is search time too.
        self.deadline_at = self.started + self.settings.getfloat("FLIGHTCRAWL_DEADLINE", 30.0)
        if self.query is None:
            return
        for request in self.search_requests(self.query):
            yield request

    def search_requests(self, query: SearchQuery) -> Iterable[Request]:
        raise NotImplementedError

    def request(self, url: str, headers: dict[str, str], **kwargs: Any) -> Request:
        return Request(url, headers=headers, callback=self.parse_search, errback=self.on_error,
                       dont_filter=True, **kwargs)

    def parse_search(self, response: Response) -> Iterable[RawOption]:
        fetched_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        try:
            page = type(self).parse_body(response.body, self.query, content_type=content_type,
                                         fetched_at=fetched_at)
        except SiteError as exc:
            self.outcome.fail(exc.status, exc.reason)
            return
        for reason in page.rejected:
            self.crawler.stats.inc_value("flightcrawl/dropped/parse")
            self.crawler.stats.inc_value("flightcrawl/dropped")
            self.logger.warning("%s: unreadable entry dropped: %s", self.name, reason)
        if not page.complete or "dataloss" in response.flags:
            kept = f"; {len(page.options)} options from whole frames kept" if page.options else ""
            self.outcome.fail(Status.BAD_RESPONSE, (page.note or "response body cut off") + kept)
        yield from page.options

    def on_error(self, failure: Failure) -> None:
        status, reason = classify_failure(failure)
        self.outcome.fail(status, reason)
