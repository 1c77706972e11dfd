"""Shared test helpers: run the real `flightcrawl` command and a real sandbox process."""

from __future__ import annotations

import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import time
import uuid

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(sys.executable).parent


def command(name: str) -> str:
    """An installed console script next to this interpreter (flightcrawl, scrapy)."""
    path = BIN / name
    return str(path) if path.exists() else name


# The CLI's searches share the gated sites' sessions through Redis, as a site's workers do:
# the first search of a site takes the browser path, later ones replay its cookies until the
# gate refuses them (as in production, where a session serves many searches). Tests of the
# session flow itself pass their own FLIGHTCRAWL_SESSION_STORE / prefix.
SESSION_PREFIX = f"fctest-sessions-{uuid.uuid4().hex[:8]}"
SESSIONS_ENV = {"FLIGHTCRAWL_SESSION_STORE": "redis", "FLIGHTCRAWL_REDIS_PREFIX": SESSION_PREFIX}


def run_cli(*args: str, timeout: float = 60, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([command("flightcrawl"), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=REPO, env={**os.environ, **SESSIONS_ENV, **(env or {})})


@pytest.fixture(scope="session", autouse=True)
def _forget_shared_sessions():
    yield
    import redis

    client = redis.Redis.from_url(os.environ.get("FLIGHTCRAWL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    keys = list(client.scan_iter(match=f"{SESSION_PREFIX}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def search_json(*args: str, timeout: float = 60) -> dict:
    result = run_cli("search", *args, "--json", "--sandbox", timeout=timeout)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


class SandboxProcess:
    def __init__(self, *extra: str) -> None:
        self.proc = subprocess.Popen([command("flightcrawl"), "sandbox", "--port", "0", *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
        self.base_url = self.host_map = ""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not self.host_map:
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError(f"sandbox exited: {self.proc.stderr.read()}")
            if match := re.search(r"at (http://\S+)", line):
                self.base_url = match.group(1)
            if line.startswith("FLIGHTCRAWL_HOST_MAP="):
                self.host_map = line.strip().split("=", 1)[1]
        assert self.host_map, "sandbox did not print its host map"

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def sandbox_process():
    sandbox = SandboxProcess()
    yield sandbox
    sandbox.stop()
