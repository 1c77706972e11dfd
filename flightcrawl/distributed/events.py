"""The per-search event log: a Redis Stream whose entry ids are the SSE ids.

Entries have two fields: `t` (the event type: progress, partial, source_done, TOTAL) and `d`
(JSON). A client that connects late, or reconnects with Last-Event-ID, replays from the log,
so nothing is lost to timing (Pub/Sub alone lost everything sent before a subscriber joined).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from flightcrawl import fastjson
from flightcrawl.distributed import defaults
from flightcrawl.distributed.keys import Keys

TERMINAL = "TOTAL"


class TaskLost(Exception):
    """The search's state is gone from Redis (a restart without persistence, or it expired)."""


class LoggedEvent:
    """An entry of the log; `raw` is the JSON as logged (sent to SSE clients as is, never
    re-serialized), parsed into `data` only when something reads it."""

    __slots__ = ("id", "type", "raw", "_data")

    def __init__(self, id: str, type: str, raw: str) -> None:
        self.id, self.type, self.raw = id, type, raw
        self._data: dict[str, Any] | None = None

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = fastjson.loads(self.raw)
        return self._data


def encode(type_: str, data: dict[str, Any]) -> dict[str, str]:
    return {"t": type_, "d": fastjson.dumps(data)}


def decode(entry_id: bytes | str, fields: dict) -> LoggedEvent:
    def text(value: bytes | str) -> str:
        return value.decode() if isinstance(value, bytes) else value

    get = {text(k): text(v) for k, v in fields.items()}
    return LoggedEvent(text(entry_id), get["t"], get["d"])


async def replay(client: aioredis.Redis, keys: Keys, task_id: str, after: str | None = None) -> list[LoggedEvent]:
    start = f"({after}" if after else "-"
    return [decode(i, f) for i, f in await client.xrange(keys.events(task_id), min=start, max="+")]


async def follow(client: aioredis.Redis, keys: Keys, task_id: str, after: str | None = None,
                 block_ms: int = int(defaults.MAX_BLOCK_SECONDS * 1000)) -> AsyncIterator[LoggedEvent]:
    """Everything logged after `after`, then live entries as they come; ends after TOTAL.

    A Redis outage is ridden out (retrying from the last entry seen, so nothing is lost or
    repeated) for up to FOLLOW_OUTAGE_SECONDS; then the follow ends and the client may resume
    with Last-Event-ID. When nothing arrives for a block, or Redis is back after an outage, the
    task's hash is checked: if it is gone (Redis restarted without persistence), TaskLost, so no
    follower waits forever for a TOTAL that nobody will write.
    """
    last = after or "0-0"
    stream = keys.events(task_id)
    for event in await replay(client, keys, task_id, after):
        last = event.id
        yield event
        if event.type == TERMINAL:
            return
    outage_since: float | None = None
    while True:
        try:
            answer = await client.xread({stream: last}, block=block_ms, count=500)
            if not answer or outage_since is not None:
                if not await client.exists(keys.task(task_id)):
                    raise TaskLost(task_id)
            outage_since = None
        except RedisError:
            now = time.monotonic()
            outage_since = outage_since or now
            if now - outage_since > defaults.FOLLOW_OUTAGE_SECONDS:
                raise
            await asyncio.sleep(0.5)
            continue
        for _, entries in answer or []:
            for entry_id, fields in entries:
                event = decode(entry_id, fields)
                last = event.id
                yield event
                if event.type == TERMINAL:
                    return
