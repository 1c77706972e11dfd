"""The browser path: one long-lived Chromium per process, shared by every browser-path site.

scrapy-playwright makes one download handler (and one browser) per crawler. In embedded mode
every site is its own crawler in one process, so MakeMyTrip, Goibibo, ixigo and Yatra would
each launch a Chromium (0.4-0.9 GB each on these machines). `OneBrowserHandler` keeps the
scrapy-playwright handler but points every instance in the process at one shared Playwright
driver, one browser and one set of contexts (one per site, named after it, reused by every
search of that site). Pages are always closed (scrapy-playwright closes them unless
`playwright_include_page`); a context is recycled after `PAGES_PER_CONTEXT` pages, so what a
long-lived renderer accumulates is dropped regularly (the growth scrapy-playwright users report
comes from long-lived contexts and unclosed pages).

The driver and browser start lazily, at the first browser request: a search that replays a
cached session (flightcrawl.sessions) never pays for them. They stop when the last crawler
using them closes, unless FLIGHTCRAWL_BROWSER_LINGER (seconds) keeps them for the next
search (the API server and workers set it), or when `shutdown()` is awaited.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from contextlib import suppress
from typing import Any

from playwright.async_api import Page
from playwright.async_api import Request as BrowserRequest
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from scrapy_playwright.handler import BrowserContextWrapper, ScrapyPlaywrightDownloadHandler

from flightcrawl.impersonate import Impersonator, target_of

logger = logging.getLogger(__name__)

HANDLER = "flightcrawl.browser.OneBrowserHandler"
# We run as root, hence no sandbox; the background-networking flags keep Chromium from calling
# Google's services (component updates, sync, ...), which a machine without internet would
# wait on.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]
BLOCKED_RESOURCES = frozenset({"image", "font", "media"})
# Analytics and ad hosts the sites' pages load: nothing a search needs, and each is a request,
# a socket and memory in the renderer.
BLOCKED_HOSTS = ("google-analytics.com", "googletagmanager.com", "doubleclick.net", "facebook.net",
                 "hotjar.com", "clarity.ms", "branch.io", "moengage.com", "omtrdc.net", "demdex.net",
                 "criteo.com", "adservice.google.com")
# Time kept back from the page's waits to close the page within the deadline
# (measured: about 0.1 s on an idle machine, several times that on a busy one).
BROWSER_CLOSE_SECONDS = 0.5
# A context is closed and made anew after this many pages (memory stays flat; see bench/).
PAGES_PER_CONTEXT = 50
# Headless Chromium says `navigator.webdriver = true`; bot managers read it (sources.md §1.2:
# masking it was part of what let MakeMyTrip's page load).
MASK_WEBDRIVER = "Object.defineProperty(Navigator.prototype, 'webdriver', {get: () => undefined});"


def abort_request(request: BrowserRequest) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: images, fonts, media and analytics are never fetched."""
    if request.resource_type in BLOCKED_RESOURCES:
        return True
    url = request.url
    host = url.split("/", 3)[2].split(":")[0] if "://" in url else ""
    return any(host == blocked or host.endswith("." + blocked) for blocked in BLOCKED_HOSTS)


async def hold_to_deadline(page: Page, request: Request) -> None:
    """Page init callback: the page's navigation and waits end when the search's deadline does.

    The time left is taken here, just before the page navigates (a browser launch comes out of
    the same deadline), not when the request was made.
    """
    await page.add_init_script(MASK_WEBDRIVER)
    deadline_at = request.meta.get("flightcrawl_deadline_at")
    if deadline_at is None:
        return
    left_ms = max(50.0, (deadline_at - BROWSER_CLOSE_SECONDS - time.monotonic()) * 1000)
    page.set_default_navigation_timeout(left_ms)
    page.set_default_timeout(left_ms)


def browser_settings(settings: BaseSettings) -> None:
    """Route a spider's downloads through the shared browser handler (plain requests, those
    without meta["playwright"], still go over Scrapy's HTTP client)."""
    deadline = settings.getfloat("FLIGHTCRAWL_DEADLINE", 30.0)
    settings.set("DOWNLOAD_HANDLERS", {"http": HANDLER, "https": HANDLER}, priority="spider")
    settings.set("PLAYWRIGHT_BROWSER_TYPE", "chromium", priority="spider")
    settings.set("PLAYWRIGHT_ABORT_REQUEST", abort_request, priority="spider")
    settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", {
        "executable_path": settings.get("FLIGHTCRAWL_CHROMIUM"),
        "headless": True,
        "args": CHROMIUM_ARGS,
        "timeout": deadline * 1000,  # a launch that hangs must not outlive the search
    }, priority="spider")
    settings.set("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT", deadline * 1000, priority="spider")


class _Shared:
    """The process's driver, browser and contexts (one set per event loop)."""

    def __init__(self) -> None:
        self.provider: Any = None
        self.browser: Any = None
        self.contexts: dict[str, BrowserContextWrapper] = {}
        self.pages_made: dict[str, int] = {}
        self.lock = asyncio.Lock()
        self.context_lock = asyncio.Lock()
        self.users: set[int] = set()
        self.linger: float = 0.0
        self.closer: asyncio.TimerHandle | None = None
        self.launches = 0


_SHARED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Shared] = weakref.WeakKeyDictionary()


def _shared() -> _Shared:
    loop = asyncio.get_event_loop()
    if loop not in _SHARED:
        _SHARED[loop] = _Shared()
    return _SHARED[loop]


def launches() -> int:
    """How many times this process launched Chromium (for tests and the benchmark)."""
    return _shared().launches


async def shutdown() -> None:
    """Close the shared browser and driver now (the CLI and the servers call this on exit)."""
    shared = _shared()
    if shared.closer is not None:
        shared.closer.cancel()
        shared.closer = None
    async with shared.lock:
        contexts = [wrapper.context for wrapper in shared.contexts.values()]
        shared.contexts.clear()
        browser, provider = shared.browser, shared.provider
        shared.browser = shared.provider = None
        with suppress(Exception):
            await asyncio.gather(*(c.close() for c in contexts), return_exceptions=True)
        if browser is not None:
            with suppress(Exception):
                await browser.close()
        if provider is not None:
            with suppress(Exception):
                await provider.close()


class OneBrowserHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's download handler, sharing one browser with every other in the process.

    Scrapy also makes a handler per scheme; one instance per crawler serves http and https.
    """

    _closed = False
    _per_crawler: weakref.WeakKeyDictionary[Crawler, OneBrowserHandler] = weakref.WeakKeyDictionary()

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        shared = _shared()
        self._shared = shared
        self.context_wrappers = shared.contexts
        self.browser_launch_lock = shared.lock
        self.context_launch_lock = shared.context_lock
        shared.users.add(id(self))
        # Plain requests of a spider that asks for it go out with a browser's TLS fingerprint.
        self.impersonate = crawler.settings.get("FLIGHTCRAWL_IMPERSONATE") or None
        self.impersonator = Impersonator()
        shared.linger = max(shared.linger, crawler.settings.getfloat("FLIGHTCRAWL_BROWSER_LINGER", 0.0))
        if shared.closer is not None:  # a new search came before the idle browser was closed
            shared.closer.cancel()
            shared.closer = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OneBrowserHandler:
        if crawler not in cls._per_crawler:
            cls._per_crawler[crawler] = cls(crawler)
        return cls._per_crawler[crawler]

    async def download_request(self, request: Request) -> Any:
        if target := target_of(request, self.impersonate):
            return await self.impersonator.download(request, target)
        return await super().download_request(request)

    async def _launch(self) -> None:
        """At engine start: nothing. The driver starts with the first browser request."""

    async def _maybe_launch_browser(self) -> None:
        shared = self._shared
        async with shared.lock:
            if shared.provider is None:
                provider = self.browser_provider_cls(self.config)
                await provider.start()
                shared.provider = provider
            self.browser_provider = shared.provider
            if shared.browser is None or not shared.browser.is_connected():
                shared.browser = await shared.provider.launch_browser()
                shared.launches += 1
                self.stats.inc_value("playwright/browser_count")
                shared.browser.on("disconnected", self._browser_disconnected_callback)
            self.browser = shared.browser

    async def _create_page(self, request: Request, spider: Spider) -> Page:
        name = request.meta.setdefault("playwright_context", spider.name)
        shared = self._shared
        async with shared.context_lock:
            wrapper = shared.contexts.get(name)
            # Recycle a context that has served its share of pages, once none is open.
            if wrapper is not None and shared.pages_made.get(name, 0) >= PAGES_PER_CONTEXT \
                    and not wrapper.context.pages:
                shared.contexts.pop(name, None)
                shared.pages_made[name] = 0
                with suppress(Exception):
                    await wrapper.context.close()
            if name not in shared.contexts:
                await self._maybe_launch_browser()
        shared.pages_made[name] = shared.pages_made.get(name, 0) + 1
        return await super()._create_page(request, spider)

    async def _browser_disconnected_callback(self) -> None:
        was_ours = self._shared.browser is not None  # shutdown() clears it before closing
        self._shared.contexts.clear()
        self._shared.browser = None
        if was_ours:
            logger.warning("browser disconnected; the next browser request launches a new one")

    async def _close(self) -> None:
        await self.impersonator.close()
        shared = self._shared
        shared.users.discard(id(self))
        if shared.users:
            return
        if shared.linger > 0:
            loop = asyncio.get_event_loop()
            shared.closer = loop.call_later(shared.linger, lambda: asyncio.ensure_future(shutdown()))
            return
        await shutdown()

    async def close(self) -> None:
        if not self._closed:  # Scrapy closes it once per scheme
            self._closed = True
            # The handler holds its crawler, so the weak key would never die: every embedded
            # search's crawlers (settings, engine, stats) were kept for the life of the process.
            type(self)._per_crawler.pop(self.crawler, None)
            await super().close()  # Scrapy's HTTP pool, then _close() above
