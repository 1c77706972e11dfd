"""Job queues with leases: a job taken by a worker that dies goes back to the queue.

Built with re-delivery rather than fail-fast: a site whose worker died mid-search still gets
answered by another worker within the same deadline (re-delivery takes LEASE_SECONDS, a few
seconds, against a 30 s deadline), and when no worker is left the search's deadline marks
the site `timeout` anyway, so a job can never be lost silently.

The API LPUSHes; a worker BLMOVEs the oldest job into its own `leased` list (atomic: a job is
in exactly one list at a time, so each job is handled by one worker), ACKs it with LREM when
the job's status is written, and keeps a lease key alive with a heartbeat. Any worker or API
process reaps workers whose lease expired, LMOVEing their jobs back to the queue's head.
"""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from flightcrawl.distributed import defaults
from flightcrawl.distributed.keys import Keys


class JobQueue:
    def __init__(self, client: aioredis.Redis, keys: Keys, site: str, worker: str = "") -> None:
        self.client, self.keys, self.site, self.worker = client, keys, site, worker

    async def lease(self, timeout: float = defaults.LEASE_BLOCK_SECONDS) -> bytes | None:
        """The next job (raw JSON), now leased by this worker; None after `timeout` seconds."""
        return await self.client.blmove(self.keys.queue(self.site), self.keys.leased(self.site, self.worker),
                                        timeout, "RIGHT", "LEFT")

    async def heartbeat(self, lease_seconds: float = defaults.LEASE_SECONDS) -> None:
        # Every key gets a TTL: the registry and the leased list live on while the worker beats,
        # and vanish an hour after the last worker of a deployment stopped.
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.set(self.keys.lease(self.site, self.worker), b"1", px=int(lease_seconds * 1000))
            pipe.zadd(self.keys.workers(self.site), {self.worker: time.time()})
            pipe.expire(self.keys.workers(self.site), defaults.TASK_TTL)
            pipe.expire(self.keys.leased(self.site, self.worker), defaults.TASK_TTL)
            await pipe.execute()

    async def release(self) -> int:
        """On a clean shutdown: every job this worker holds goes back to the queue's head."""
        moved = 0
        while await self.client.lmove(self.keys.leased(self.site, self.worker), self.keys.queue(self.site),
                                      "LEFT", "RIGHT"):
            moved += 1
        async with self.client.pipeline(transaction=False) as pipe:
            if moved:
                pipe.expire(self.keys.queue(self.site), defaults.TASK_TTL)
            pipe.delete(self.keys.lease(self.site, self.worker))
            pipe.zrem(self.keys.workers(self.site), self.worker)
            await pipe.execute()
        return moved


async def reap(client: aioredis.Redis, keys: Keys, site: str) -> int:
    """Give the jobs of workers whose lease expired back to the queue; how many moved."""
    moved = 0
    for raw in await client.zrange(keys.workers(site), 0, -1):
        worker = raw.decode()
        if await client.exists(keys.lease(site, worker)):
            continue
        while await client.lmove(keys.leased(site, worker), keys.queue(site), "LEFT", "RIGHT"):
            moved += 1
            await client.expire(keys.queue(site), defaults.TASK_TTL)
        await client.zrem(keys.workers(site), worker)
    return moved


async def live_workers(client: aioredis.Redis, keys: Keys, site: str) -> int:
    count = 0
    for raw in await client.zrange(keys.workers(site), 0, -1):
        if await client.exists(keys.lease(site, raw.decode())):
            count += 1
    return count
