"""A search in Redis: created once, each site's status written once, TOTAL appended once.

The two Lua scripts make the "exactly once" parts atomic however many workers and API
processes race: a site's status is HSETNX'd and its `source_done` appended in one step; TOTAL
is appended only by whoever sets the task's `total` key first.
"""

from __future__ import annotations

import time
from typing import Any

import redis.asyncio as aioredis

from flightcrawl import fastjson
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
  local all = '1'
  local sources = redis.call('HGET', KEYS[4], 'sources')
  if sources then
    if redis.call('HLEN', KEYS[1]) < #cjson.decode(sources) then all = '0' end
  end
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', '10000', '*', 'task', ARGV[4], 'all', all)
  redis.call('EXPIRE', KEYS[3], ARGV[3])
end
if #KEYS >= 5 and ARGV[5] ~= '' then redis.call('LREM', KEYS[5], 1, ARGV[5]) end
return set
"""
# A `completions` entry says whether that status was the search's last one (`all`): the API's
# finisher assembles TOTAL on those (and on deadlines), not on every site's status (profiled:
# a search's first status cost a wasted round trip and parse).

# A worker's event for a site whose status is already final (say, timed out by the deadline) or
# for a search whose TOTAL has gone would reach no client: clients stop at TOTAL. Not logged.
APPEND_SITE_EVENT = """
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('HEXISTS', KEYS[3], ARGV[3]) == 1 then
  return false
end
local id = redis.call('XADD', KEYS[1], '*', 't', ARGV[1], 'd', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return id
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
    script_keys = [keys.statuses(task_id), keys.events(task_id), keys.completions(), keys.task(task_id)]
    if leased_key:
        script_keys.append(leased_key)
    return script_keys, [site, fastjson.dumps(status), ttl, task_id, raw_job]


async def task_meta(client: aioredis.Redis, keys: Keys, task_id: str) -> dict[str, Any] | None:
    return _meta(await client.hgetall(keys.task(task_id)))


def _meta(raw: dict[bytes, bytes]) -> dict[str, Any] | None:
    if not raw:
        return None
    meta = {k.decode(): v.decode() for k, v in raw.items()}
    return {"query": fastjson.loads(meta["query"]), "sources": fastjson.loads(meta["sources"]),
            "deadline": float(meta["deadline"]), "created": float(meta["created"])}


async def statuses(client: aioredis.Redis, keys: Keys, task_id: str) -> dict[str, dict[str, Any]]:
    return _statuses(await client.hgetall(keys.statuses(task_id)))


def _statuses(raw: dict[bytes, bytes]) -> dict[str, dict[str, Any]]:
    return {k.decode(): fastjson.loads(v) for k, v in raw.items()}


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
                     now: float | None = None) -> dict[str, dict[str, Any]] | None:
    """Append TOTAL if every site has its status, or time out the rest once the deadline passed.

    The sites' final statuses only for the call that appended it (one per search across every
    API process); None otherwise. Reads go out together: a search finishes in three round trips
    (state, its log, the TOTAL script), not eight (profiled on the API at load).
    """
    async with client.pipeline(transaction=False) as pipe:
        pipe.hgetall(keys.task(task_id))
        pipe.exists(keys.total(task_id))
        pipe.hgetall(keys.statuses(task_id))
        raw_meta, finished, raw_statuses = await pipe.execute()
    meta = _meta(raw_meta)
    if meta is None or finished:  # expired or never created; or finished before, its outcomes counted
        await client.zrem(keys.pending(), task_id)
        return None
    now = now if now is not None else time.time()
    done = _statuses(raw_statuses)
    missing = [s for s in meta["sources"] if s not in done]
    if missing and now < meta["deadline"]:
        return None
    for site in missing:
        status = {"source": site, "status": "timeout", "reason": "no answer within the search deadline",
                  "options": 0, "dropped": 0, "elapsed": round(now - meta["created"], 3), "extra": {},
                  "attempt": ""}
        script_keys, args = finish_site_args(keys, task_id, site, status, ttl)
        await client.eval(FINISH_SITE, len(script_keys), *script_keys, *args)
    if missing:  # a worker may have written its own status meanwhile: that one stands
        done = await statuses(client, keys, task_id)
    partials = [e.data for e in await replay(client, keys, task_id) if e.type == "partial"]
    for site, status in done.items():  # a timed-out site's count is what arrived
        if status["status"] == "timeout" and not status.get("attempt"):
            status["options"] = sum(len(p["options"]) for p in partials if p["source"] == site)
    total = assemble_total(meta, done, partials)
    total["search"]["task_id"] = task_id
    body = fastjson.dumps(total)
    appended = await client.eval(EMIT_TOTAL, 3, keys.total(task_id), keys.events(task_id), keys.pending(), body,
                                 ttl, task_id)
    return done if appended else None
