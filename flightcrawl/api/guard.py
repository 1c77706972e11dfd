"""Limits per client: how fast it may start searches, how many streams it may hold open.

A client is its address (`request.remote`), or the first X-Forwarded-For address when
FLIGHTCRAWL_TRUST_FORWARDED=1 says a proxy we run stands in front. The limits hold per API
process; with several behind a balancer, each enforces its own share.

    FLIGHTCRAWL_START_RATE       "30/60": at most 30 searches started per 60 s per client (a token bucket,
                                 so a burst of 30 is allowed, then one every 2 s)
    FLIGHTCRAWL_MAX_STREAMS      open event streams per client (default 20)
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from flightcrawl.api.metrics import METRICS
from flightcrawl.logs import TASK_ID, UUID_RE

MAX_CLIENTS_TRACKED = 10_000  # past this, clients with a full bucket are forgotten


@dataclass
class Limits:
    starts: int = 30  # searches per `per` seconds, per client
    per: float = 60.0
    max_streams: int = 20
    trust_forwarded: bool = False


def limits_from_env() -> Limits:
    limits = Limits()
    rate = os.environ.get("FLIGHTCRAWL_START_RATE", "").strip()
    if rate:
        count, _, seconds = rate.partition("/")
        limits.starts, limits.per = int(count), float(seconds or 60)
    if os.environ.get("FLIGHTCRAWL_MAX_STREAMS", "").strip():
        limits.max_streams = int(os.environ["FLIGHTCRAWL_MAX_STREAMS"])
    limits.trust_forwarded = os.environ.get("FLIGHTCRAWL_TRUST_FORWARDED", "") in ("1", "true", "yes")
    return limits


class TokenBuckets:
    def __init__(self, capacity: int, per: float) -> None:
        self.capacity, self.rate = capacity, capacity / per
        self.buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, at)

    def take(self, client: str, now: float | None = None) -> float:
        """0 when allowed (a token is spent), else the seconds until one is free."""
        now = time.monotonic() if now is None else now
        tokens, at = self.buckets.get(client, (float(self.capacity), now))
        tokens = min(float(self.capacity), tokens + (now - at) * self.rate)
        if tokens >= 1:
            self.buckets[client] = (tokens - 1, now)
            self._prune(now)
            return 0.0
        self.buckets[client] = (tokens, now)
        return (1 - tokens) / self.rate

    def _prune(self, now: float) -> None:
        if len(self.buckets) > MAX_CLIENTS_TRACKED:
            full = self.capacity / self.rate
            self.buckets = {c: (t, a) for c, (t, a) in self.buckets.items() if now - a < full}


def client_of(request: web.Request, trust_forwarded: bool) -> str:
    if trust_forwarded and (forwarded := request.headers.get("X-Forwarded-For")):
        return forwarded.split(",")[0].strip()[:64]
    return request.remote or "unknown"


def guard(limits: Limits) -> Callable:
    buckets = TokenBuckets(limits.starts, limits.per)
    streams: dict[str, int] = {}

    @web.middleware
    async def middleware(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                         ) -> web.StreamResponse:
        metrics = request.app[METRICS]
        path = request.path
        task = request.match_info.get("task_id", "")
        token = TASK_ID.set(task if UUID_RE.fullmatch(task) else None)  # log lines of this request name it
        try:
            if path == "/api/flight/start" and request.method in ("GET", "POST"):
                wait = buckets.take(client_of(request, limits.trust_forwarded))
                if wait:
                    metrics.rejected.labels("rate_limited").inc()
                    seconds = max(1, math.ceil(wait))
                    return web.json_response(
                        {"error": "rate_limited",
                         "message": f"too many searches started from this client; retry in {seconds} s"},
                        status=429, headers={"Retry-After": str(seconds)})
                return await handler(request)
            if path.startswith("/api/flight/stream/") and request.method == "GET":
                client = client_of(request, limits.trust_forwarded)
                if streams.get(client, 0) >= limits.max_streams:
                    metrics.rejected.labels("too_many_streams").inc()
                    return web.json_response(
                        {"error": "too_many_streams",
                         "message": f"at most {limits.max_streams} open streams per client; close one first"},
                        status=429)
                streams[client] = streams.get(client, 0) + 1
                metrics.sse_clients.inc()
                try:
                    return await handler(request)
                finally:
                    metrics.sse_clients.dec()
                    streams[client] -= 1
                    if not streams[client]:
                        del streams[client]
            return await handler(request)
        finally:
            TASK_ID.reset(token)

    return middleware


@web.middleware
async def count_requests(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                         ) -> web.StreamResponse:
    """flightcrawl_http_requests_total by route template (never the raw path: ids would explode it)."""
    code = 500
    try:
        response = await handler(request)
        code = response.status
        return response
    except web.HTTPException as exc:
        code = exc.status
        raise
    finally:
        resource = request.match_info.route.resource if request.match_info.route else None
        route = resource.canonical if resource is not None else "unmatched"
        request.app[METRICS].requests.labels(route, str(code)).inc()
