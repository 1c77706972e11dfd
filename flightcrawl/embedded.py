"""Embedded mode: one search, every site's spider in this process, no Redis.

The spiders run on Scrapy's asyncio reactor, on the same event loop as the caller (the CLI,
or the API in embedded mode). Events go to a callback as they happen: `progress` when a site
starts, `partial` as its options clear the pipelines, `source_done` with its final status,
then `TOTAL`. A search always ends by its deadline: a site still running then is stopped
and reported as `timeout`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals as scrapy_signals
from scrapy.crawler import AsyncCrawlerRunner, Crawler
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from flightcrawl import signals as fc_signals
from flightcrawl.club import club
from flightcrawl.hostmap import format_host_map
from flightcrawl.items import FlightOption, OptionBatch
from flightcrawl.query import SearchQuery
from flightcrawl.sites import SITES, title
from flightcrawl.status import SourceStatus, Status

# After the deadline, how long a site gets to stop before it is written off as timed out.
STOP_GRACE = 0.75


@dataclass
class Event:
    type: str  # progress | partial | source_done | TOTAL
    data: dict[str, Any]


@dataclass
class SearchState:
    task_id: str
    query: SearchQuery
    sources: list[str]
    options: list[FlightOption] = field(default_factory=list)
    statuses: dict[str, SourceStatus] = field(default_factory=dict)
    total: dict[str, Any] | None = None


def search_settings(deadline: float, host_map: dict[str, str] | None = None,
                    overrides: dict[str, Any] | None = None) -> Settings:
    settings = get_project_settings().copy()
    settings.set("FLIGHTCRAWL_DEADLINE", deadline, priority="cmdline")
    if host_map is not None:
        settings.set("FLIGHTCRAWL_HOST_MAP", format_host_map(host_map), priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


class EmbeddedSearch:
    def __init__(self, query: SearchQuery, sources: list[str], *, deadline: float = 30.0,
                 host_map: dict[str, str] | None = None, on_event: Callable[[Event], None] | None = None,
                 settings: dict[str, Any] | None = None, task_id: str | None = None,
                 site_deadlines: dict[str, float] | None = None) -> None:
        unknown = [s for s in sources if s not in SITES]
        if unknown:
            raise ValueError(f"unknown sources: {', '.join(unknown)}")
        self.state = SearchState(task_id or str(uuid.uuid4()), query, list(sources))
        # Each site may have its own deadline, never beyond the search's.
        self.site_deadlines = {s: min(deadline, (site_deadlines or {}).get(s, deadline)) for s in sources}
        self.deadline = max(self.site_deadlines.values(), default=deadline)
        self.on_event = on_event or (lambda event: None)
        self.settings = search_settings(deadline, host_map, settings)
        self._pending: dict[str, list[FlightOption]] = {}
        self._flush_scheduled = False
        self._started = 0.0

    def _emit(self, type_: str, data: dict[str, Any]) -> None:
        self.on_event(Event(type_, data))

    # --- signal handlers ------------------------------------------------------------------

    def _item_scraped(self, item: object, spider: object) -> None:
        if isinstance(item, OptionBatch) and item.options:
            self.state.options.extend(item.options)
            self._pending.setdefault(item.source, []).extend(item.options)
            if not self._flush_scheduled:
                # Items of one response arrive in one loop turn: send them as one partial.
                self._flush_scheduled = True
                asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        pending, self._pending = self._pending, {}
        for source, options in pending.items():
            self._emit("partial", {"source": source, "options": [o.to_dict() for o in options]})

    def _source_done(self, status: SourceStatus, spider: object) -> None:
        self._record(status)

    def _record(self, status: SourceStatus) -> None:
        if status.source in self.state.statuses:
            return  # exactly one final status per site
        self._flush()
        self.state.statuses[status.source] = status
        self._emit("source_done", status.to_dict())

    # --- running --------------------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        """Run every site to completion or the deadline; returns TOTAL (also sent as an event)."""
        self._started = time.monotonic()
        runner = AsyncCrawlerRunner(self.settings)
        tasks: dict[str, asyncio.Task] = {}
        crawlers: dict[str, Crawler] = {}
        args = {k: str(v) for k, v in self.state.query.to_dict().items()}
        for source in self.state.sources:
            settings = self.settings.copy()
            settings.set("FLIGHTCRAWL_DEADLINE", self.site_deadlines[source], priority="cmdline")
            crawler = Crawler(runner.spider_loader.load(source), settings)
            crawler.signals.connect(self._item_scraped, signal=scrapy_signals.item_scraped)
            crawler.signals.connect(self._source_done, signal=fc_signals.source_done)
            crawlers[source] = crawler
            self._emit("progress", {"status": f"Searching {title(source)}...", "source": source})
            tasks[source] = runner.crawl(crawler, search_id=self.state.task_id, **args)
        done, pending = await asyncio.wait(tasks.values(), timeout=self.deadline + STOP_GRACE)
        for source, task in tasks.items():
            if task in done and task.exception() is not None and source not in self.state.statuses:
                exc = task.exception()
                self._record(SourceStatus(source, Status.ERROR, f"{type(exc).__name__}: {exc}",
                                          elapsed=time.monotonic() - self._started))
        if pending:
            late = [s for s, t in tasks.items() if t in pending]
            await asyncio.wait([asyncio.ensure_future(crawlers[s].stop_async()) for s in late],
                               timeout=STOP_GRACE)
            for source in late:
                self._record(SourceStatus(source, Status.TIMEOUT,
                                          f"no answer within the {self.deadline:g} s deadline",
                                          options=sum(1 for o in self.state.options if o.source == source),
                                          elapsed=time.monotonic() - self._started))
        for source in self.state.sources:  # a spider that never reported (should not happen)
            if source not in self.state.statuses:
                self._record(SourceStatus(source, Status.ERROR, "spider ended without a status",
                                          elapsed=time.monotonic() - self._started))
        self._flush()
        total = club(self.state.options, self.state.statuses)
        total["search"] = {"task_id": self.state.task_id, **self.state.query.to_dict(),
                           "sources": self.state.sources,
                           "elapsed": round(time.monotonic() - self._started, 3)}
        self.state.total = total
        self._emit("TOTAL", total)
        return total
