"""Every request of a search fits inside the search's deadline, retries included.

A downloader middleware: each request (a retry is a new pass through here) gets the time
left as its download timeout, and once none is left it is not sent at all; its errback then
reports `timeout`. Without this, Scrapy's retry of a timed-out request would start a second
full-length download after the deadline.

A request may also ask to wait before it is sent (`meta[WAIT_KEY]` seconds): a site polled
until its results are ready. The wait, too, ends by the deadline.
"""

from __future__ import annotations

import asyncio
import time

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from flightcrawl.jobs import META_KEY

# Below this, a request could not get an answer back in time anyway.
MIN_USEFUL_SECONDS = 0.05
WAIT_KEY = "flightcrawl_wait"


class DeadlineExceeded(IgnoreRequest):
    """The search's deadline passed before this request could be sent."""


class DeadlineMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DeadlineMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        jobs = getattr(self.crawler.spider, "jobs", {})
        job = jobs.get(request.meta.get(META_KEY, ""))
        if job is None:
            return
        if wait := request.meta.pop(WAIT_KEY, 0):  # popped: a retry of this request does not wait again
            await asyncio.sleep(max(0.0, min(wait, job.deadline_at - time.monotonic() - MIN_USEFUL_SECONDS)))
        left = job.deadline_at - time.monotonic()
        if left < MIN_USEFUL_SECONDS:
            raise DeadlineExceeded(f"search deadline passed before {request.url} was sent")
        request.meta["download_timeout"] = min(left, request.meta.get("download_timeout") or left)
