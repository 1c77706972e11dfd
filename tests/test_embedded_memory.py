"""The embedded server runs for days: what a finished search leaves behind must be small and
out of the cyclic collector's way."""

from __future__ import annotations

import os
import subprocess
import sys

from flightcrawl.api.embedded import TaskLog
from tests.conftest import REPO, SESSIONS_ENV

SEARCHES = """
import gc
from flightcrawl import reactor
from flightcrawl.embedded import EmbeddedSearch
from flightcrawl.query import SearchQuery
from flightcrawl.sandbox.app import SandboxServer
from flightcrawl.sandbox.faults import SandboxConfig
from scrapy.crawler import Crawler

async def main():
    box = await SandboxServer(SandboxConfig(rate_limit=False)).start()
    statuses = []
    for day in range(3):
        total = await EmbeddedSearch(SearchQuery.parse("DEL", "BOM", f"+{40 + day}"), ["mmt", "ixigo"],
                                     deadline=15, host_map=box.host_map,
                                     settings={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}).run()
        statuses.append(sorted(s["status"] for s in total["sources"].values()))
    await box.stop()
    gc.collect()
    print("statuses", statuses)
    print("crawlers alive", sum(isinstance(o, Crawler) for o in gc.get_objects()))

reactor.run(main)
"""


def test_finished_searches_leave_no_crawler_behind():
    # The shared browser handler's per-crawler table once kept every search's crawlers (settings,
    # engine, stats): the heap grew with each search and full collections took hundreds of ms.
    done = subprocess.run([sys.executable, "-c", SEARCHES], capture_output=True, text=True, timeout=120,
                          cwd=REPO, env={**os.environ, **SESSIONS_ENV, "FLIGHTCRAWL_BROWSER_LINGER": "0"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "statuses [['ok', 'ok'], ['ok', 'ok'], ['ok', 'ok']]" in done.stdout, done.stderr[-3000:]
    assert "crawlers alive 0" in done.stdout


def test_a_finished_search_is_kept_as_text():
    log = TaskLog("t1", {"query": {}, "sources": ["mmt"], "created": 0.0})
    partial = {"source": "mmt", "options": [{"price": 5000, "flight_key": "6E-2171@2026-12-20"}]}
    total = {"flights": [], "sources": {"mmt": {"status": "ok"}}, "counts": {"options": 1}}
    log.add("partial", partial)
    assert log.events[0]._data is not None  # live: the data as made
    log.add("TOTAL", total)
    assert all(event._data is None and event._frame is None for event in log.events)
    assert [event.data for event in log.events] == [partial, total]  # read back from the text
    assert log.events[1].frame().startswith(b"id: 2\r\nevent: TOTAL\r\n")
