"""One search's events in this API process, delivered to every client that follows it.

A client first catches up on what was logged before it came (awaiting each write, so a long
replay drains as it goes); from then on it is *live*: when an event arrives, `append` writes
it to every live client in one loop, the event's bytes made once (sse.Wire). No task wakes
per client per event: with 10,000 clients on one search, a task wake-up, a timeout handle and
an async-generator step per client were most of the delivery time. A client whose buffer
fills (slow reader) leaves the live set and drains in its own task with the send timeout,
then catches up and goes live again. Each client still receives every event once, in order.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from flightcrawl.api.backend import Event

TERMINAL = "TOTAL"


class Sink(Protocol):
    """Where one client's events go (sse.FrameResponse)."""

    def push(self, wire: object) -> bool:
        """Write at once; True when the client's buffer is full. Raises ConnectionResetError."""

    async def send_wire(self, wire: object) -> None: ...

    async def drain(self) -> None: ...


class _Follower:
    __slots__ = ("sink", "index", "after", "waiter")

    def __init__(self, sink: Sink, index: int, after: object) -> None:
        self.sink, self.index, self.after = sink, index, after
        self.waiter: asyncio.Future[str] | None = None

    def wake(self, outcome: str | BaseException) -> None:
        if self.waiter is not None and not self.waiter.done():
            if isinstance(outcome, BaseException):
                self.waiter.set_exception(outcome)
            else:
                self.waiter.set_result(outcome)


class SearchLog:
    """The events of one search as this process holds them, and the clients following them."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.done = False
        self.error: BaseException | None = None
        self._live: dict[_Follower, None] = {}  # insertion-ordered: first come, first written

    # --- what a mode decides ---------------------------------------------------------------

    def start_index(self, after: str | None) -> int:
        """Where a client resuming after event id `after` starts in `events`."""
        return 0

    def skip(self, event: Event, after: object) -> bool:
        """Whether a client resuming after `after` had `event` already."""
        return False

    def resume_point(self, after: str | None) -> object:
        """What `skip` compares events with (None: nothing to skip)."""
        return None

    # --- events in ---------------------------------------------------------------------------

    def append(self, event: Event) -> None:
        self.events.append(event)
        self.done = self.done or event.type == TERMINAL
        if self._live:
            event.wire(len(self._live))
        for follower in list(self._live):
            follower.index += 1
            if not self._new_to(follower, event):
                continue
            try:
                full = follower.sink.push(event.wire())
            except ConnectionResetError as exc:
                self._leave(follower, exc)
                continue
            if event.type == TERMINAL:
                self._leave(follower, "total")
            elif full:
                self._leave(follower, "drain")

    def fail(self, error: BaseException) -> None:
        self.error = error
        for follower in list(self._live):
            self._leave(follower, error)

    def _new_to(self, follower: _Follower, event: Event) -> bool:
        """Whether a client resuming with Last-Event-ID lacks `event`."""
        if follower.after is not None:
            if self.skip(event, follower.after):
                return False
            follower.after = None  # ids only grow: every later event is new to it
        return True

    def _leave(self, follower: _Follower, outcome: str | BaseException) -> None:
        self._live.pop(follower, None)
        follower.wake(outcome)

    # --- events out --------------------------------------------------------------------------

    async def stream(self, sink: Sink, after: str | None = None) -> None:
        """Everything after `after`, then live events, until TOTAL (or the log fails)."""
        follower = _Follower(sink, self.start_index(after), self.resume_point(after))
        while True:
            while follower.index < len(self.events):  # catching up
                event = self.events[follower.index]
                follower.index += 1
                if not self._new_to(follower, event):
                    continue
                await sink.send_wire(event.wire())
                if event.type == TERMINAL:
                    return
            if self.done:
                return  # resumed after the TOTAL itself: nothing more will come
            if self.error is not None:
                raise self.error
            follower.waiter = asyncio.get_running_loop().create_future()
            self._live[follower] = None
            try:
                outcome = await follower.waiter
            finally:
                self._live.pop(follower, None)
            if outcome == "total":
                return
            await sink.drain()  # its buffer filled up: let it empty, then catch up

    def live_clients(self) -> int:
        return len(self._live)
