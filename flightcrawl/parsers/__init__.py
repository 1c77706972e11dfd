"""Pure parsers, one per site: response bytes in, RawOptions out.

No Scrapy, no network: each is tested on fixture files (tests/fixtures/<site>/<case>/),
in the manner of web-poet page objects. A parser raises a `flightcrawl.status.SiteError`
subclass when the body says the search failed (a challenge page is `Blocked`, an unreadable
body is `BadResponse`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flightcrawl.items import RawOption


@dataclass
class SearchPage:
    options: list[RawOption] = field(default_factory=list)
    complete: bool = True  # False when the body was cut short; options from whole frames kept
    note: str = ""
    rejected: list[str] = field(default_factory=list)  # entries that could not be read, and why
