"""A search job: one site's part in one search, tracked from its first request to its status.

A spider may run one job (ad-hoc `scrapy crawl`, embedded mode) or many at once (a worker
fed from Redis). Requests carry their job's task id in `meta["flightcrawl_task"]`; the job
knows how many of its requests are still open and how many of its items are still in the
pipelines, so its one final status is decided exactly when its last request is processed,
errbacks included.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from flightcrawl.query import SearchQuery
from flightcrawl.status import SourceStatus, Status

META_KEY = "flightcrawl_task"


@dataclass
class SearchJob:
    task_id: str
    site: str
    query: SearchQuery | None  # None when the job's arguments were bad (then `status` says why)
    deadline_at: float  # time.monotonic() by which the job must be final
    started: float = field(default_factory=time.monotonic)
    attempt: str = ""  # which delivery of the job this is (distributed mode re-delivers)
    status: Status | None = None  # the first failure met decides the status
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    open_requests: int = 0
    items_expected: int = 0  # items (option batches) yielded by callbacks that have finished
    items_scraped: int = 0
    items_dropped: int = 0  # dropped whole by the pipelines
    options_kept: int = 0  # options through every pipeline
    options_dropped: int = 0  # options removed by the pipelines
    entries_rejected: int = 0  # unreadable in the body, never became items
    callbacks_running: int = 0
    final: SourceStatus | None = None
    extra: dict = field(default_factory=dict)  # e.g. how a gated site's session was had

    def fail(self, status: Status, reason: str) -> None:
        if self.status is None:
            self.status, self.reason = status, reason
        else:
            self.notes.append(f"{status}: {reason}")

    @property
    def seconds_left(self) -> float:
        return self.deadline_at - time.monotonic()

    @property
    def settled(self) -> bool:
        """No request open, no callback running, every yielded item through the pipelines."""
        return (self.open_requests == 0 and self.callbacks_running == 0
                and self.items_scraped + self.items_dropped >= self.items_expected)

    def conclude(self, late: bool = False, stopped: str | None = None) -> SourceStatus:
        """The job's one final status (idempotent: the first conclusion stands)."""
        if self.final is not None:
            return self.final
        status, reason = self.status, self.reason
        dropped = self.options_dropped + self.entries_rejected
        if status is None and late:
            status, reason = Status.TIMEOUT, "no complete answer within the search deadline"
        elif status is None and stopped:
            status, reason = Status.ERROR, f"search stopped ({stopped})"
        if status is None:
            if self.options_kept:
                status = Status.OK
            elif dropped:
                status, reason = Status.BAD_RESPONSE, f"all {dropped} options were unreadable or invalid"
            else:
                status = Status.NO_RESULTS
        if dropped and status is Status.OK:
            reason = f"{dropped} unreadable options dropped"
        self.final = SourceStatus(source=self.site, status=status, reason=reason, options=self.options_kept,
                                  dropped=dropped, elapsed=time.monotonic() - self.started, extra=dict(self.extra))
        return self.final
