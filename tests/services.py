"""Real processes for the API tests: sandbox, API server, workers, and a real SSE client."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass

import aiohttp
import redis

from tests.conftest import REPO, command

REDIS_URL = os.environ.get("FLIGHTCRAWL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class Process:
    """A flightcrawl command in the background; waits for a line matching `ready`.

    Its output goes to a file, not a pipe: a pipe drained by a thread of a busy test process
    fills up, and a child that blocks writing a log line looks like a child that hangs.
    """

    def __init__(self, args: list[str], ready: str, env: dict[str, str] | None = None, timeout: float = 30) -> None:
        self.args = args
        self.file = tempfile.NamedTemporaryFile(prefix="flightcrawl-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([command("flightcrawl"), *args], stdout=self.file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=REPO, env={**os.environ, **(env or {})})
        self.match: re.Match | None = None
        self.final: str | None = None  # the output, kept once the process is stopped
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.output().splitlines():
                if match := re.search(ready, line):
                    self.match = match
                    return
            if self.proc.poll() is not None:
                raise RuntimeError(f"{args} exited {self.proc.returncode}:\n{self.output()}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{args} not ready after {timeout} s:\n{self.output()}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 15) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.final is None:
            self.final = self.output()
            self.file.close()
            os.unlink(self.file.name)

    def output(self) -> str:
        if self.final is not None:
            return self.final
        with open(self.file.name, encoding="utf-8", errors="replace") as f:
            return f.read()


def sandbox() -> tuple[Process, str, str]:
    """(process, base URL, FLIGHTCRAWL_HOST_MAP) of a sandbox on a free port."""
    proc = Process(["sandbox", "--port", "0"], r"FLIGHTCRAWL_HOST_MAP=(\S+)")
    base = re.search(r"at (http://\S+)", proc.output()).group(1)
    return proc, base, proc.match.group(1)


def worker(site: str, env: dict[str, str], *settings: str) -> Process:
    """A worker; `settings` are NAME=VALUE Scrapy settings (`flightcrawl worker -s`)."""
    return Process(["worker", site, *(a for pair in settings for a in ("-s", pair))], r"reading jobs from", env=env)


def api(env: dict[str, str], *extra: str) -> tuple[Process, str]:
    proc = Process(["serve", "--port", "0", *extra], r"on (http://\S+)", env=env)
    return proc, proc.match.group(1)


def new_prefix() -> str:
    return f"fctest-{uuid.uuid4().hex[:10]}"


def clean_redis(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@dataclass
class SseEvent:
    id: str | None
    event: str
    data: dict


async def read_sse(url: str, headers: dict[str, str] | None = None, limit: int | None = None,
                   timeout: float = 60) -> list[SseEvent]:
    """Events from an SSE endpoint until the server closes the stream (or `limit` events)."""
    events: list[SseEvent] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        async with session.get(url, headers=headers or {}) as response:
            assert response.status == 200, await response.text()
            assert response.headers["Content-Type"].startswith("text/event-stream")
            fields: dict[str, str] = {}
            async for raw in response.content:
                line = raw.decode().rstrip("\r\n")
                if line.startswith(":"):
                    continue
                if line:
                    name, _, value = line.partition(": ")
                    fields[name] = fields.get(name, "") + value if name == "data" else value
                    continue
                if "data" in fields:
                    events.append(SseEvent(fields.get("id"), fields.get("event", "message"),
                                           json.loads(fields["data"])))
                    if limit and len(events) >= limit:
                        return events
                fields = {}
    return events


async def start_search(base: str, **params: str) -> dict:
    # The API stacks under test run workers for these two sites only.
    query = {"from": "DEL", "to": "BOM", "travel_date": "+30", "sources": "mmt,ixigo", **params}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/api/flight/start", params=query) as response:
            body = await response.json()
            assert response.status == 200, body
            return body


async def get_json(url: str, method: str = "GET", **kwargs: object) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session:
        async with session.request(method, url, **kwargs) as response:
            return response.status, await response.json(content_type=None)


async def set_faults(sandbox_base: str, faults: dict[str, str], **extra: object) -> None:
    status, body = await get_json(f"{sandbox_base}/__sandbox__/config", "PUT", json={"faults": faults, **extra})
    assert status == 200, body


def spare_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A private redis-server on a spare port, no persistence: killed and restarted at will."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or spare_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self, timeout: float = 10) -> None:
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--daemonize", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
                client.ping()
                client.close()
                return
            except redis.RedisError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"redis-server on port {self.port} exited {self.proc.returncode}") from None
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} not ready after {timeout} s")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def stop(self) -> None:
        self.kill()
