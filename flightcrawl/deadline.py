"""Every request of a search fits inside the search's deadline, retries included.

A downloader middleware: each request (a retry is a new pass through here) gets the time
left as its download timeout, and once none is left it is not sent at all; its errback then
reports `timeout`. Without this, Scrapy's retry of a timed-out request would start a second
full-length download after the deadline.
"""

from __future__ import annotations

import time

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

# Below this, a request could not get an answer back in time anyway.
MIN_USEFUL_SECONDS = 0.05


class DeadlineExceeded(IgnoreRequest):
    """The search's deadline passed before this request could be sent."""


class DeadlineMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.seconds = crawler.settings.getfloat("FLIGHTCRAWL_DEADLINE", 30.0)
        self.deadline_at: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DeadlineMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if self.deadline_at is None:  # the clock starts with the search's first request
            self.deadline_at = getattr(self.crawler.spider, "deadline_at", None) or time.monotonic() + self.seconds
        left = self.deadline_at - time.monotonic()
        if left < MIN_USEFUL_SECONDS:
            raise DeadlineExceeded(f"search deadline passed before {request.url} was sent")
        request.meta["download_timeout"] = min(left, request.meta.get("download_timeout") or left)
