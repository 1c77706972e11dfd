"""Turn a failed request (a Twisted Failure from an errback) into a typed status and reason."""

from __future__ import annotations

import re

from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as net
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from flightcrawl.deadline import DeadlineExceeded
from flightcrawl.fields import strip_html
from flightcrawl.status import SiteError, Status

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _snippet(body: bytes, limit: int = 120) -> str:
    """What a person would read first in an error body: its title, else its text."""
    head = body[:4096].decode("utf-8", "replace")
    match = _TITLE.search(head)
    text = strip_html(match.group(1) if match else head)
    return text[:limit] + ("..." if len(text) > limit else "")


def classify_http(status: int, headers: dict[str, str], body: bytes) -> tuple[Status, str]:
    server = headers.get("server", "")
    by = f" from {server}" if server else ""
    detail = _snippet(body)
    detail = f": {detail}" if detail else ""
    if status == 429:
        retry = headers.get("retry-after")
        return Status.RATE_LIMITED, f"HTTP 429{by}" + (f", Retry-After {retry} s" if retry else "")
    if status in (401, 403, 407, 451):
        return Status.BLOCKED, f"HTTP {status}{by}{detail}"
    if status >= 500:
        return Status.ERROR, f"HTTP {status}{by}{detail}"
    return Status.ERROR, f"HTTP {status}{by}{detail}"


# The same failure reads the same whether Twisted or a browser met it.
TIMED_OUT = (Status.TIMEOUT, "no complete answer within the search deadline")
REFUSED = (Status.ERROR, "connection refused")
NO_DNS = (Status.ERROR, "DNS lookup failed (no network?)")
RESET = (Status.ERROR, "connection closed before a response (reset by the site?)")
CUT = (Status.BAD_RESPONSE, "response body cut off")

# Chromium's network errors, as Playwright reports a failed navigation ("net::ERR_... at URL").
_NET_ERROR = re.compile(r"net::(ERR_[A-Z_]+)")
_BROWSER_EXIT = re.compile(r"<process did exit: ([^>]+)>")
_NET_ERRORS = {
    "ERR_CONNECTION_RESET": RESET,
    "ERR_CONNECTION_CLOSED": RESET,
    "ERR_EMPTY_RESPONSE": RESET,
    "ERR_CONNECTION_REFUSED": REFUSED,
    "ERR_NAME_NOT_RESOLVED": NO_DNS,
    "ERR_INTERNET_DISCONNECTED": NO_DNS,
    "ERR_TIMED_OUT": TIMED_OUT,
    "ERR_CONTENT_LENGTH_MISMATCH": CUT,
    "ERR_INCOMPLETE_CHUNKED_ENCODING": CUT,
}


def classify_browser_error(exc: Exception) -> tuple[Status, str]:
    """A Playwright error (a browser-driven spider's download failed) as a status and reason."""
    message = str(getattr(exc, "message", "") or exc)
    first_line = message.strip().splitlines()[0] if message.strip() else type(exc).__name__
    if type(exc).__name__ == "TimeoutError":
        # "Page.wait_for_selector: Timeout 2679.13ms exceeded." -> what was waited for
        return TIMED_OUT[0], f"{TIMED_OUT[1]} ({first_line.split(':')[0]} timed out)"
    if "BrowserType.launch" in message or "Executable doesn't exist" in message:
        exited = _BROWSER_EXIT.search(message)
        return Status.ERROR, f"browser not available: {first_line}" + (
            f" (it exited: {exited.group(1)})" if exited else "")
    if match := _NET_ERROR.search(message):
        status, reason = _NET_ERRORS.get(match.group(1), (Status.ERROR, "browser navigation failed"))
        return status, f"{reason} (net::{match.group(1)})"
    return Status.ERROR, f"browser: {first_line}"


def classify_failure(failure: Failure) -> tuple[Status, str]:
    exc = failure.value
    if type(exc).__module__.startswith("playwright."):  # checked by name: no import for HTTP spiders
        return classify_browser_error(exc)
    if isinstance(exc, HttpError):
        response = exc.response
        headers = {k.decode().lower(): v[0].decode("latin-1") for k, v in response.headers.items() if v}
        return classify_http(response.status, headers, response.body)
    if isinstance(exc, SiteError):
        return exc.status, exc.reason
    if isinstance(exc, DeadlineExceeded | net.TimeoutError | net.TCPTimedOutError):
        return TIMED_OUT
    if isinstance(exc, net.ConnectionRefusedError):
        return REFUSED
    if isinstance(exc, net.DNSLookupError):
        return NO_DNS
    if isinstance(exc, ResponseNeverReceived | net.ConnectionLost | net.ConnectionDone):
        return RESET
    if isinstance(exc, ResponseFailed):
        return CUT
    return Status.ERROR, f"{type(exc).__name__}: {exc}"
