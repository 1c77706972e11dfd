"""Decide each site's one final status when its spider closes, and announce it.

The spider records the first failure it meets (Outcome); this extension adds what only the
end knows (how many options survived the pipelines, whether the deadline closed the spider)
and sends `flightcrawl.signals.source_done`, which the embedded runner (and in distributed
mode the publisher) listens to.
"""

from __future__ import annotations

import logging
import time

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from flightcrawl import signals as fc_signals
from flightcrawl.status import SourceStatus, Status

logger = logging.getLogger(__name__)


def final_status(spider: Spider, close_reason: str, scraped: int, dropped: int,
                 elapsed: float) -> SourceStatus:
    outcome = getattr(spider, "outcome", None)
    status, reason = (outcome.status, outcome.reason) if outcome else (None, "")
    if close_reason == "closespider_timeout" and status is None:
        status, reason = Status.TIMEOUT, "deadline reached before the site answered"
    elif close_reason in ("shutdown", "cancelled") and status is None:
        status, reason = Status.ERROR, f"search stopped ({close_reason})"
    if status is None:
        if scraped:
            status = Status.OK
        elif dropped:
            status, reason = Status.BAD_RESPONSE, f"all {dropped} options failed validation"
        else:
            status = Status.NO_RESULTS
    if dropped and status is Status.OK:
        reason = f"{dropped} unreadable options dropped"
    return SourceStatus(source=spider.name, status=status, reason=reason, options=scraped,
                        dropped=dropped, elapsed=elapsed)


class SourceStatusExtension:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.opened = time.monotonic()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceStatusExtension:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        self.opened = time.monotonic()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        result = final_status(
            spider,
            reason,
            scraped=stats.get_value("item_scraped_count", 0),
            dropped=stats.get_value("flightcrawl/dropped", 0),
            elapsed=time.monotonic() - self.opened,
        )
        stats.set_value("flightcrawl/status", str(result.status))
        stats.set_value("flightcrawl/reason", result.reason)
        logger.info("flightcrawl %s", result.line())
        self.crawler.signals.send_catch_log(fc_signals.source_done, status=result, spider=spider)
