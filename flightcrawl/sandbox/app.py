"""The sandbox application: every replicated site under `/<real host>/...` on one server."""

from __future__ import annotations

import datetime as dt
import importlib
from types import TracebackType

from aiohttp import web

from flightcrawl.sandbox import catalog
from flightcrawl.sandbox.faults import FAULTS, SandboxConfig, note_arrival
from flightcrawl.sites import SITES

CONFIG = web.AppKey("config", SandboxConfig)
# One replica module per site, each with routes(config) and offers_for(origin, destination, day, cabin).
REPLICAS = {name: importlib.import_module(f"flightcrawl.sandbox.{name}") for name in SITES}


def host_map(base_url: str) -> dict[str, str]:
    """FLIGHTCRAWL_HOST_MAP entries pointing every real site host at this sandbox."""
    base_url = base_url.rstrip("/")
    return {host: f"{base_url}/{host}" for name in REPLICAS for host in SITES[name].HOSTS}


async def _get_config(request: web.Request) -> web.Response:
    return web.json_response({**request.app[CONFIG].to_dict(), "known_faults": FAULTS})


async def _put_config(request: web.Request) -> web.Response:
    try:
        request.app[CONFIG].update(await request.json())
    except (ValueError, TypeError, AttributeError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response(request.app[CONFIG].to_dict())


async def _catalog(request: web.Request) -> web.Response:
    """Ground truth for a route and day: what the replicas draw from (for tests and demos)."""
    try:
        origin, destination = request.query["origin"], request.query["destination"]
        day = dt.date.fromisoformat(request.query["date"])
    except (KeyError, ValueError):
        return web.json_response({"error": "origin, destination and date=YYYY-MM-DD"}, status=400)
    flights = [{
        "key": f.key, "flight_numbers": f.flight_numbers, "origin": f.origin,
        "destination": f.destination, "departure": f.departure.isoformat(),
        "arrival": f.arrival.isoformat(), "minutes": f.minutes,
        "fares": {site: catalog.site_fare(f, site) for site in REPLICAS},  # per adult, economy
    } for f in catalog.flights(origin, destination, day)]
    return web.json_response({"flights": flights})


def create_app(config: SandboxConfig | None = None) -> web.Application:
    app = web.Application(middlewares=[note_arrival])
    app[CONFIG] = config or SandboxConfig()
    catalog.set_density(app[CONFIG].density)
    for replica in REPLICAS.values():
        app.add_routes(replica.routes(app[CONFIG]))
    app.add_routes([
        web.get("/__sandbox__/config", _get_config),
        web.put("/__sandbox__/config", _put_config),
        web.get("/__sandbox__/catalog", _catalog),
    ])
    return app


class SandboxServer:
    """Run the sandbox on the current event loop: `async with SandboxServer() as sandbox:`."""

    def __init__(self, config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config or SandboxConfig()
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> SandboxServer:
        self._runner = web.AppRunner(create_app(self.config), access_log=None, handle_signals=False,
                                     shutdown_timeout=0.5)  # a stalled "slow" fault must not hold shutdown
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def host_map(self) -> dict[str, str]:
        return host_map(self.base_url)

    async def __aenter__(self) -> SandboxServer:
        return await self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()
