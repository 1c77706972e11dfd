"""A search in Redis: created once, each site's status written once, TOTAL appended once.

The two Lua scripts make the "exactly once" parts atomic however many workers and API
processes race: a site's status is HSETNX'd and its `source_done` appended in one step; TOTAL
is appended only by whoever sets the task's `total` key first.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis.asyncio as aioredis

from flightcrawl.club import club
from flightcrawl.distributed import defaults
from flightcrawl.distributed.events import replay
from flightcrawl.distributed.keys import Keys

FINISH_SITE = """
local set = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
if set == 1 then
  redis.call('XADD', KEYS[2], '*', 't', 'source_done', 'd', ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', '10000', '*', 'task', ARGV[4])
  redis.call('EXPIRE', KEYS[3], ARGV[3])
end
if #KEYS >= 4 and ARGV[5] ~= '' then redis.call('LREM', KEYS[4], 1, ARGV[5]) end
return set
"""

# A worker's progress or partial, unless the search's TOTAL is already out: a job re-delivered late
# (its first worker missed its heartbeats) must not add to a log whose readers have stopped at TOTAL.
APPEND_EVENT = """
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('XADD', KEYS[1], '*', 't', ARGV[1], 'd', ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
"""

EMIT_TOTAL = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then
  local id = redis.call('XADD', KEYS[2], '*', 't', 'TOTAL', 'd', ARGV[1])
  redis.call('EXPIRE', KEYS[2], ARGV[2])
  redis.call('ZREM', KEYS[3], ARGV[3])
  return id
end
return false
"""


def finish_site_args(keys: Keys, task_id: str, site: str, status: dict[str, Any], ttl: int,
                     leased_key: str | None = None, raw_job: bytes | str = b"") -> tuple[list[str], list[Any]]:
    script_keys = [keys.statuses(task_id), keys.events(task_id), keys.completions()]
    if leased_key:
        script_keys.append(leased_key)
    return script_keys, [site, json.dumps(status, ensure_ascii=False), ttl, task_id, raw_job]


async def task_meta(client: aioredis.Redis, keys: Keys, task_id: str) -> dict[str, Any] | None:
    raw = await client.hgetall(keys.task(task_id))
    if not raw:
        return None
    meta = {k.decode(): v.decode() for k, v in raw.items()}
    return {"query": json.loads(meta["query"]), "sources": json.loads(meta["sources"]),
            "deadline": float(meta["deadline"]), "created": float(meta["created"])}


async def statuses(client: aioredis.Redis, keys: Keys, task_id: str) -> dict[str, dict[str, Any]]:
    return {k.decode(): json.loads(v) for k, v in (await client.hgetall(keys.statuses(task_id))).items()}


def assemble_total(meta: dict[str, Any], site_statuses: dict[str, dict], partials: list[dict]) -> dict[str, Any]:
    """TOTAL from the logged partials: each site's options from the delivery its status names.

    A job re-delivered after its worker died may have logged partials twice; only the attempt
    that wrote the site's status counts (for a site timed out by the deadline, its latest
    attempt that sent anything), so no option reaches TOTAL twice.
    """
    by_attempt: dict[str, dict[str, list[dict]]] = {}
    latest: dict[str, str] = {}
    for partial in partials:
        site, attempt = partial["source"], partial.get("attempt", "")
        by_attempt.setdefault(site, {}).setdefault(attempt, []).extend(partial["options"])
        latest[site] = attempt
    options: list[dict] = []
    for site in meta["sources"]:
        attempt = site_statuses.get(site, {}).get("attempt") or latest.get(site, "")
        options.extend(by_attempt.get(site, {}).get(attempt, []))
    public_statuses = {s: {k: v for k, v in st.items() if k != "attempt"} for s, st in site_statuses.items()}
    total = club(options, public_statuses)
    total["search"] = {**meta["query"], "sources": meta["sources"],
                       "elapsed": round(time.time() - meta["created"], 3)}
    return total


async def try_finish(client: aioredis.Redis, keys: Keys, task_id: str, ttl: int = defaults.TASK_TTL,
                     now: float | None = None) -> bool:
    """Append TOTAL if every site has its status, or time out the rest once the deadline passed.

    True only for the call that appended it (one per search across every API process)."""
    meta = await task_meta(client, keys, task_id)
    if meta is None:  # expired or never created
        await client.zrem(keys.pending(), task_id)
        return False
    if await client.exists(keys.total(task_id)):
        await client.zrem(keys.pending(), task_id)
        return False  # finished before: its outcomes were counted by whoever appended TOTAL
    now = now if now is not None else time.time()
    done = await statuses(client, keys, task_id)
    missing = [s for s in meta["sources"] if s not in done]
    if missing and now < meta["deadline"]:
        return False
    for site in missing:
        status = {"source": site, "status": "timeout", "reason": "no answer within the search deadline",
                  "options": 0, "dropped": 0, "elapsed": round(now - meta["created"], 3), "extra": {},
                  "attempt": ""}
        script_keys, args = finish_site_args(keys, task_id, site, status, ttl)
        await client.eval(FINISH_SITE, len(script_keys), *script_keys, *args)
    done = await statuses(client, keys, task_id)
    partials = [e.data for e in await replay(client, keys, task_id) if e.type == "partial"]
    for site, status in done.items():  # a timed-out site's count is what arrived
        if status["status"] == "timeout" and not status.get("attempt"):
            status["options"] = sum(len(p["options"]) for p in partials if p["source"] == site)
    total = assemble_total(meta, done, partials)
    total["search"]["task_id"] = task_id
    body = json.dumps(total, ensure_ascii=False, separators=(",", ":"))
    appended = await client.eval(EMIT_TOTAL, 3, keys.total(task_id), keys.events(task_id), keys.pending(), body,
                                 ttl, task_id)
    return bool(appended)
