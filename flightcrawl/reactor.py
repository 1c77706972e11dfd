"""Run a coroutine on Scrapy's asyncio reactor, for commands that crawl in-process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


def run(main: Callable[[], Awaitable[T]]) -> T:
    """Install the asyncio reactor, run `main()` on it, stop, and return its result."""
    from scrapy.utils.reactor import (
        install_reactor,
        is_asyncio_reactor_installed,
        is_reactor_installed,
    )

    if not is_reactor_installed():
        install_reactor(ASYNCIO_REACTOR)
    elif not is_asyncio_reactor_installed():
        raise RuntimeError("a non-asyncio Twisted reactor is already installed")
    from twisted.internet import reactor
    from twisted.internet.defer import Deferred

    outcome: dict[str, object] = {}

    def start() -> None:
        deferred = Deferred.fromFuture(asyncio.ensure_future(main()))

        def finish(result: object) -> None:
            outcome["result"] = result
            reactor.stop()

        deferred.addBoth(finish)

    reactor.callWhenRunning(start)
    reactor.run()
    result = outcome.get("result")
    if hasattr(result, "raiseException"):  # a twisted Failure
        result.raiseException()
    return result  # type: ignore[return-value]
