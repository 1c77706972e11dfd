"""Plain HTTP with a browser's TLS fingerprint (curl_cffi), for sites that check it.

Google (shared/sources.md §7.1: fast-flights uses primp with `impersonate="chrome_..."`) and
Cloudflare (§2.2: a `cf_clearance` replay must match the TLS fingerprint that solved it;
aiohttp is refused even with a valid cookie) tell a Python TLS stack from a browser's by its
ClientHello (JA3/JA4) and HTTP/2 settings. Twisted's TLS looks like OpenSSL's defaults, not
like Chrome. curl_cffi drives curl-impersonate (BoringSSL with Chrome's cipher order,
extensions and HTTP/2 frames), ships as a wheel with its own libcurl, and runs on the asyncio
loop Scrapy already uses. CHOICE over scrapy-impersonate (a thin handler over the same
curl_cffi): ours is ~100 lines, keeps our deadline (download_timeout), dataloss and failure
semantics, and does not depend on a plugin's support for Scrapy 2.19's handler API.

A request is impersonated when its meta says `impersonate` (a curl_cffi browser name) or its
spider's FLIGHTCRAWL_IMPERSONATE setting names one; others go over Scrapy's own HTTP client.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from twisted.internet import error as net
from twisted.web._newclient import ResponseFailed

META_KEY = "impersonate"
# curl error codes (libcurl's CURLcode) as the failures the rest of flightcrawl knows.
_TIMEOUT, _REFUSED, _DNS, _PARTIAL, _EMPTY, _RECV = 28, 7, 6, 18, 52, 56


def _as_twisted(exc: Exception) -> Exception:
    code = getattr(exc, "code", None)
    if code == _TIMEOUT:
        return net.TimeoutError(str(exc))
    if code == _REFUSED:
        return net.ConnectionRefusedError(str(exc))
    if code == _DNS:
        return net.DNSLookupError(str(exc))
    if code in (_EMPTY, _RECV):
        return net.ConnectionLost(str(exc))
    if code == _PARTIAL:
        return ResponseFailed([exc])
    return exc


class Impersonator:
    """One curl_cffi session (its own connection pool), made at first use.

    `max_clients` is how many requests it runs at once: curl_cffi's default of 10 held a worker
    to 10 searches in flight whatever CONCURRENT_REQUESTS said (measured: 48 ixigo searches at
    once took 2.7 s, not 0.5 s).
    """

    def __init__(self, max_clients: int = 64) -> None:
        self._session: Any = None
        self.max_clients = max_clients

    async def download(self, request: Request, target: str) -> Response:
        if self._session is None:
            from curl_cffi.requests import AsyncSession

            self._session = AsyncSession(max_clients=self.max_clients)
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in request.headers.items()}
        try:
            answer = await self._session.request(
                request.method, request.url, headers=headers, data=request.body or None,
                impersonate=target, timeout=request.meta.get("download_timeout") or 30,
                allow_redirects=False, proxy=request.meta.get("proxy"),
                default_headers=False)  # ours (User-Agent, cookies) only: no second User-Agent
        except Exception as exc:
            raise _as_twisted(exc) from exc
        response_headers = Headers()
        for name, value in answer.headers.multi_items():
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding"):
                response_headers.appendlist(name, value)  # curl has decoded the body already
        body = answer.content
        cls = responsetypes.from_args(headers=response_headers, url=request.url, body=body)
        return cls(url=request.url, status=answer.status_code, headers=response_headers, body=body,
                   request=request, flags=[f"impersonate:{target}"])

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def target_of(request: Request, default: str | None) -> str | None:
    if request.meta.get("playwright"):
        return None
    return request.meta.get(META_KEY, default) or None


class ImpersonatingHandler(HTTP11DownloadHandler):
    """DOWNLOAD_HANDLERS for a spider whose plain requests must look like a browser's."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler=crawler)
        self.default = crawler.settings.get("FLIGHTCRAWL_IMPERSONATE") or None
        self.impersonator = Impersonator(crawler.settings.getint("CONCURRENT_REQUESTS", 64))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ImpersonatingHandler:
        return cls(crawler)

    async def download_request(self, request: Request) -> Response:
        if target := target_of(request, self.default):
            return await self.impersonator.download(request, target)
        return await super().download_request(request)

    async def close(self) -> None:
        await self.impersonator.close()
        await super().close()
