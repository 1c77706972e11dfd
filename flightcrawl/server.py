"""Long-running processes: the API server (`flightcrawl serve`) and a worker (`flightcrawl worker`)."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from typing import Any

from aiohttp import web

from flightcrawl import reactor

logger = logging.getLogger(__name__)


def serve(host: str, port: int, *, redis_url: str | None = None, sandbox: bool = False,
          deadline: float | None = None, settings: dict[str, Any] | None = None) -> int:
    """Run the API until SIGINT/SIGTERM. Embedded mode runs spiders on this process's reactor,
    with `settings` over the project's."""
    from flightcrawl.api.app import config_from_env, create_app

    config = config_from_env(deadline)
    # Identical searches within this many seconds share one task (0: never shared).
    dedupe_ttl = int(os.environ.get("FLIGHTCRAWL_DEDUPE_TTL", "300"))
    stop = asyncio.Event()

    async def main() -> None:
        sandbox_server = None
        if redis_url:
            from flightcrawl.api.distributed import RedisBackend
            from flightcrawl.distributed import connection

            os.environ["REDIS_URL"] = redis_url
            backend: Any = RedisBackend(connection.async_client(), connection.keys(), dedupe_ttl=dedupe_ttl)
        else:
            from flightcrawl.api.embedded import EmbeddedBackend

            host_map = None
            linger = float(os.environ.get("FLIGHTCRAWL_BROWSER_LINGER", "300"))
            if sandbox:
                from flightcrawl.sandbox.app import SandboxServer

                sandbox_server = await SandboxServer().start()
                host_map = sandbox_server.host_map
            # One browser for the server's life, not one per search (browser-path sites).
            spider_settings = {"FLIGHTCRAWL_BROWSER_LINGER": linger, **(settings or {})}
            backend = EmbeddedBackend(host_map=host_map, settings=spider_settings, dedupe_ttl=dedupe_ttl)
            await _warm_up(host_map, spider_settings)
        runner = web.AppRunner(create_app(backend, config), handler_cancellation=True, handle_signals=False,
                               shutdown_timeout=2.0)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        # Everything made at start-up (Scrapy, the airports database, the sandbox's catalog) lives
        # as long as the process: out of the cyclic collector's full passes, which otherwise took
        # 100-390 ms each in the embedded server (searches caught in one were that much late).
        gc.freeze()
        actual = runner.addresses[0][1] if runner.addresses else port
        mode = "distributed" if redis_url else "embedded"
        print(f"flightcrawl API ({mode}) on http://{host}:{actual}", flush=True)
        if sandbox_server is not None:
            print(f"sandbox at {sandbox_server.base_url}", flush=True)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
            if not redis_url:
                from flightcrawl import browser

                await browser.shutdown()
            if sandbox_server is not None:
                await sandbox_server.stop()

    def on_shutdown() -> None:
        stop.set()

    return _run_until_stopped(main, on_shutdown)


async def _warm_up(host_map: dict[str, str] | None, settings: dict[str, Any]) -> None:
    """Before serving: one search of the gated sites, so their sessions (browser) are in this
    process's store and the first user's search replays them instead of starting Chromium."""
    from flightcrawl.embedded import EmbeddedSearch
    from flightcrawl.query import SearchQuery
    from flightcrawl.spiders.gated import gated_sites

    if os.environ.get("FLIGHTCRAWL_WARM_UP", "1") == "0":
        return
    search = EmbeddedSearch(SearchQuery.parse("DEL", "BOM", "+30"), gated_sites(), deadline=30, host_map=host_map,
                            settings=settings)
    total = await search.run()
    logger.info("warm-up: %s", ", ".join(f"{s} {v['status']}" for s, v in total["sources"].items()))


def _run_until_stopped(main: Any, on_shutdown: Any) -> int:
    from scrapy.utils.reactor import install_reactor, is_reactor_installed

    if not is_reactor_installed():
        install_reactor(reactor.ASYNCIO_REACTOR)
    from twisted.internet import reactor as twisted_reactor
    from twisted.internet.defer import Deferred

    task: dict[str, Any] = {}

    def begin() -> None:
        task["main"] = asyncio.ensure_future(main())
        task["main"].add_done_callback(lambda f: _stop_reactor(twisted_reactor))

    def before_shutdown() -> Deferred | None:
        on_shutdown()
        main_task = task.get("main")
        if main_task is None or main_task.done():
            return None
        return Deferred.fromFuture(main_task)

    twisted_reactor.callWhenRunning(begin)
    twisted_reactor.addSystemEventTrigger("before", "shutdown", before_shutdown)
    twisted_reactor.run()
    main_task = task.get("main")
    if main_task is not None and main_task.done() and not main_task.cancelled() and main_task.exception():
        exc = main_task.exception()
        print(f"flightcrawl: error: {exc}", flush=True)
        return 1
    return 0


def run_worker(site: str, overrides: dict[str, str]) -> int:
    """`flightcrawl worker mmt`: the mmt spider as a long-lived worker on its Redis queue."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from flightcrawl.distributed.spiders import worker_spider

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "flightcrawl.settings")
    settings = get_project_settings()
    settings.set("FLIGHTCRAWL_WORKER", True, priority="cmdline")
    settings.set("LOGSTATS_INTERVAL", 60.0, priority="cmdline")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    from flightcrawl import logs

    # Our root handler, not Scrapy's: JSON or text with task ids, secrets masked, from the first line.
    logs.setup(settings.get("LOG_LEVEL", "INFO"), settings.get("LOG_FILE"))
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    process = CrawlerProcess(settings)
    # Scrapy's logging setup puts its loggers at DEBUG, leaving the handler to filter: a record
    # would be built for every item (about a tenth of a worker's CPU). Filter where it is cheap.
    logging.getLogger("scrapy").setLevel(settings.get("LOG_LEVEL", "INFO"))
    process.crawl(worker_spider(process.spider_loader.load(site)))
    process.start()
    return 0


def _stop_reactor(twisted_reactor: Any) -> None:
    from twisted.internet.error import ReactorNotRunning

    try:
        twisted_reactor.stop()
    except ReactorNotRunning:
        pass  # already stopping (a signal got there first)
