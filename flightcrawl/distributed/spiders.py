"""The worker: a site spider fed from its Redis queue, built on scrapy-redis's RedisMixin.

Stock scrapy-redis reads its queue only when the engine reports the spider idle (a 5 s
heartbeat), lets `make_request_from_data` exceptions kill the spider and lose the popped
batch, and acknowledges nothing. Here `start()` is a long-lived async generator that blocks on
Redis (BLMOVE) and hands each job to the engine the moment it arrives; the spider never
idles out while it runs; a malformed job is logged, reported as that search's error, and
skipped; and a job stays leased until its status is written (see `queue`).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from redis.exceptions import RedisError
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.spiders import RedisMixin

from flightcrawl import signals as fc_signals
from flightcrawl.distributed import connection, defaults
from flightcrawl.distributed.publisher import Publisher
from flightcrawl.distributed.queue import JobQueue, reap
from flightcrawl.jobs import SearchJob
from flightcrawl.sites import title
from flightcrawl.status import SourceStatus, Status

logger = logging.getLogger(__name__)
JOB_FIELDS = ("task_id", "args", "deadline")


class MalformedJob(ValueError):
    def __init__(self, reason: str, task_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.task_id = reason, task_id


def parse_job(data: bytes | str, site: str) -> dict[str, Any]:
    """A job from the queue, checked; MalformedJob says why not (with its task id when known)."""
    try:
        job = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedJob(f"not JSON: {exc}") from None
    if not isinstance(job, dict):
        raise MalformedJob("not a JSON object")
    task_id = job.get("task_id") if isinstance(job.get("task_id"), str) else None
    for name in JOB_FIELDS:
        if name not in job:
            raise MalformedJob(f"missing {name}", task_id)
    if task_id is None:
        raise MalformedJob("task_id must be a string")
    try:
        uuid.UUID(task_id)
    except ValueError:
        raise MalformedJob("task_id is not a UUID") from None
    if not isinstance(job["args"], dict) or not isinstance(job["deadline"], int | float):
        raise MalformedJob("args must be an object and deadline a number", task_id)
    if job.get("site", site) != site:
        raise MalformedJob(f"job for site {job.get('site')!r} in the {site} queue", task_id)
    return job


class WorkerMixin(RedisMixin):
    """Mixed in before a FlightSpider subclass by `worker_spider()`."""

    worker_id: str
    publisher: Publisher

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> WorkerMixin:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup_redis(crawler)
        return spider

    def setup_redis(self, crawler: Crawler | None = None) -> None:
        crawler = crawler or self.crawler
        self.keys = connection.keys(crawler.settings)
        self.redis_key = self.keys.queue(self.name)
        super().setup_redis(crawler)  # scrapy-redis: settings, sync client, idle signal
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.aredis = connection.async_client(crawler.settings)
        self.job_queue = JobQueue(self.aredis, self.keys, self.name, self.worker_id)
        self.publisher = Publisher(self.aredis, self.keys, crawler.settings.getint("FLIGHTCRAWL_TASK_TTL",
                                                                                   defaults.TASK_TTL))
        self.raw_jobs: dict[str, bytes] = {}
        crawler.signals.connect(self._source_done, signal=fc_signals.source_done)
        crawler.signals.connect(self._closed, signal=signals.spider_closed)

    def spider_idle(self) -> None:
        # Jobs come through start(), which blocks on Redis; there is nothing to poll here.
        raise DontCloseSpider

    async def start(self) -> AsyncIterator[Request]:
        self.publisher.start()
        beat = asyncio.ensure_future(self._heartbeat())
        # A gated site's worker gets its session (browser) before its first job.
        if (warm := getattr(self, "warm_up", None)) and (request := warm()) is not None:
            yield request
            try:
                await asyncio.wait_for(self.warmed.wait(), 35)
            except TimeoutError:
                logger.warning("worker %s: no session after 35 s; the first job will try", self.worker_id)
        gc.freeze()  # start-up's objects out of the collector's full passes (as in `serve`)
        logger.info("worker %s reading jobs from %s", self.worker_id, self.redis_key)
        backoff = 0.2
        try:
            while True:
                if self.crawler.engine.needs_backout():
                    await asyncio.sleep(0.005)  # busy: leave jobs to idle workers
                    continue
                try:
                    data = await self.job_queue.lease()
                    backoff = 0.2
                except RedisError as exc:
                    logger.error("worker %s: Redis unavailable (%s); retrying in %.1f s", self.worker_id, exc, backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                if data is None:
                    continue
                for request in self.make_request_from_data(data):
                    yield request
        finally:
            beat.cancel()

    async def _heartbeat(self) -> None:
        while True:
            try:
                await self.job_queue.heartbeat()
                await reap(self.aredis, self.keys, self.name)
            except RedisError as exc:
                logger.warning("worker %s: heartbeat failed: %s", self.worker_id, exc)
            await asyncio.sleep(defaults.HEARTBEAT_SECONDS)

    def make_request_from_data(self, data: bytes) -> list[Request]:
        """Requests for one job; never raises (a bad job is reported and skipped)."""
        leased = self.keys.leased(self.name, self.worker_id)
        try:
            job_data = parse_job(data, self.name)
        except MalformedJob as exc:
            logger.error("worker %s: malformed job skipped (%s): %r", self.worker_id, exc.reason, data[:200],
                         extra={"task_id": exc.task_id})
            self.crawler.stats.inc_value("flightcrawl/jobs/malformed")
            self.server.lpush(self.keys.dead_letters(self.name), data)
            self.server.expire(self.keys.dead_letters(self.name), defaults.TASK_TTL)
            if exc.task_id:
                status = SourceStatus(self.name, Status.ERROR, f"malformed job: {exc.reason}").to_dict()
                self.publisher.finish(exc.task_id, {**status, "attempt": ""}, leased, data)
            else:
                self.server.lrem(leased, 1, data)
            return []
        left = job_data["deadline"] - time.time()
        if left <= 0:
            # Too late to be useful: the API's deadline marks this site timeout.
            self.server.lrem(leased, 1, data)
            self.crawler.stats.inc_value("flightcrawl/jobs/expired")
            return []
        attempt = uuid.uuid4().hex[:12]
        job = self.new_job(job_data["task_id"], job_data["args"], deadline=left, attempt=attempt)
        self.raw_jobs[job.task_id] = data
        self.crawler.stats.inc_value("flightcrawl/jobs/started")
        self.publisher.event(job.task_id, "progress", {"status": f"Searching {title(self.name)}...",
                                                       "source": self.name, "stage": "started",
                                                       "worker": self.worker_id})
        return self.start_job(job)

    def _source_done(self, status: SourceStatus, job: SearchJob) -> None:
        raw = self.raw_jobs.pop(job.task_id, b"")
        self.publisher.finish(job.task_id, {**status.to_dict(), "attempt": job.attempt},
                              self.keys.leased(self.name, self.worker_id), raw)

    async def _closed(self, spider: Any) -> None:
        await self.publisher.stop()
        try:
            moved = await self.job_queue.release()
            if moved:
                logger.info("worker %s: %d unfinished jobs returned to the queue", self.worker_id, moved)
        except RedisError as exc:
            logger.error("worker %s: could not return its jobs (%s); they come back when its lease expires",
                         self.worker_id, exc)
        await self.aredis.aclose()


def worker_spider(spidercls: type) -> type:
    """The worker flavour of a site spider (same name, settings and parsing)."""
    return type(f"{spidercls.__name__}Worker", (WorkerMixin, spidercls), {})
