"""Distributed mode: searches go to Redis queues; workers elsewhere answer into Redis Streams.

Each API process also runs the finisher: woken by the `completions` stream whenever a site's
status is written, and by a timer for deadlines, it appends TOTAL exactly once per search
(an atomic script decides which process wins) and times out sites that missed the deadline.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from flightcrawl.api.backend import Event, UnknownTask, result_from_events, search_digest, site_summary
from flightcrawl.distributed import defaults, events
from flightcrawl.distributed.keys import Keys
from flightcrawl.distributed.queue import live_workers, reap
from flightcrawl.distributed.tasks import statuses, task_meta, try_finish
from flightcrawl.query import SearchQuery
from flightcrawl.sites import SITES, title

logger = logging.getLogger(__name__)
DEADLINE_POLL = 0.1  # how often the finisher looks for searches past their deadline
OUTCOMES_KEPT = 100


class RedisBackend:
    mode = "distributed"

    def __init__(self, client: aioredis.Redis, keys: Keys, dedupe_ttl: int = defaults.DEDUPE_TTL,
                 task_ttl: int = defaults.TASK_TTL) -> None:
        self.client, self.keys = client, keys
        self.dedupe_ttl, self.task_ttl = dedupe_ttl, task_ttl
        self.finisher: asyncio.Task | None = None
        self.hub = StreamHub(client, keys)

    # --- searches -------------------------------------------------------------------------

    async def start(self, query: SearchQuery, sources: list[str], deadline: float,
                    site_deadlines: dict[str, float] | None = None) -> tuple[str, bool]:
        digest_key = self.keys.dedupe(search_digest(query, sources))
        task_id = str(uuid.uuid4())
        if not await self.client.set(digest_key, task_id, nx=True, ex=self.dedupe_ttl):
            existing = await self.client.get(digest_key)
            if existing and await self.client.exists(self.keys.task(existing.decode())):
                return existing.decode(), False
            await self.client.set(digest_key, task_id, ex=self.dedupe_ttl)
        now = time.time()
        per_site = {s: min(deadline, (site_deadlines or {}).get(s, deadline)) for s in sources}
        search_deadline = now + max(per_site.values())
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.task(task_id), mapping={
                "query": json.dumps(query.to_dict()), "sources": json.dumps(sources),
                "deadline": str(search_deadline), "created": str(now)})
            pipe.expire(self.keys.task(task_id), self.task_ttl)
            for site in sources:
                pipe.xadd(self.keys.events(task_id), events.encode(
                    "progress", {"status": f"Searching {title(site)}...", "source": site, "stage": "queued"}))
            pipe.expire(self.keys.events(task_id), self.task_ttl)
            pipe.zadd(self.keys.pending(), {task_id: search_deadline})
            for site in sources:
                job = {"task_id": task_id, "site": site, "args": query.to_dict(), "deadline": now + per_site[site]}
                pipe.lpush(self.keys.queue(site), json.dumps(job))
            await pipe.execute()
        return task_id, True

    async def _known(self, task_id: str) -> dict[str, Any]:
        meta = await task_meta(self.client, self.keys, task_id)
        if meta is None:
            raise UnknownTask(task_id)
        return meta

    async def exists(self, task_id: str) -> bool:
        return bool(await self.client.exists(self.keys.task(task_id)))

    async def events(self, task_id: str, after: str | None = None) -> AsyncIterator[Event]:
        await self._known(task_id)
        feed = await self.hub.feed(task_id)
        feed.subscribers += 1
        try:
            async for event in feed.read(_stream_id(after)):
                yield event
        finally:
            feed.subscribers -= 1
            self.hub.release(task_id, feed)

    async def result(self, task_id: str) -> dict[str, Any]:
        meta = await self._known(task_id)
        logged = [Event(e.id, e.type, e.data) for e in await events.replay(self.client, self.keys, task_id)]
        return result_from_events(task_id, meta, logged)

    # --- health ---------------------------------------------------------------------------

    async def sources(self) -> dict[str, Any]:
        info = {}
        for site in SITES:
            outcomes = [tuple(x.decode().split(" ", 1)) for x in await self.client.lrange(self.keys.stats(site), 0, -1)]
            info[site] = site_summary(site, [(s, float(e)) for e, s in outcomes][::-1],
                                      workers=await live_workers(self.client, self.keys, site),
                                      queued=await self.client.llen(self.keys.queue(site)))
        return info

    async def health(self) -> dict[str, Any]:
        started = time.perf_counter()
        await self.client.ping()
        return {"status": "ok", "mode": self.mode, "redis_ms": round((time.perf_counter() - started) * 1000, 2),
                "pending_searches": await self.client.zcard(self.keys.pending())}

    # --- the finisher ---------------------------------------------------------------------

    def start_finisher(self) -> None:
        self.finisher = asyncio.ensure_future(self._finish_loop())

    async def _finish_loop(self) -> None:
        last: str | None = None
        next_reap = 0.0
        backoff = 0.2
        while True:
            try:
                if last is None:
                    # Never "$" in the loop: entries added between two reads would be missed.
                    newest = await self.client.xrevrange(self.keys.completions(), count=1)
                    last = newest[0][0].decode() if newest else "0-0"
                answer = await self.client.xread({self.keys.completions(): last}, block=int(DEADLINE_POLL * 1000),
                                                 count=200)
                candidates = set()
                for _, entries in answer or []:
                    for entry_id, fields in entries:
                        last = entry_id.decode()
                        candidates.add(fields[b"task"].decode())
                due = await self.client.zrangebyscore(self.keys.pending(), "-inf", time.time())
                candidates.update(t.decode() for t in due)
                for task_id in candidates:
                    if await try_finish(self.client, self.keys, task_id, self.task_ttl):
                        await self._record_outcomes(task_id)
                if time.monotonic() >= next_reap:
                    next_reap = time.monotonic() + defaults.HEARTBEAT_SECONDS
                    for site in SITES:
                        await reap(self.client, self.keys, site)
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                logger.error("finisher: Redis unavailable (%s); retrying in %.1f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:  # a bad task must not stop every other search's TOTAL
                logger.exception("finisher: unexpected error")
                await asyncio.sleep(0.5)

    async def _record_outcomes(self, task_id: str) -> None:
        async with self.client.pipeline(transaction=False) as pipe:
            for site, status in (await statuses(self.client, self.keys, task_id)).items():
                pipe.lpush(self.keys.stats(site), f"{status['elapsed']} {status['status']}")
                pipe.ltrim(self.keys.stats(site), 0, OUTCOMES_KEPT - 1)
                pipe.expire(self.keys.stats(site), self.task_ttl)
            await pipe.execute()

    async def close(self) -> None:
        await self.hub.close()
        if self.finisher is not None:
            self.finisher.cancel()
            try:
                await self.finisher
            except (asyncio.CancelledError, Exception):
                pass
        await self.client.aclose()


class TaskFeed:
    """A search's events as read by this API process, shared by all its SSE clients."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.last = "0-0"  # the stream entry read last
        self.live = False  # replayed: the hub now follows it
        self.finished = False  # TOTAL seen
        self.failed: BaseException | None = None
        self.subscribers = 0
        self._changed = asyncio.Event()

    def add(self, event: Event) -> None:
        self.events.append(event)
        self.last = event.id
        if event.type == events.TERMINAL:
            self.finished = True
        self.wake()

    def wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def read(self, after: str | None) -> AsyncIterator[Event]:
        position = _after_position(self.events, after) if after else 0
        while True:
            changed = self._changed
            while position < len(self.events):
                event = self.events[position]
                position += 1
                yield event
                if event.type == events.TERMINAL:
                    return
            if self.failed is not None:
                raise self.failed
            await changed.wait()


class StreamHub:
    """Every followed search's stream, read by one XREAD per API process.

    Each SSE client holding its own blocking XREAD meant one Redis connection per client
    (10,000 clients: 10,000 connections). The hub watches all followed streams in one
    `XREAD BLOCK` and fans events out in memory; a new search is replayed with XRANGE and
    then joins the watch list at its last entry, so nothing is missed between the two.
    """

    BLOCK_MS = 50  # bounds how long a newly followed search waits to join the watch list

    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self.client, self.keys = client, keys
        self.feeds: dict[str, TaskFeed] = {}
        self._loop: asyncio.Task | None = None
        self._added = asyncio.Event()

    async def feed(self, task_id: str) -> TaskFeed:
        feed = self.feeds.get(task_id)
        if feed is None or feed.failed is not None:
            feed = self.feeds[task_id] = TaskFeed()
            for logged in await events.replay(self.client, self.keys, task_id):
                feed.add(Event(logged.id, logged.type, logged.data, logged.raw))
            feed.live = True
            self._added.set()
            if self._loop is None or self._loop.done():
                self._loop = asyncio.ensure_future(self._follow())
        return feed

    def release(self, task_id: str, feed: TaskFeed) -> None:
        if feed.subscribers == 0 and (feed.finished or feed.failed is not None):
            if self.feeds.get(task_id) is feed:
                del self.feeds[task_id]

    async def _follow(self) -> None:
        outage_since: float | None = None
        while True:
            watch = {self.keys.events(t): f.last for t, f in self.feeds.items() if f.live and not f.finished}
            if not watch:
                self._added.clear()
                await self._added.wait()
                continue
            try:
                answer = await self.client.xread(watch, block=self.BLOCK_MS, count=500)
                outage_since = None
            except RedisError as exc:
                outage_since = outage_since or time.monotonic()
                if time.monotonic() - outage_since > defaults.FOLLOW_OUTAGE_SECONDS:
                    for feed in list(self.feeds.values()):
                        if not feed.finished:
                            feed.failed = exc
                            feed.wake()
                    outage_since = None
                await asyncio.sleep(0.5)
                continue
            prefix_len = len(self.keys.events("")) - len(":events")
            for stream, entries in answer or []:
                name = stream.decode()
                task_id = name[prefix_len:-len(":events")]
                feed = self.feeds.get(task_id)
                if feed is None:
                    continue
                for entry_id, fields in entries:
                    logged = events.decode(entry_id, fields)
                    feed.add(Event(logged.id, logged.type, logged.data, logged.raw))
                self.release(task_id, feed)  # finished and nobody left watching: drop it

    async def close(self) -> None:
        if self._loop is not None:
            self._loop.cancel()


def _entry(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _after_position(logged: list[Event], after: str) -> int:
    """Index of the first event after `after` (stream ids order as (ms, seq) pairs)."""
    mark = _entry(after)
    for index, event in enumerate(logged):
        if _entry(event.id) > mark:
            return index
    return len(logged)


def _stream_id(value: str | None) -> str | None:
    """A Last-Event-ID is only used when it has the shape of a stream entry id."""
    if value and value.replace("-", "").isdigit() and value.count("-") == 1:
        return value
    return None
