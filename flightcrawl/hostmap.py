"""Point real site hosts at other base URLs (the sandbox, a recorder, a mirror).

FLIGHTCRAWL_HOST_MAP (setting or environment variable) maps a real host to a base URL:
    flights-cb.makemytrip.com=http://127.0.0.1:8901/flights-cb.makemytrip.com,www.ixigo.com=...
Spiders always build the real URL; this downloader middleware rewrites it on the way out,
so nothing else knows whether it talks to the real site.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


def parse_host_map(value: str | dict[str, str] | None) -> dict[str, str]:
    """{host: base URL} from a dict or "host=url,host=url"; ValueError on a malformed entry."""
    if not value:
        return {}
    if isinstance(value, dict):
        pairs = list(value.items())
    else:
        pairs = []
        for entry in str(value).replace(";", ",").split(","):
            if not entry.strip():
                continue
            host, sep, base = entry.partition("=")
            if not sep:
                raise ValueError(f"FLIGHTCRAWL_HOST_MAP entry {entry!r} is not host=url")
            pairs.append((host, base))
    mapping = {}
    for host, base in pairs:
        host, base = host.strip().lower(), base.strip().rstrip("/")
        if not host or urlsplit(base).scheme not in ("http", "https"):
            raise ValueError(f"FLIGHTCRAWL_HOST_MAP entry {host}={base} needs an http(s) base URL")
        mapping[host] = base
    return mapping


def format_host_map(mapping: dict[str, str]) -> str:
    return ",".join(f"{host}={base}" for host, base in mapping.items())


def rewrite_url(url: str, mapping: dict[str, str]) -> str:
    parts = urlsplit(url)
    base = mapping.get((parts.hostname or "").lower())
    if base is None:
        return url
    rest = parts.path or "/"
    if parts.query:
        rest += "?" + parts.query
    return base + rest


class HostMapMiddleware:
    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostMapMiddleware:
        mapping = parse_host_map(crawler.settings.get("FLIGHTCRAWL_HOST_MAP"))
        if not mapping:
            raise NotConfigured
        return cls(mapping)

    def process_request(self, request: Request) -> Request | None:
        if request.meta.get("flightcrawl_mapped"):
            return None
        url = rewrite_url(request.url, self.mapping)
        if url == request.url:
            return None
        # The real URL stays in meta for logs and for parsers that care where data came from.
        meta = {**request.meta, "flightcrawl_mapped": True, "flightcrawl_real_url": request.url}
        return request.replace(url=url, meta=meta)
