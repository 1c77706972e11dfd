"""The exactly-once scripts of a search in Redis (distributed/tasks.py), on the machine's Redis."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest
import redis.asyncio as aioredis

from flightcrawl.distributed.keys import Keys
from flightcrawl.distributed.tasks import FINISH_SITE, finish_site_args, try_finish
from tests.services import REDIS_URL, clean_redis, new_prefix


@pytest.fixture
def keys():
    prefix = new_prefix()
    yield Keys(prefix)
    clean_redis(prefix)


def status(site: str) -> dict:
    return {"source": site, "status": "ok", "reason": "", "options": 0, "dropped": 0, "elapsed": 0.3,
            "extra": {}, "attempt": "a1"}


async def create(client: aioredis.Redis, keys: Keys, sources: list[str]) -> str:
    task_id = str(uuid.uuid4())
    await client.hset(keys.task(task_id), mapping={
        "query": json.dumps({"origin": "DEL", "destination": "BOM", "date": "2026-12-20"}),
        "sources": json.dumps(sources), "deadline": str(time.time() + 30), "created": str(time.time())})
    return task_id


async def finish(client: aioredis.Redis, keys: Keys, task_id: str, site: str) -> int:
    script_keys, args = finish_site_args(keys, task_id, site, status(site), 60)
    return await client.eval(FINISH_SITE, len(script_keys), *script_keys, *args)


def test_completion_entries_say_which_status_was_the_searchs_last(keys):
    async def scenario():
        client = aioredis.Redis.from_url(REDIS_URL)
        try:
            task_id = await create(client, keys, ["mmt", "ixigo"])
            firsts = [await finish(client, keys, task_id, "mmt"), await finish(client, keys, task_id, "mmt"),
                      await finish(client, keys, task_id, "ixigo")]
            gone = str(uuid.uuid4())  # its task hash expired: the finisher must still look at it
            await finish(client, keys, gone, "mmt")
            entries = await client.xrange(keys.completions())
            return firsts, [(f[b"task"].decode(), f[b"all"]) for _, f in entries], task_id, gone
        finally:
            await client.aclose()
    firsts, entries, task_id, gone = asyncio.run(scenario())
    assert firsts == [1, 0, 1]  # a site's status is written once
    assert entries == [(task_id, b"0"), (task_id, b"1"), (gone, b"1")]


def test_total_is_appended_once_when_every_site_has_its_status(keys):
    async def scenario():
        client = aioredis.Redis.from_url(REDIS_URL)
        try:
            task_id = await create(client, keys, ["mmt", "ixigo"])
            await finish(client, keys, task_id, "mmt")
            early = await try_finish(client, keys, task_id)
            await finish(client, keys, task_id, "ixigo")
            results = await asyncio.gather(*(try_finish(client, keys, task_id) for _ in range(5)))
            types = [f[b"t"] for _, f in await client.xrange(keys.events(task_id))]
            return early, results, types
        finally:
            await client.aclose()
    early, results, types = asyncio.run(scenario())
    assert early is None  # a site still missing, deadline ahead
    assert sum(r is not None for r in results) == 1 and set(next(r for r in results if r)) == {"mmt", "ixigo"}
    assert types == [b"source_done", b"source_done", b"TOTAL"]
