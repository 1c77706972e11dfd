"""Distributed mode: searches go to Redis queues; workers elsewhere answer into Redis Streams.

Each API process also runs the finisher: woken by the `completions` stream whenever a site's
status is written, and by a timer for deadlines, it appends TOTAL exactly once per search
(an atomic script decides which process wins) and times out sites that missed the deadline.

However many clients stream however many searches, this process reads their Redis Streams with
one XREAD: a `_Mirror` per followed search holds its events in memory while anyone listens, and
is dropped when the last client leaves (2,000 clients on 200 searches hold one Redis connection,
not 2,000, so the connection pool is never the limit).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from flightcrawl.api.backend import Event, UnknownTask, result_from_events, search_digest, site_summary
from flightcrawl.api.fanout import SearchLog, Sink
from flightcrawl.distributed import defaults, events
from flightcrawl.distributed.keys import Keys
from flightcrawl.distributed.queue import live_workers, reap
from flightcrawl.distributed.tasks import assemble_total, task_meta, try_finish
from flightcrawl.query import SearchQuery
from flightcrawl.sites import SITES, title

logger = logging.getLogger(__name__)
DEADLINE_POLL = 0.1  # how often the finisher looks for searches past their deadline
OUTCOMES_KEPT = 100
READ_BLOCK_MS = 250  # how long the shared read waits; a search followed meanwhile is read alone until it joins
LOST_CHECK_SECONDS = 2.0
# Under load, wait this long after a read that brought many entries, so the next read carries
# many too (fewer reads, same delivery); a read that brought a few is followed at once, so a
# quiet search's events are not held back.
READ_BATCH_SECONDS = 0.02
READ_BATCH_ENTRIES = 50
LOST_REASON = "the search's state was lost (Redis restarted mid-search); start the search again"


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


class _Mirror(SearchLog):
    """One search's events as this process has read them, shared by all its clients here."""

    def __init__(self, task_id: str, meta: dict[str, Any]) -> None:
        super().__init__()
        self.task_id, self.meta = task_id, meta
        self.clients = 0
        self.last = "0-0"  # the newest entry read from Redis

    def resume_point(self, after: str | None) -> tuple[int, int] | None:
        return _id_key(after) if after else None

    def skip(self, event: Event, after: object) -> bool:
        return event.id != "lost" and _id_key(event.id) <= after  # the client had it before it reconnected

    def lost_total(self) -> Event:
        """TOTAL from what was read before the state vanished; unfinished sites end `error`."""
        done = {e.data["source"]: e.data for e in self.events if e.type == "source_done"}
        for site in self.meta["sources"]:
            done.setdefault(site, {"source": site, "status": "error", "reason": LOST_REASON, "options": 0,
                                   "dropped": 0, "elapsed": round(time.time() - self.meta["created"], 3),
                                   "extra": {}, "attempt": ""})
        total = assemble_total(self.meta, done, [e.data for e in self.events if e.type == "partial"])
        total["search"]["task_id"] = self.task_id
        total["search"]["lost"] = True
        return Event("lost", "TOTAL", total)


class RedisBackend:
    mode = "distributed"

    def __init__(self, client: aioredis.Redis, keys: Keys, dedupe_ttl: int = defaults.DEDUPE_TTL,
                 task_ttl: int = defaults.TASK_TTL) -> None:
        self.client, self.keys = client, keys
        self.dedupe_ttl, self.task_ttl = dedupe_ttl, task_ttl
        self.finisher: asyncio.Task | None = None
        self.mirrors: dict[str, _Mirror] = {}
        self.reader: asyncio.Task | None = None
        self.reading: frozenset[str] = frozenset()  # the searches in the shared read now waiting
        self.joining: set[asyncio.Task] = set()
        self.opening: dict[str, asyncio.Future] = {}
        self.on_outcome: Callable[[str, str, float], None] | None = None  # the app's metrics

    # --- searches -------------------------------------------------------------------------

    async def start(self, query: SearchQuery, sources: list[str], deadline: float,
                    site_deadlines: dict[str, float] | None = None) -> tuple[str, bool]:
        digest_key = self.keys.dedupe(search_digest(query, sources))
        task_id = str(uuid.uuid4())
        if self.dedupe_ttl > 0 and not await self.client.set(digest_key, task_id, nx=True, ex=self.dedupe_ttl):
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
            pipe.expire(self.keys.pending(), self.task_ttl)  # every key has a TTL (refreshed by each search)
            for site in sources:
                job = {"task_id": task_id, "site": site, "args": query.to_dict(), "deadline": now + per_site[site]}
                pipe.lpush(self.keys.queue(site), json.dumps(job))
                pipe.expire(self.keys.queue(site), self.task_ttl)
            await pipe.execute()
        return task_id, True

    async def _known(self, task_id: str) -> dict[str, Any]:
        meta = await task_meta(self.client, self.keys, task_id)
        if meta is None:
            raise UnknownTask(task_id)
        return meta

    async def exists(self, task_id: str) -> bool:
        if task_id in self.mirrors:
            return True
        try:
            await self._meta(task_id)
        except UnknownTask:
            return False
        return True

    async def _meta(self, task_id: str) -> dict[str, Any]:
        """The task's meta; a burst of clients of one search reads it from Redis once."""
        opening = self.opening.get(task_id)
        if opening is None:
            opening = self.opening[task_id] = asyncio.ensure_future(self._known(task_id))
            # Kept briefly after it is read, so the rest of a burst finds it done.
            opening.add_done_callback(lambda _: asyncio.get_running_loop().call_later(
                1.0, lambda: self.opening.pop(task_id, None)))
        return await asyncio.shield(opening)

    async def stream(self, task_id: str, sink: Sink, after: str | None = None) -> None:
        mirror = self.mirrors.get(task_id)
        if mirror is None or mirror.error is not None:
            meta = await self._meta(task_id)
            mirror = self.mirrors.get(task_id)
            if mirror is None or mirror.error is not None:
                mirror = self.mirrors[task_id] = _Mirror(task_id, meta)
                if self.reader is None or self.reader.done():
                    self.reader = asyncio.ensure_future(self._read_streams())
                else:  # the shared read is waiting on the other searches: this one is read alone until it joins
                    joiner = asyncio.ensure_future(self._read_until_joined(mirror))
                    self.joining.add(joiner)
                    joiner.add_done_callback(self.joining.discard)
        mirror.clients += 1
        try:
            await mirror.stream(sink, _stream_id(after))
        finally:
            mirror.clients -= 1
            if not mirror.clients and self.mirrors.get(task_id) is mirror:
                del self.mirrors[task_id]

    async def _read_streams(self) -> None:
        """One XREAD for every followed search still running; ends when none is left.

        A search whose task hash vanished (checked every LOST_CHECK_SECONDS, and at once when
        Redis is back after an outage) ends with a TOTAL saying so; an outage longer than
        FOLLOW_OUTAGE_SECONDS ends its streams (clients resume with Last-Event-ID).
        """
        outage_since: float | None = None
        checked = time.monotonic()
        while True:
            live = {t: m for t, m in self.mirrors.items() if not m.done and m.error is None}
            if not live:
                return
            names = {self.keys.events(t): t for t in live}
            self.reading = frozenset(live)
            try:
                answer = await self.client.xread({k: live[t].last for k, t in names.items()},
                                                 block=READ_BLOCK_MS, count=200)
                recovered, outage_since = outage_since is not None, None
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                now = time.monotonic()
                outage_since = outage_since or now
                if now - outage_since > defaults.FOLLOW_OUTAGE_SECONDS:
                    for mirror in live.values():
                        mirror.fail(exc)
                await asyncio.sleep(0.5)
                continue
            for key, entries in answer or []:
                self._deliver(live[names[key.decode() if isinstance(key, bytes) else key]], entries)
            if answer and sum(len(entries) for _, entries in answer) >= READ_BATCH_ENTRIES:
                await asyncio.sleep(READ_BATCH_SECONDS)
            if recovered or time.monotonic() - checked > LOST_CHECK_SECONDS:
                checked = time.monotonic()
                await self._end_lost({t: m for t, m in live.items() if not m.done})

    @staticmethod
    def _deliver(mirror: _Mirror, entries: list) -> None:
        for entry_id, fields in entries:
            logged = events.decode(entry_id, fields)
            if _id_key(logged.id) <= _id_key(mirror.last):
                continue  # read by both the shared read and a joining search's own
            mirror.last = logged.id
            if not mirror.done:
                mirror.append(Event(logged.id, logged.type, text=logged.raw))  # logged JSON, sent as is

    async def _read_until_joined(self, mirror: _Mirror) -> None:
        """A search followed while the shared read waits is read on its own until the next
        shared read includes it, so its first events are not held back up to READ_BLOCK_MS."""
        key = self.keys.events(mirror.task_id)
        while (mirror.task_id not in self.reading and not mirror.done and mirror.error is None
               and self.mirrors.get(mirror.task_id) is mirror and self.reader is not None and not self.reader.done()):
            try:
                answer = await self.client.xread({key: mirror.last}, block=READ_BLOCK_MS, count=200)
            except (RedisError, OSError):
                return  # the shared read deals with outages
            for _, entries in answer or []:
                self._deliver(mirror, entries)

    async def _end_lost(self, running: dict[str, _Mirror]) -> None:
        if not running:
            return
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for task_id in running:
                    pipe.exists(self.keys.task(task_id))
                present = await pipe.execute()
        except RedisError:
            return  # the next round checks again
        for (task_id, mirror), exists in zip(running.items(), present, strict=True):
            if not exists:
                logger.warning("search %s: its state is gone from Redis; ending its streams", task_id)
                mirror.append(mirror.lost_total())

    def followed(self) -> int:
        """How many searches this process reads for its streams (a gauge in /metrics)."""
        return len(self.mirrors)

    async def result(self, task_id: str) -> dict[str, Any]:
        meta = await self._known(task_id)
        logged = [Event(e.id, e.type, text=e.raw) for e in await events.replay(self.client, self.keys, task_id)]
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
        next_reap = next_due = 0.0
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
                        if fields.get(b"all", b"1") == b"1":  # the search's last status (or unknown)
                            candidates.add(fields[b"task"].decode())
                if time.monotonic() >= next_due:  # deadlines, every DEADLINE_POLL however busy
                    next_due = time.monotonic() + DEADLINE_POLL
                    due = await self.client.zrangebyscore(self.keys.pending(), "-inf", time.time())
                    candidates.update(t.decode() for t in due)
                for task_id in candidates:
                    if (final := await try_finish(self.client, self.keys, task_id, self.task_ttl)) is not None:
                        await self._record_outcomes(final)
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

    async def _record_outcomes(self, final: dict[str, dict[str, Any]]) -> None:
        async with self.client.pipeline(transaction=False) as pipe:
            for site, status in final.items():
                if self.on_outcome is not None:
                    self.on_outcome(site, status["status"], status["elapsed"])
                pipe.lpush(self.keys.stats(site), f"{status['elapsed']} {status['status']}")
                pipe.ltrim(self.keys.stats(site), 0, OUTCOMES_KEPT - 1)
                pipe.expire(self.keys.stats(site), self.task_ttl)
            await pipe.execute()

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        for joiner in list(self.joining):
            joiner.cancel()
        if self.finisher is not None:
            self.finisher.cancel()
            try:
                await self.finisher
            except (asyncio.CancelledError, Exception):
                pass
        await self.client.aclose()


def _stream_id(value: str | None) -> str | None:
    """A Last-Event-ID is only used when it has the shape of a stream entry id."""
    if value and value.replace("-", "").isdigit() and value.count("-") == 1:
        return value
    return None
