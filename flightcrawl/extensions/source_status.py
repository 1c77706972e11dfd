"""Decide each job's one final status, and announce it.

A job is final when it is settled (no request open, no callback running, every yielded item
through the pipelines) or when its deadline has passed (then unfinished work is `timeout`).
The status goes out once as `flightcrawl.signals.source_done`, which the embedded runner and,
in distributed mode, the Redis publisher listen to.
"""

from __future__ import annotations

import logging

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.asyncio import create_looping_call

from flightcrawl import signals as fc_signals
from flightcrawl.items import OptionBatch
from flightcrawl.jobs import SearchJob

logger = logging.getLogger(__name__)

# After its deadline a job gets this long for its last answer to clear the pipelines.
LATE_GRACE = 0.5
WATCH_INTERVAL = 0.25


class SourceStatusExtension:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.watchdog = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.job_progress, signal=fc_signals.job_progress)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.item_dropped, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceStatusExtension:
        return cls(crawler)

    def _jobs(self) -> dict[str, SearchJob]:
        return getattr(self.crawler.spider, "jobs", {})

    def spider_opened(self, spider: Spider) -> None:
        self.watchdog = create_looping_call(self.check_deadlines)
        self.watchdog.start(WATCH_INTERVAL, now=False)

    def job_progress(self, job: SearchJob) -> None:
        self.check(job)

    def item_scraped(self, item: object) -> None:
        if (job := self._jobs().get(getattr(item, "task_id", None) or "")) is not None:
            job.items_scraped += 1
            if isinstance(item, OptionBatch):
                job.options_kept += len(item.options)
                job.options_dropped += item.dropped
            self.check(job)

    def item_dropped(self, item: object) -> None:
        """A batch dropped whole, or a pipeline raised on it: none of its options is shown."""
        if (job := self._jobs().get(getattr(item, "task_id", None) or "")) is not None:
            job.items_dropped += 1
            if isinstance(item, OptionBatch):
                job.options_dropped += len(item.options) + item.dropped
            self.check(job)

    def check(self, job: SearchJob) -> None:
        if job.final is None and job.settled:
            self.finish(job)
        if job.final is not None and job.settled:
            self._jobs().pop(job.task_id, None)  # nothing of it is left in flight

    def check_deadlines(self) -> None:
        for job in list(self._jobs().values()):
            if job.final is None and job.seconds_left < -LATE_GRACE:
                self.finish(job, late=True)

    def finish(self, job: SearchJob, late: bool = False, stopped: str | None = None) -> None:
        result = job.conclude(late=late, stopped=stopped)
        stats = self.crawler.stats
        stats.inc_value(f"flightcrawl/status/{result.status}")
        stats.set_value("flightcrawl/status", str(result.status))
        stats.set_value("flightcrawl/reason", result.reason)
        logger.info("flightcrawl %s", result.line(), extra={"task_id": job.task_id})
        self.crawler.signals.send_catch_log(fc_signals.source_done, status=result, job=job,
                                            spider=self.crawler.spider)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.watchdog is not None and self.watchdog.running:
            self.watchdog.stop()
        for job in list(self._jobs().values()):
            if job.final is None:
                late = reason == "closespider_timeout" or job.seconds_left <= 0
                self.finish(job, late=late, stopped=None if reason == "finished" else reason)
