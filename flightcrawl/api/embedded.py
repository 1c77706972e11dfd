"""Embedded mode: every search's spiders run in this process; events are kept in memory."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

from flightcrawl import embedded
from flightcrawl.api.backend import Event, UnknownTask, result_from_events, search_digest, site_summary
from flightcrawl.api.fanout import SearchLog, Sink
from flightcrawl.query import SearchQuery
from flightcrawl.sites import SITES
from flightcrawl.status import SourceStatus, Status

logger = logging.getLogger(__name__)


class TaskLog(SearchLog):
    """One search's events, numbered from 1 (the SSE ids), and the clients following them."""

    def __init__(self, task_id: str, meta: dict[str, Any]) -> None:
        super().__init__()
        self.task_id, self.meta = task_id, meta
        self.finished_at: float | None = None

    def add(self, type_: str, data: dict[str, Any]) -> None:
        if self.done:
            return
        if type_ == "TOTAL":
            self.finished_at = time.monotonic()
        self.append(Event(str(len(self.events) + 1), type_, data))
        if self.done:  # sent to everyone following: kept as text for late clients and /result
            for event in self.events:
                event.compact()

    def start_index(self, after: str | None) -> int:
        return int(after) if after and after.isdigit() else 0


class EmbeddedBackend:
    mode = "embedded"

    def __init__(self, host_map: dict[str, str] | None = None, dedupe_ttl: float = 300,
                 task_ttl: float = 3600, settings: dict[str, Any] | None = None) -> None:
        self.host_map, self.dedupe_ttl, self.task_ttl = host_map, dedupe_ttl, task_ttl
        self.settings = settings or {}
        self.tasks: dict[str, TaskLog] = {}
        self.recent: dict[str, tuple[str, float]] = {}  # digest -> (task id, expiry)
        self.outcomes: dict[str, deque[tuple[str, float]]] = {s: deque(maxlen=100) for s in SITES}
        self.running: set[asyncio.Task] = set()
        self.on_outcome: Callable[[str, str, float], None] | None = None  # the app's metrics

    async def start(self, query: SearchQuery, sources: list[str], deadline: float,
                    site_deadlines: dict[str, float] | None = None) -> tuple[str, bool]:
        self._expire()
        digest = search_digest(query, sources)
        known = self.recent.get(digest)
        if known and known[1] > time.monotonic() and known[0] in self.tasks:
            return known[0], False
        task_id = str(uuid.uuid4())
        log = TaskLog(task_id, {"query": query.to_dict(), "sources": sources, "created": time.time()})
        self.tasks[task_id] = log
        self.recent[digest] = (task_id, time.monotonic() + self.dedupe_ttl)

        def on_event(event: embedded.Event) -> None:
            if event.type == "source_done":
                self.outcomes[event.data["source"]].append((event.data["status"], event.data["elapsed"]))
                if self.on_outcome is not None:
                    self.on_outcome(event.data["source"], event.data["status"], event.data["elapsed"])
            log.add(event.type, event.data)

        search = embedded.EmbeddedSearch(query, sources, deadline=deadline, host_map=self.host_map,
                                         on_event=on_event, settings=self.settings, task_id=task_id,
                                         site_deadlines=site_deadlines)
        task = asyncio.ensure_future(self._run(search, log))
        self.running.add(task)
        task.add_done_callback(self.running.discard)
        return task_id, True

    async def _run(self, search: embedded.EmbeddedSearch, log: TaskLog) -> None:
        try:
            await search.run()
        except Exception as exc:  # never leave a client without TOTAL
            logger.exception("embedded search %s failed", log.task_id)
            for site in log.meta["sources"]:
                if site not in search.state.statuses:
                    search.state.statuses[site] = SourceStatus(site, Status.ERROR, f"{type(exc).__name__}: {exc}")
            if not log.done:
                from flightcrawl.club import club

                log.add("TOTAL", club(search.state.options, search.state.statuses))

    def _log(self, task_id: str) -> TaskLog:
        try:
            return self.tasks[task_id]
        except KeyError:
            raise UnknownTask(task_id) from None

    async def exists(self, task_id: str) -> bool:
        return task_id in self.tasks

    async def stream(self, task_id: str, sink: Sink, after: str | None = None) -> None:
        await self._log(task_id).stream(sink, after)

    async def result(self, task_id: str) -> dict[str, Any]:
        log = self._log(task_id)
        return result_from_events(task_id, log.meta, list(log.events))

    async def sources(self) -> dict[str, Any]:
        return {site: site_summary(site, list(self.outcomes[site]), workers=1, queued=0) for site in SITES}

    async def health(self) -> dict[str, Any]:
        return {"status": "ok", "mode": self.mode, "tasks": len(self.tasks), "running": len(self.running)}

    async def close(self) -> None:
        for task in list(self.running):
            task.cancel()

    def _expire(self) -> None:
        now = time.monotonic()
        for digest, (_, expiry) in list(self.recent.items()):
            if expiry <= now:
                del self.recent[digest]
        for task_id, log in list(self.tasks.items()):
            if log.done and log.finished_at is not None and now - log.finished_at > self.task_ttl:
                del self.tasks[task_id]
