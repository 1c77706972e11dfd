"""Publish each response's normalized options to its search's event log (distributed workers only).

A batch becomes one `partial` event, queued on the worker's Publisher, which writes it before
the site's `source_done`. Options of a job already concluded (late after its deadline) are not
published: TOTAL has gone or is going without them.
"""

from __future__ import annotations

from scrapy.crawler import Crawler

from flightcrawl.items import OptionBatch


class PublishPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PublishPipeline:
        return cls(crawler)

    def process_item(self, item: object) -> object:
        spider = self.crawler.spider
        publisher = getattr(spider, "publisher", None)
        if publisher is None or not isinstance(item, OptionBatch) or not item.options:
            return item  # not a worker: the embedded runner listens to item_scraped instead
        job = spider.jobs.get(item.task_id or "")
        if job is None or job.final is not None:
            self.crawler.stats.inc_value("flightcrawl/late_options", len(item.options))
            return item
        publisher.event(job.task_id, "partial", {"source": spider.name, "attempt": job.attempt,
                                                 "options": list(item.options)})
        # FlightOptions as they are: orjson writes a dataclass itself (its fields, in order: the
        # same JSON as to_dict()) when the publisher encodes the event, without a dict per option.
        return item
