"""Every Redis key flightcrawl writes, in one place.

Every key has a TTL (tests/test_reliability.py scans the keyspace after a run): per-search keys
expire TASK_TTL after their last write; the shared ones (queues, registries, the completions
stream, the pending set) have theirs refreshed on each write, so they outlive any job in them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str

    def queue(self, site: str) -> str:
        """LIST of JSON jobs waiting for a worker of `site`."""
        return f"{self.prefix}:queue:{site}"

    def leased(self, site: str, worker: str) -> str:
        """LIST of jobs a worker has taken and not yet finished."""
        return f"{self.prefix}:leased:{site}:{worker}"

    def lease(self, site: str, worker: str) -> str:
        """STRING with a short TTL: the worker is alive while it exists."""
        return f"{self.prefix}:lease:{site}:{worker}"

    def workers(self, site: str) -> str:
        """ZSET worker -> last heartbeat (epoch seconds)."""
        return f"{self.prefix}:workers:{site}"

    def dead_letters(self, site: str) -> str:
        """LIST of malformed jobs, kept for inspection."""
        return f"{self.prefix}:dead:{site}"

    def task(self, task_id: str) -> str:
        """HASH: query, sources, deadline, created."""
        return f"{self.prefix}:task:{task_id}"

    def events(self, task_id: str) -> str:
        """STREAM: the search's events; the entry id is the SSE id."""
        return f"{self.prefix}:task:{task_id}:events"

    def statuses(self, task_id: str) -> str:
        """HASH site -> final status JSON (written once per site)."""
        return f"{self.prefix}:task:{task_id}:status"

    def total(self, task_id: str) -> str:
        """STRING: set once TOTAL has been appended."""
        return f"{self.prefix}:task:{task_id}:total"

    def dedupe(self, digest: str) -> str:
        return f"{self.prefix}:dedupe:{digest}"

    def pending(self) -> str:
        """ZSET task -> deadline (epoch): searches without TOTAL yet."""
        return f"{self.prefix}:pending"

    def completions(self) -> str:
        """STREAM of task ids whose site statuses changed: wakes the API's finisher."""
        return f"{self.prefix}:completions"

    def stats(self, site: str) -> str:
        """HASH of recent per-site outcome counts and latency, for /api/sources."""
        return f"{self.prefix}:stats:{site}"
