"""`flightcrawl doctor`: try each site's path and say, per site, whether it works and if not why.

By default against the sandbox (gates on: the realistic path, browser included); with
`--live` against the real sites. Every gated site is tried from scratch (no cached session),
so its browser path is what is tried. Verdicts: works / blocked (by what) / rate limited /
format changed (what the parser missed) / timeout / error, with the time each took.

`--live` first resolves each site's hosts (a few seconds at most): a machine without network
is told so at once instead of waiting out the deadline.
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

from flightcrawl.embedded import EmbeddedSearch
from flightcrawl.query import SearchQuery
from flightcrawl.sites import SITES, title
from flightcrawl.status import Status

VERDICTS = {
    Status.OK: "works",
    Status.NO_RESULTS: "works",
    Status.BLOCKED: "blocked",
    Status.RATE_LIMITED: "rate limited",
    Status.BAD_RESPONSE: "format changed",
    Status.TIMEOUT: "timeout",
    Status.ERROR: "error",
}
RESOLVE_SECONDS = 3.0


async def _resolves(host: str) -> str | None:
    """None when `host` resolves, else why not."""
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.getaddrinfo(host, 443, type=socket.SOCK_STREAM), RESOLVE_SECONDS)
    except TimeoutError:
        return f"no network: resolving {host} took over {RESOLVE_SECONDS:g} s"
    except OSError as exc:
        return f"no network: cannot resolve {host} ({exc.strerror or exc})"
    return None


async def preflight(sites: list[str]) -> dict[str, str]:
    """{site: reason} for the sites whose hosts do not resolve."""
    hosts = sorted({host for site in sites for host in SITES[site].HOSTS})
    answers = dict(zip(hosts, await asyncio.gather(*(_resolves(h) for h in hosts)), strict=True))
    down = {}
    for site in sites:
        reasons = [answers[h] for h in SITES[site].HOSTS if answers[h]]
        if reasons:
            down[site] = reasons[0]
    return down


# Sites read from a page the browser renders (every search), not through a gate's session.
RENDERED = {"yatra"}


def row(site: str, status: dict[str, Any] | None, reason: str = "", seconds: float = 0.0) -> dict[str, Any]:
    if status is None:
        return {"site": site, "verdict": "no network", "detail": reason, "seconds": round(seconds, 3), "path": ""}
    verdict = VERDICTS.get(Status(status["status"]), status["status"])
    detail = status.get("reason", "")
    if status["status"] in ("ok", "no_results"):
        detail = f"{status['options']} options" + (f"; {detail}" if detail else "")
    return {"site": site, "verdict": verdict, "detail": detail, "seconds": status.get("elapsed", 0.0),
            "path": status.get("extra", {}).get("session") or ("browser" if site in RENDERED else "http")}


async def diagnose(sites: list[str], query: SearchQuery, *, live: bool, deadline: float) -> list[dict[str, Any]]:
    from flightcrawl import browser
    from flightcrawl.sandbox.app import SandboxServer

    rows: dict[str, dict[str, Any]] = {}
    if live:
        started = time.monotonic()
        for site, reason in (await preflight(sites)).items():
            rows[site] = row(site, None, reason, time.monotonic() - started)
    todo = [s for s in sites if s not in rows]
    sandbox = None if live else await SandboxServer().start()
    try:
        if todo:
            search = EmbeddedSearch(query, todo, deadline=deadline,
                                    host_map=sandbox.host_map if sandbox else None,
                                    settings={"FLIGHTCRAWL_SESSION_STORE": "off"})
            total = await search.run()
            for site in todo:
                rows[site] = row(site, total["sources"].get(site))
    finally:
        await browser.shutdown()
        if sandbox is not None:
            await sandbox.stop()
    return [rows[s] for s in sites]


def render(rows: list[dict[str, Any]]) -> str:
    lines = []
    for r in rows:
        detail = f" ({r['detail']})" if r["detail"] else ""
        path = f"  [{r['path']}]" if r["path"] else ""
        lines.append(f"{title(r['site']):<14} {r['verdict']:<15} {r['seconds']:6.2f} s{path}{detail}")
    return "\n".join(lines)
