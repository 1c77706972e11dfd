"""The application factory and its handlers.

    GET|POST /api/flight/start          -> {"task_id": "<uuid4>"}
    GET      /api/flight/stream/<id>    -> SSE: progress, partial, source_done, TOTAL (then closes)
    GET      /api/flight/result/<id>    -> the state so far, for clients that poll
    GET      /api/sources               -> per site: live workers, recent success rate and latency
    GET      /api/airports?q=<text>     -> airports matching a code, city or name (for the search form)
    GET      /healthz
    GET      /                          -> the comparison page (static files under /static/)
    GET      /metrics                   -> Prometheus metrics (api/metrics.py)
    GET      /api/openapi.json          -> the OpenAPI description (api/openapi.py)

Per-client limits (api/guard.py), metrics and the OpenAPI document live in their own modules,
wired here.
"""

from __future__ import annotations

import json
import logging
import os
import pathlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import ClientConnectionResetError, web
from aiohttp_sse import sse_response
from redis.exceptions import RedisError

from flightcrawl import airports
from flightcrawl.api.backend import Backend, UnknownTask
from flightcrawl.api.guard import Limits, count_requests, guard, limits_from_env
from flightcrawl.api.metrics import METRICS, Metrics, metrics_handler
from flightcrawl.api.openapi import openapi_handler
from flightcrawl.api.sse import DeflatedFrameResponse, FrameResponse, accepts_deflate
from flightcrawl.api.validation import InvalidInput, parse_airport_query, parse_start, parse_task_id
from flightcrawl.logs import redact

logger = logging.getLogger(__name__)
MAX_BODY = 16 * 1024
STATIC = pathlib.Path(__file__).parent / "static"
# The page shows other sites' data: it may only run its own script and talk to this origin.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@dataclass
class ApiConfig:
    deadline: float = 30.0
    site_deadlines: dict[str, float] = field(default_factory=dict)
    cors_origins: tuple[str, ...] = ("*",)
    keepalive: float = 15.0
    compress: bool = True  # deflate event streams for clients that accept it (api/sse.py)
    limits: Limits = field(default_factory=Limits)


BACKEND = web.AppKey("backend", Backend)
CONFIG = web.AppKey("config", ApiConfig)


def _json_error(status: int, error: str, message: str, **extra: str) -> web.Response:
    return web.json_response({"error": error, "message": message, **extra}, status=status)


@web.middleware
async def errors(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                 ) -> web.StreamResponse:
    """Every failure is JSON naming the problem; bad input is a 4xx, never a 500."""
    try:
        return await handler(request)
    except InvalidInput as exc:
        return web.json_response(exc.body(), status=400)
    except UnknownTask as exc:
        return _json_error(404, "unknown_task", f"no search with task id {exc.args[0]}")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _json_error(exc.status, exc.reason.lower().replace(" ", "_"), exc.text or exc.reason)
    except RedisError as exc:
        logger.error("backend unavailable: %s", redact(str(exc)))
        return _json_error(503, "backend_unavailable", f"the search backend is unavailable: {type(exc).__name__}")


def cors_headers(request: web.Request, origins: tuple[str, ...]) -> dict[str, str]:
    """CORS headers for this request's Origin under the allow-list ({} when not allowed)."""
    origin = request.headers.get("Origin")
    allowed = "*" if "*" in origins else (origin if origin in origins else None)
    if not allowed:
        return {}
    headers = {"Access-Control-Allow-Origin": allowed, "Access-Control-Allow-Headers": "Content-Type, Last-Event-ID",
               "Access-Control-Allow-Methods": "GET, POST, OPTIONS", "Access-Control-Max-Age": "600"}
    if allowed != "*":
        headers["Vary"] = "Origin"
    return headers


def cors(origins: tuple[str, ...]) -> Callable:
    """The app sets its own CORS headers, so a tunnel or proxy in front needs to add none."""

    @web.middleware
    async def middleware(request: web.Request, handler: Callable) -> web.StreamResponse:
        headers = cors_headers(request, origins)
        if request.method == "OPTIONS":
            return web.Response(status=204 if headers else 403, headers=headers)
        response = await handler(request)
        if not response.prepared:
            response.headers.update(headers)
        return response
    return middleware


async def start(request: web.Request) -> web.Response:
    if request.method == "POST":
        try:
            params = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise InvalidInput("body", "is not valid JSON") from None
        if not isinstance(params, dict):
            raise InvalidInput("body", "must be a JSON object")
    else:
        params = dict(request.query)
    query, sources = parse_start(params)
    config = request.app[CONFIG]
    task_id, created = await request.app[BACKEND].start(query, sources, config.deadline, config.site_deadlines)
    request.app[METRICS].searches.labels("new" if created else "shared").inc()
    logger.info("search %s %s: %s on %s", task_id, "started" if created else "shared", query.describe(),
                ",".join(sources))
    return web.json_response({"task_id": task_id, "new": created})


async def stream(request: web.Request) -> web.StreamResponse:
    task_id = parse_task_id(request.match_info["task_id"])
    backend = request.app[BACKEND]
    if not await backend.exists(task_id):
        raise UnknownTask(task_id)
    after = request.headers.get("Last-Event-ID") or request.query.get("last_event_id")
    config = request.app[CONFIG]
    # Headers must be set before the stream is prepared; the CORS middleware comes too late.
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **cors_headers(request, config.cors_origins)}
    response_cls = DeflatedFrameResponse if config.compress and accepts_deflate(request) else FrameResponse
    async with sse_response(request, headers=headers, ping_interval=config.keepalive,
                            response_cls=response_cls) as sse:
        try:
            await backend.stream(task_id, sse, after)
        except (ConnectionResetError, ClientConnectionResetError):
            pass  # the client left; nothing is lost, it can resume with Last-Event-ID
        except RedisError as exc:  # the stream is already open: end it; the client resumes later
            logger.error("stream %s: backend unavailable (%s); closing the stream", task_id, exc)
    return sse


async def result(request: web.Request) -> web.Response:
    task_id = parse_task_id(request.match_info["task_id"])
    return web.json_response(await request.app[BACKEND].result(task_id))


async def sources(request: web.Request) -> web.Response:
    return web.json_response(await request.app[BACKEND].sources())


async def airport_search(request: web.Request) -> web.Response:
    text, limit = parse_airport_query(request.query)
    return web.json_response({"query": text, "airports": airports.search(text, limit)})


async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)


async def healthz(request: web.Request) -> web.Response:
    try:
        return web.json_response(await request.app[BACKEND].health())
    except RedisError as exc:
        return _json_error(503, "backend_unavailable", redact(f"{type(exc).__name__}: {exc}"))


async def not_found(request: web.Request) -> web.Response:
    return _json_error(404, "not_found", f"no route {request.path}")


def create_app(backend: Backend, config: ApiConfig | None = None) -> web.Application:
    config = config or ApiConfig()
    app = web.Application(middlewares=[count_requests, cors(config.cors_origins), guard(config.limits), errors],
                          client_max_size=MAX_BODY)
    app[BACKEND] = backend
    app[CONFIG] = config
    app[METRICS] = metrics = Metrics()
    if hasattr(backend, "on_outcome"):
        backend.on_outcome = metrics.outcome

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        if hasattr(backend, "start_finisher"):
            backend.start_finisher()
        yield
        await backend.close()

    app.cleanup_ctx.append(lifecycle)
    app.add_routes([
        web.get("/api/flight/start", start),
        web.post("/api/flight/start", start),
        web.get("/api/flight/stream/{task_id}", stream),
        web.get("/api/flight/result/{task_id}", result),
        web.get("/api/sources", sources),
        web.get("/api/airports", airport_search),
        web.get("/healthz", healthz),
        web.get("/", page),
        web.static("/static", STATIC),
        web.get("/metrics", metrics_handler),
        web.get("/api/openapi.json", openapi_handler),
        web.route("OPTIONS", "/{tail:.*}", not_found),  # answered by the CORS middleware
    ])
    return app


def config_from_env(deadline: float | None = None) -> ApiConfig:
    """ApiConfig from FLIGHTCRAWL_DEADLINE, FLIGHTCRAWL_SITE_DEADLINES ("yatra=45,google=20"), CORS_ORIGINS."""
    site_deadlines = {}
    for pair in os.environ.get("FLIGHTCRAWL_SITE_DEADLINES", "").split(","):
        if "=" in pair:
            site, seconds = pair.split("=", 1)
            site_deadlines[site.strip()] = float(seconds)
    origins = tuple(o.strip() for o in os.environ.get("FLIGHTCRAWL_CORS_ORIGINS", "*").split(",") if o.strip())
    return ApiConfig(deadline=deadline or float(os.environ.get("FLIGHTCRAWL_DEADLINE", "30")),
                     site_deadlines=site_deadlines, cors_origins=origins or ("*",), limits=limits_from_env(),
                     compress=os.environ.get("FLIGHTCRAWL_SSE_COMPRESS", "1") != "0")
