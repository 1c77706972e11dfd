"""Each real site's request contract, in one file per site.

A contract module holds everything flightcrawl believes about how a site is asked: hosts,
paths, parameters, headers, date formats, deep links. Spiders build their requests from it
and the sandbox checks requests against it, so a user with live access who finds a site
changed fixes that one file. Choices made where `shared/sources.md` is silent or sources
disagree are marked "CHOICE:" beside the value.
"""

from __future__ import annotations

from types import ModuleType

from flightcrawl.sites import ixigo, mmt

SITES: dict[str, ModuleType] = {"mmt": mmt, "ixigo": ixigo}


def site_names() -> list[str]:
    return list(SITES)


def title(name: str) -> str:
    return SITES[name].TITLE
