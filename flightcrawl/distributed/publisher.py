"""A worker's writes to Redis, in order, batched, and never lost to a Redis hiccup.

Partials, progress and final statuses are queued in memory and written by one task, so a
site's options are always logged before its `source_done`; several queued writes go out in
one pipeline (one round trip). If Redis is unreachable the batch is kept and retried with
backoff until it succeeds or the worker stops.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from flightcrawl.distributed import defaults, events
from flightcrawl.distributed.keys import Keys
from flightcrawl.distributed.tasks import APPEND_EVENT, FINISH_SITE, finish_site_args

logger = logging.getLogger(__name__)
MAX_BATCH = 500


@dataclass
class _Write:
    kind: str  # event | finish
    task_id: str
    type: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    leased_key: str | None = None
    raw_job: bytes = b""


class Publisher:
    def __init__(self, client: aioredis.Redis, keys: Keys, ttl: int = defaults.TASK_TTL) -> None:
        self.client, self.keys, self.ttl = client, keys, ttl
        self.queue: asyncio.Queue[_Write] = asyncio.Queue()
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        if self.task is None:
            self.task = asyncio.ensure_future(self._run())

    def event(self, task_id: str, type_: str, data: dict[str, Any]) -> None:
        self.queue.put_nowait(_Write("event", task_id, type_, data))

    def finish(self, task_id: str, status: dict[str, Any], leased_key: str | None, raw_job: bytes) -> None:
        self.queue.put_nowait(_Write("finish", task_id, data=status, leased_key=leased_key, raw_job=raw_job))

    async def flush(self, timeout: float = 5.0) -> None:
        try:
            await asyncio.wait_for(self.queue.join(), timeout)
        except TimeoutError:
            logger.error("publisher: %d writes not flushed to Redis at shutdown", self.queue.qsize())

    async def stop(self) -> None:
        await self.flush()
        if self.task is not None:
            self.task.cancel()

    async def _run(self) -> None:
        delay = 0.1
        while True:
            batch = [await self.queue.get()]
            while not self.queue.empty() and len(batch) < MAX_BATCH:
                batch.append(self.queue.get_nowait())
            taken = len(batch)
            batch = _merge_partials(batch)
            while True:
                try:
                    await self._write(batch)
                    delay = 0.1
                    break
                except RedisError as exc:
                    logger.error("publisher: Redis write failed (%s); retrying in %.1f s", exc, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
            for _ in range(taken):
                self.queue.task_done()

    async def _write(self, batch: list[_Write]) -> None:
        async with self.client.pipeline(transaction=False) as pipe:
            for write in batch:
                if write.kind == "event":
                    fields = events.encode(write.type, write.data)
                    pipe.eval(APPEND_EVENT, 2, self.keys.events(write.task_id), self.keys.total(write.task_id),
                              fields["t"], fields["d"], self.ttl)
                else:
                    script_keys, args = finish_site_args(self.keys, write.task_id, write.data["source"], write.data,
                                                         self.ttl, write.leased_key, write.raw_job)
                    pipe.eval(FINISH_SITE, len(script_keys), *script_keys, *args)
            await pipe.execute()


def _merge_partials(batch: list[_Write]) -> list[_Write]:
    """Consecutive partials of one site's delivery become one event."""
    merged: list[_Write] = []
    for write in batch:
        last = merged[-1] if merged else None
        if (last is not None and write.kind == last.kind == "event" and write.type == last.type == "partial"
                and write.task_id == last.task_id and write.data["source"] == last.data["source"]
                and write.data.get("attempt") == last.data.get("attempt")):
            last.data = {**last.data, "options": last.data["options"] + write.data["options"]}
        else:
            merged.append(write)
    return merged
