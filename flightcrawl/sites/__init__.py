"""Each real site's request contract, in one file per site.

A contract module holds everything flightcrawl believes about how a site is asked: hosts,
paths, parameters, headers, date formats, deep links. Spiders build their requests from it
and the sandbox checks requests against it, so a user with live access who finds a site
changed fixes that one file. Choices made where `shared/sources.md` is silent or sources
disagree are marked "CHOICE:" beside the value.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# Display order. Each name has flightcrawl/sites/<name>.py (the request contract), a parser in
# flightcrawl/parsers/<name>.py, a spider named <name>, and a sandbox replica in
# flightcrawl/sandbox/<name>.py. A contract module defines NAME, TITLE, HOSTS (every real host
# the spider contacts) and listing_url(query).
SITE_NAMES = ("mmt", "ixigo", "emt", "goibibo", "cleartrip", "yatra", "google")

SITES: dict[str, ModuleType] = {name: importlib.import_module(f"flightcrawl.sites.{name}") for name in SITE_NAMES}


def site_names() -> list[str]:
    return list(SITES)


def title(name: str) -> str:
    return SITES[name].TITLE
