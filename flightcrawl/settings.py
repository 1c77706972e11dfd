"""Scrapy settings for flightcrawl. Components are wired here, not by imports."""

from __future__ import annotations

import os

BOT_NAME = "flightcrawl"
SPIDER_MODULES = ["flightcrawl.spiders"]
NEWSPIDER_MODULE = "flightcrawl.spiders"

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# Scrapy 2.19 starts a code-execution server on localhost by default; a scraper fleet must not.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

# ROBOTSTXT_OBEY: off because the data endpoints are the sites' own API calls, not pages; the
# README says what each site's robots.txt allows. Set it to True to honour robots.txt.
ROBOTSTXT_OBEY = False
USER_AGENT = os.environ.get(
    "FLIGHTCRAWL_USER_AGENT",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/141.0.0.0 Safari/537.36 flightcrawl/0.1",
)
COOKIES_ENABLED = True
# A worker serves many searches at once, one or two requests each, all to its one site: the
# per-domain cap is the worker's capacity. Politeness towards a real site is its own
# per-site setting, not this ceiling.
CONCURRENT_REQUESTS = 64
CONCURRENT_REQUESTS_PER_DOMAIN = 32
# A response yields one OptionBatch (and at most a few requests). Scrapy starts CONCURRENT_ITEMS
# tasks to process each response's output: its default, 100, was a tenth of a worker's CPU.
CONCURRENT_ITEMS = 1

# A search has a deadline (seconds); spiders derive their download and close timeouts from it.
FLIGHTCRAWL_DEADLINE = float(os.environ.get("FLIGHTCRAWL_DEADLINE", "30"))
# The Chromium that browser-driven spiders (yatra) launch: Debian's `chromium` package.
# /usr/bin/chromium is a wrapper script; Playwright needs the binary itself.
FLIGHTCRAWL_CHROMIUM = os.environ.get("FLIGHTCRAWL_CHROMIUM", "/usr/lib/chromium/chromium")
# Real host -> base URL, e.g. the sandbox; see flightcrawl.hostmap.
FLIGHTCRAWL_HOST_MAP = os.environ.get("FLIGHTCRAWL_HOST_MAP", "")

# A stream cut mid-frame still carries whole frames worth keeping; the parser judges it.
DOWNLOAD_FAIL_ON_DATALOSS = False
# One quick retry for server errors. 429 and 503 are BackoffMiddleware's: asked again after
# Retry-After (or 1 s, 2 s), at most twice, only while that fits in the search's deadline.
RETRY_ENABLED = True
RETRY_TIMES = 1
RETRY_HTTP_CODES = [500, 502, 504, 522, 524, 408]
FLIGHTCRAWL_BACKOFF_CODES = [429, 503]
FLIGHTCRAWL_BACKOFF_RETRIES = 2
FLIGHTCRAWL_BACKOFF_BASE = 1.0
# AutoThrottle adapts each site's delay to its latency (a slow site is asked less often);
# per-site floors are the spiders' DOWNLOAD_DELAY (ixigo: 1 s, its documented rate).
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.0
AUTOTHROTTLE_MAX_DELAY = 5.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
# Proxies per site: "ixigo=http://p1:3128|http://p2:3128,mmt=http://p3:3128" (a list rotates).
FLIGHTCRAWL_PROXIES = os.environ.get("FLIGHTCRAWL_PROXIES", "")

# Sessions a browser obtained (gate cookies), replayed by plain requests until refused:
# "memory" (this process; the default), "redis" (shared by a site's workers; workers' default),
# "off" (always the browser). See flightcrawl/sessions.py.
FLIGHTCRAWL_SESSION_STORE = os.environ.get("FLIGHTCRAWL_SESSION_STORE", "")
FLIGHTCRAWL_SESSION_TTL = float(os.environ.get("FLIGHTCRAWL_SESSION_TTL", "1800"))
# Seconds the shared browser outlives its last search (0: closed with it). Servers keep it.
FLIGHTCRAWL_BROWSER_LINGER = float(os.environ.get("FLIGHTCRAWL_BROWSER_LINGER", "0"))

DOWNLOADER_MIDDLEWARES = {
    "flightcrawl.hostmap.HostMapMiddleware": 50,
    "flightcrawl.politeness.ProxyMiddleware": 60,
    # Before RetryMiddleware (550) on the way in, so a 429/503 is backed off, not retried at once.
    "flightcrawl.politeness.BackoffMiddleware": 560,
    # After RetryMiddleware (550) on the way out, so a retry is held to the deadline too.
    "flightcrawl.deadline.DeadlineMiddleware": 600,
    # Before the cookie middleware (700), whose lines name only the request: they get its task id.
    "flightcrawl.logs.TaskLogMiddleware": 650,
}
ITEM_PIPELINES = {
    "flightcrawl.pipelines.normalize.NormalizePipeline": 100,
    "flightcrawl.pipelines.validate.ValidatePipeline": 200,
    "flightcrawl.pipelines.publish.PublishPipeline": 900,
}
EXTENSIONS = {
    "flightcrawl.extensions.source_status.SourceStatusExtension": 100,
    # Feeds (-O out.json) get one record per option, not per OptionBatch.
    "scrapy.extensions.feedexport.FeedExporter": None,
    "flightcrawl.extensions.feed.OptionFeedExporter": 0,
}

# Distributed mode (workers and the API): Redis and an isolating key prefix.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
FLIGHTCRAWL_REDIS_PREFIX = os.environ.get("FLIGHTCRAWL_REDIS_PREFIX", "flightcrawl")
# Workers never close for being idle, and never delete the shared queue when one stops.
SCHEDULER_PERSIST = True

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("FLIGHTCRAWL_LOG_LEVEL", "INFO")
