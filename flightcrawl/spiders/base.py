"""What every site spider shares: arguments, jobs, the search deadline, and typed outcomes.

A spider runs search jobs (flightcrawl.jobs.SearchJob). Ad hoc (`scrapy crawl mmt -a ...`) and
in embedded mode it runs the one job its arguments describe; as a distributed worker it runs
every job it takes from its Redis queue, several at once. Callbacks and errbacks are run
through `_dispatch`, which keeps each job's books (open requests, items yielded) and makes
`self.query` / `self.outcome` mean the job whose response is being handled.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from types import ModuleType
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from flightcrawl import signals as fc_signals
from flightcrawl.failures import classify_failure
from flightcrawl.items import OptionBatch, RawOption
from flightcrawl.jobs import META_KEY, SearchJob
from flightcrawl.parsers import SearchPage
from flightcrawl.query import QueryError, SearchQuery
from flightcrawl.status import SiteError, Status

CALLBACK_KEY = "flightcrawl_callback"
ERRBACK_KEY = "flightcrawl_errback"


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
        self.search_args = dict(origin=origin, destination=destination, date=date, adults=adults,
                                children=children, infants=infants, cabin=cabin)
        self.search_id = search_id or str(uuid.uuid4())
        # An ad-hoc search's clock starts when the spider is made: what the engine does before
        # start() (a browser-driven spider launches its browser) is search time too.
        self.created = time.monotonic()
        self.jobs: dict[str, SearchJob] = {}
        self._current: SearchJob | None = None
        # Device ids are unsigned and unvalidated by the sites: one per spider process.
        self.device_id = str(uuid.uuid4())

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # A download may take the whole deadline, no longer (DeadlineMiddleware narrows it).
        settings.set("DOWNLOAD_TIMEOUT", settings.getfloat("FLIGHTCRAWL_DEADLINE", 30.0), priority="spider")

    # --- jobs -----------------------------------------------------------------------------

    def new_job(self, task_id: str, args: dict[str, Any], deadline: float | None = None,
                attempt: str = "") -> SearchJob:
        """A job for this site from raw search arguments; bad arguments make a failed job."""
        seconds = deadline if deadline is not None else self.settings.getfloat("FLIGHTCRAWL_DEADLINE", 30.0)
        job = SearchJob(task_id=task_id, site=self.name, query=None, deadline_at=time.monotonic() + seconds,
                        attempt=attempt)
        try:
            job.query = SearchQuery.parse(**args)
        except (QueryError, TypeError) as exc:
            job.fail(Status.ERROR, f"bad search arguments: {exc}")
        self.jobs[task_id] = job
        return job

    def start_job(self, job: SearchJob) -> list[Request]:
        """The job's first requests (none for a failed job); its books are opened here."""
        requests: list[Request] = []
        if job.query is not None:
            self._current = job
            try:
                requests = [self._adopt(request, job) for request in self.search_requests(job.query)]
            except Exception as exc:  # a bug in building requests fails this job, not the worker
                job.fail(Status.ERROR, f"could not build the request: {type(exc).__name__}: {exc}")
                requests = []
            finally:
                self._current = None
        self.crawler.signals.send_catch_log(fc_signals.job_progress, job=job)
        return requests

    def job_of(self, request: Request) -> SearchJob:
        return self.jobs[request.meta[META_KEY]]

    @property
    def query(self) -> SearchQuery | None:
        """The query of the job being handled (in callbacks, errbacks and search_requests)."""
        return self._current.query if self._current else None

    @property
    def outcome(self) -> SearchJob | None:
        """The job being handled (None outside callbacks); `self.outcome.fail(status, reason)`."""
        return self._current

    def _adopt(self, request: Request, job: SearchJob) -> Request:
        request.meta.setdefault(META_KEY, job.task_id)
        job.open_requests += 1
        return request

    # --- requests and callbacks -------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        deadline = self.settings.getfloat("FLIGHTCRAWL_DEADLINE", 30.0) - (time.monotonic() - self.created)
        job = self.new_job(self.search_id, self.search_args, deadline=deadline)
        for request in self.start_job(job):
            yield request

    def search_requests(self, query: SearchQuery) -> Iterable[Request]:
        raise NotImplementedError

    def request(self, url: str, headers: dict[str, str] | None = None, *,
                callback: Callable[..., Any] | None = None, errback: Callable[..., Any] | None = None,
                **kwargs: Any) -> Request:
        """A request of the current job, its callback and errback run under the job's books."""
        meta = dict(kwargs.pop("meta", None) or {})
        meta[CALLBACK_KEY] = (callback or self.parse_search).__name__
        meta[ERRBACK_KEY] = (errback or self.on_error).__name__
        if self._current is not None:
            meta.setdefault(META_KEY, self._current.task_id)
        return Request(url, headers=headers, callback=self._dispatch, errback=self._dispatch_error,
                       dont_filter=True, meta=meta, **kwargs)

    def _dispatch(self, response: Response) -> Iterator[Any]:
        return self._run(response.request, getattr(self, response.meta[CALLBACK_KEY]), response)

    def _dispatch_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # set by Scrapy before calling an errback
        return self._run(request, getattr(self, request.meta.get(ERRBACK_KEY, "on_error")), failure)

    def _run(self, request: Request, handler: Callable[..., Any], result: Response | Failure) -> Iterator[Any]:
        job = self.jobs.get(request.meta.get(META_KEY, ""))
        if job is None:
            return
        job.callbacks_running += 1
        yielded = 0
        options: list[RawOption] = []  # handed on as one OptionBatch (items.py says why)
        try:
            try:
                self._current = job
                try:
                    output = handler(result)
                finally:
                    self._current = None
                iterator = iter(output) if output is not None else iter(())
                while True:
                    self._current = job
                    try:
                        element = next(iterator)
                    finally:
                        self._current = None
                    if isinstance(element, RawOption):
                        element.task_id = job.task_id
                        options.append(element)
                        continue
                    if isinstance(element, Request):
                        self._adopt(element, job)
                    elif element is not None:
                        yielded += 1
                    yield element
            except StopIteration:
                pass
            except Exception as exc:  # a failing callback fails its job, never the worker
                self.logger.exception("%s: callback failed for task %s", self.name, job.task_id)
                job.fail(Status.ERROR, f"{type(exc).__name__} while reading the answer: {exc}")
            if options:
                yielded += 1
                yield OptionBatch(self.name, options, task_id=job.task_id)
        finally:
            job.items_expected += yielded
            job.open_requests -= 1
            job.callbacks_running -= 1
            self.crawler.signals.send_catch_log(fc_signals.job_progress, job=job)

    def parse_search(self, response: Response) -> Iterable[RawOption | Request]:
        job = self.outcome
        fetched_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        try:
            page = type(self).parse_body(response.body, job.query, content_type=content_type,
                                         fetched_at=fetched_at)
        except SiteError as exc:
            yield from self.on_site_error(exc, response)
            return
        for reason in page.rejected:
            job.entries_rejected += 1
            self.crawler.stats.inc_value("flightcrawl/dropped/parse")
            self.logger.warning("%s: unreadable entry dropped: %s", self.name, reason, extra={"task_id": job.task_id})
        if not page.complete or "dataloss" in response.flags:
            kept = f"; {len(page.options)} options from whole frames kept" if page.options else ""
            job.fail(Status.BAD_RESPONSE, (page.note or "response body cut off") + kept)
        yield from page.options

    def on_site_error(self, exc: SiteError, response: Response) -> Iterable[Request]:
        """The site's answer says the search failed: record it. A site whose answer can also mean
        "ask again later" overrides this to return the follow-up request instead."""
        self.outcome.fail(exc.status, exc.reason)
        return ()

    def on_error(self, failure: Failure) -> None:
        status, reason = classify_failure(failure)
        self.outcome.fail(status, reason)
