"""What the API needs from a mode: start a task, follow its events, read its state."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from flightcrawl.query import SearchQuery
from flightcrawl.sites import title


@dataclass
class Event:
    id: str
    type: str  # progress | partial | source_done | TOTAL
    data: dict[str, Any]
    _text: str | None = field(default=None, repr=False, compare=False)

    def text(self) -> str:
        """The data as sent over SSE, serialized once however many clients stream it."""
        if self._text is None:
            self._text = json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))
        return self._text


class UnknownTask(KeyError):
    pass


class Backend(Protocol):
    mode: str

    async def start(self, query: SearchQuery, sources: list[str], deadline: float) -> tuple[str, bool]:
        """(task id, whether it is new); identical searches within the dedupe TTL share a task."""

    async def exists(self, task_id: str) -> bool: ...

    def events(self, task_id: str, after: str | None = None) -> AsyncIterator[Event]:
        """Everything logged after `after`, then live; ends after TOTAL. UnknownTask if none."""

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
