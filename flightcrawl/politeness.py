"""Politeness: back off on 429/503 within the search deadline; proxies per site.

BackoffMiddleware (downloader): a 429 or 503 is asked again after the site's Retry-After (or
FLIGHTCRAWL_BACKOFF_BASE * 2^n seconds), at most FLIGHTCRAWL_BACKOFF_RETRIES times, and only
when the wait and a useful answer still fit before the search's deadline; otherwise the
answer stands and the site is reported `rate_limited` (429) or `error` (503) at once, never
after the deadline. The wait itself is DeadlineMiddleware's (`meta["flightcrawl_wait"]`).

ProxyMiddleware: FLIGHTCRAWL_PROXIES gives a site one proxy or a list to rotate through,
as a dict ({"ixigo": ["http://p1:3128", "http://p2:3128"]}) or a string
("ixigo=http://p1:3128|http://p2:3128,mmt=http://p3:3128"; env FLIGHTCRAWL_PROXIES).
"""

from __future__ import annotations

import email.utils
import itertools
import time
from collections.abc import Iterator

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from flightcrawl.deadline import WAIT_KEY
from flightcrawl.jobs import META_KEY

ATTEMPTS_KEY = "flightcrawl_backoff_attempts"


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (now if now is not None else time.time()))


class BackoffMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.codes = set(settings.getlist("FLIGHTCRAWL_BACKOFF_CODES", [429, 503]))
        self.codes = {int(code) for code in self.codes}
        self.retries = settings.getint("FLIGHTCRAWL_BACKOFF_RETRIES", 2)
        self.base = settings.getfloat("FLIGHTCRAWL_BACKOFF_BASE", 1.0)
        # Time the retried request needs for its answer once the wait is over.
        self.answer_time = settings.getfloat("FLIGHTCRAWL_BACKOFF_ANSWER_SECONDS", 0.5)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in self.codes or request.meta.get("playwright"):
            return response
        attempts = request.meta.get(ATTEMPTS_KEY, 0)
        stats = self.crawler.stats
        if attempts >= self.retries:
            stats.inc_value("flightcrawl/backoff/gave_up")
            return response
        header = response.headers.get("Retry-After", b"").decode("latin-1")
        wait = retry_after_seconds(header)
        if wait is None:
            wait = self.base * 2 ** attempts
        job = getattr(self.crawler.spider, "jobs", {}).get(request.meta.get(META_KEY, ""))
        if job is not None and time.monotonic() + wait + self.answer_time > job.deadline_at:
            stats.inc_value("flightcrawl/backoff/no_time")
            return response  # the deadline comes first: report what the site said
        stats.inc_value(f"flightcrawl/backoff/{response.status}")
        if job is not None:
            job.extra.setdefault("backoff", []).append(f"{response.status}, waited {wait:g} s")
        meta = {**request.meta, ATTEMPTS_KEY: attempts + 1, WAIT_KEY: wait}
        meta.pop("download_timeout", None)  # DeadlineMiddleware sets it again from the time left
        return request.replace(meta=meta, dont_filter=True)


def parse_proxies(value: str | dict | None) -> dict[str, list[str]]:
    """{site: [proxy URL, ...]} from a dict (values a URL or a list) or "site=url|url,site=url"."""
    if not value:
        return {}
    if isinstance(value, dict):
        items = value.items()
    else:
        items = []
        for entry in str(value).split(","):
            site, sep, urls = entry.strip().partition("=")
            if not entry.strip():
                continue
            if not sep:
                raise ValueError(f"FLIGHTCRAWL_PROXIES entry {entry!r} is not site=url[|url...]")
            items.append((site, urls.split("|")))
    proxies = {}
    for site, urls in items:
        urls = [urls] if isinstance(urls, str) else list(urls)
        urls = [u.strip() for u in urls if u.strip()]
        if urls:
            proxies[site.strip()] = urls
    return proxies


class ProxyMiddleware:
    """Sends a site's plain requests through its proxy, rotating through its list."""

    def __init__(self, crawler: Crawler, proxies: dict[str, list[str]]) -> None:
        self.crawler = crawler
        self.cycles: dict[str, Iterator[str]] = {site: itertools.cycle(urls) for site, urls in proxies.items()}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProxyMiddleware:
        proxies = parse_proxies(crawler.settings.get("FLIGHTCRAWL_PROXIES"))
        if not proxies:
            raise NotConfigured
        return cls(crawler, proxies)

    def process_request(self, request: Request) -> None:
        name = getattr(self.crawler.spider, "name", None)
        if name in self.cycles and "proxy" not in request.meta and not request.meta.get("playwright"):
            request.meta["proxy"] = next(self.cycles[name])
        return None
