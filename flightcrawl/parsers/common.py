"""Checks every parser makes before reading a body as data."""

from __future__ import annotations

import re

from flightcrawl.status import BadResponse, Blocked

_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_CHALLENGE_MARKS = (
    b"just a moment",
    b"attention required",
    b"challenge",
    b"captcha",
    b"access denied",
    b"enable javascript",
    b"cf-chl",
    b"_abck",
    b"network problem",
)


def reject_html(body: bytes, content_type: str, site: str) -> None:
    """A data endpoint answered with a web page: Blocked for a bot challenge, else BadResponse."""
    head = body[:2048].lstrip().lower()
    if "html" not in content_type.lower() and not head.startswith((b"<!doctype", b"<html")):
        return
    match = _TITLE.search(body[:8192])
    title = match.group(1).decode("utf-8", "replace").strip() if match else ""
    if any(mark in body[:65536].lower() for mark in _CHALLENGE_MARKS):
        raise Blocked(f"{site} served a challenge page instead of data" + (f": {title!r}" if title else ""))
    raise BadResponse(f"{site} served an HTML page instead of data" + (f": {title!r}" if title else ""))


def ends_inside_json(text: str) -> bool:
    """Whether JSON text ends inside a string or with an object/array still open: a body cut
    short (a transfer stopped mid-document), as opposed to malformed JSON."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
    return in_string or depth > 0
