"""The typed outcome of one site's part in a search."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field

from flightcrawl.logs import redact


class Status(enum.StrEnum):
    OK = "ok"
    NO_RESULTS = "no_results"
    BLOCKED = "blocked"
    RATE_LIMITED = "rate_limited"
    TIMEOUT = "timeout"
    BAD_RESPONSE = "bad_response"
    ERROR = "error"


@dataclass
class SourceStatus:
    """Exactly one per site per search: what happened, why, and how much arrived."""

    source: str
    status: Status
    reason: str = ""
    options: int = 0
    dropped: int = 0
    elapsed: float = 0.0
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["status"] = str(self.status)
        data["elapsed"] = round(self.elapsed, 3)
        # A reason often quotes an exception, which may quote a proxy URL or a header: never a secret.
        data["reason"] = redact(self.reason)
        return data

    def line(self) -> str:
        text = f"{self.source}: {self.status}"
        if self.reason:
            text += f" ({self.reason})"
        return f"{text}, {self.options} options in {self.elapsed:.2f} s"


class SiteError(Exception):
    """Raised by a parser or spider when a site's answer tells us the search failed."""

    status: Status = Status.ERROR

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Blocked(SiteError):
    status = Status.BLOCKED


class RateLimited(SiteError):
    status = Status.RATE_LIMITED


class BadResponse(SiteError):
    status = Status.BAD_RESPONSE
