"""What the API needs from a mode: start a task, follow its events, read its state."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol

from flightcrawl import fastjson
from flightcrawl.api import sse
from flightcrawl.query import SearchQuery
from flightcrawl.sites import title


class Event:
    """One event of a search as the API streams it (type: progress | partial | source_done | TOTAL).

    Made from its data (embedded mode) or from the JSON text the event log holds (distributed
    mode). The text and the SSE frame are made once however many clients stream the event, and
    logged text is parsed only when something reads `data` (streaming never does).
    """

    __slots__ = ("id", "type", "_data", "_text", "_frame", "_wire")

    def __init__(self, id: str, type: str, data: dict[str, Any] | None = None, text: str | None = None) -> None:
        if data is None and text is None:
            raise ValueError("an event needs its data or its JSON text")
        self.id, self.type = id, type
        self._data, self._text = data, text
        self._frame: bytes | None = None
        self._wire: sse.Wire | None = None

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = fastjson.loads(self._text)
        return self._data

    def text(self) -> str:
        """The data as sent over SSE."""
        if self._text is None:
            self._text = fastjson.dumps(self._data)
        return self._text

    def frame(self) -> bytes:
        """The whole SSE frame (id, event, data), as bytes."""
        if self._frame is None:
            self._frame = sse.frame(self.id, self.type, self.text())
        return self._frame

    def wire(self, audience: int = 1) -> sse.Wire:
        """The frame as written to clients (chunked, compressed or not), made once per form;
        `audience` (how many clients it is first written to) sets how hard it is compressed."""
        if self._wire is None:
            self._wire = sse.Wire(self.frame(), audience)
        return self._wire

    def compact(self) -> None:
        """Keep only the JSON text, one str the cyclic collector never walks: a kept search's
        parsed events are thousands of dicts, and an hour of them made the embedded server's
        full collections take 100-480 ms (searches caught in one were that much late).
        `data`, the frame and the wire forms are made again if anything reads them."""
        self.text()
        self._data = None
        self._frame = self._wire = None

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Event) and (self.id, self.type) == (other.id, other.type)
                and self.data == other.data)

    def __repr__(self) -> str:
        return f"Event(id={self.id!r}, type={self.type!r})"


class UnknownTask(KeyError):
    pass


class Backend(Protocol):
    mode: str

    async def start(self, query: SearchQuery, sources: list[str], deadline: float) -> tuple[str, bool]:
        """(task id, whether it is new); identical searches within the dedupe TTL share a task."""

    async def exists(self, task_id: str) -> bool: ...

    async def stream(self, task_id: str, sink: Any, after: str | None = None) -> None:
        """Write everything logged after `after` to `sink` (sse.FrameResponse), then live events,
        until TOTAL (api/fanout.py). UnknownTask if none."""

    async def result(self, task_id: str) -> dict[str, Any]:
        """Statuses, partial options so far, TOTAL once done. UnknownTask if none."""

    async def sources(self) -> dict[str, Any]:
        """Per site: live workers, recent outcomes and latency."""

    async def health(self) -> dict[str, Any]: ...

    async def close(self) -> None: ...


def search_digest(query: SearchQuery, sources: list[str]) -> str:
    """Identity of a search for de-duplication: route, date, passengers, cabin, sites."""
    key = json.dumps({**query.to_dict(), "sources": sorted(sources)}, sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def result_from_events(task_id: str, meta: dict[str, Any], events: list[Event]) -> dict[str, Any]:
    statuses: dict[str, Any] = {}
    options: list[dict[str, Any]] = []
    total = None
    for event in events:
        if event.type == "partial":
            options.extend(event.data["options"])
        elif event.type == "source_done":
            statuses[event.data["source"]] = {k: v for k, v in event.data.items() if k != "attempt"}
        elif event.type == "TOTAL":
            total = event.data
    pending = [s for s in meta["sources"] if s not in statuses]
    return {"task_id": task_id, "state": "done" if total is not None else "running",
            "search": {**meta["query"], "sources": meta["sources"]}, "sources": statuses,
            "pending": pending, "options": options if total is None else [], "total": total,
            "last_event_id": events[-1].id if events else None}


def site_summary(site: str, outcomes: list[tuple[str, float]], workers: int, queued: int) -> dict[str, Any]:
    """A site's health from its recent (status, seconds) outcomes, newest last."""
    ok = sum(1 for status, _ in outcomes if status in ("ok", "no_results"))
    latencies = sorted(seconds for _, seconds in outcomes)
    counts: dict[str, int] = {}
    for status, _ in outcomes:
        counts[status] = counts.get(status, 0) + 1
    return {"title": title(site), "live_workers": workers, "queued": queued, "recent_searches": len(outcomes),
            "success_rate": round(ok / len(outcomes), 3) if outcomes else None,
            "median_seconds": latencies[len(latencies) // 2] if latencies else None, "statuses": counts}
