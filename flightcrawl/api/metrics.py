"""Prometheus metrics at GET /metrics (prometheus_client's text format).

Each app has its own registry, so two apps in one process (tests) never share counters.
Per-site outcomes are counted by the process that concludes a search (in distributed mode, the
API process that appends its TOTAL), so summing over API processes counts each search once.
Queue depths and live workers are read from the backend when Prometheus scrapes.
"""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

logger = logging.getLogger(__name__)
SITE_SECONDS_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 45, 60)


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)  # process_resident_memory_bytes, open fds, CPU seconds
        self.searches = Counter("flightcrawl_searches", "Searches asked for, new or shared with an identical one",
                                ["outcome"], registry=registry)
        self.rejected = Counter("flightcrawl_rejected_requests", "Requests refused by a limit", ["reason"],
                                registry=registry)
        self.requests = Counter("flightcrawl_http_requests", "HTTP requests answered", ["route", "code"],
                                registry=registry)
        self.site_status = Counter("flightcrawl_site_status", "Final status of each site in each search",
                                   ["site", "status"], registry=registry)
        self.site_seconds = Histogram("flightcrawl_site_seconds", "Seconds from a search's start to a site's status",
                                      ["site"], buckets=SITE_SECONDS_BUCKETS, registry=registry)
        self.queue_depth = Gauge("flightcrawl_queue_depth", "Jobs waiting in a site's queue", ["site"],
                                 registry=registry)
        self.live_workers = Gauge("flightcrawl_live_workers", "Workers of a site with a live lease", ["site"],
                                  registry=registry)
        self.sse_clients = Gauge("flightcrawl_sse_clients", "Open event streams", registry=registry)
        self.followed_tasks = Gauge("flightcrawl_followed_tasks", "Searches this process follows for its streams",
                                    registry=registry)

    def outcome(self, site: str, status: str, seconds: float) -> None:
        self.site_status.labels(site, status).inc()
        self.site_seconds.labels(site).observe(max(0.0, float(seconds)))


METRICS = web.AppKey("metrics", Metrics)


async def metrics_handler(request: web.Request) -> web.Response:
    from flightcrawl.api.app import BACKEND

    metrics = request.app[METRICS]
    backend = request.app[BACKEND]
    try:
        for site, info in (await backend.sources()).items():
            metrics.queue_depth.labels(site).set(info["queued"])
            metrics.live_workers.labels(site).set(info["live_workers"])
    except Exception as exc:  # the process metrics are still worth serving without the backend
        logger.warning("metrics: backend unavailable: %s", type(exc).__name__)
    followed = getattr(backend, "followed", None)
    if followed is not None:
        metrics.followed_tasks.set(followed())
    body = generate_latest(metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
