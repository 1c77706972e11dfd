"""Container health checks: `flightcrawl health api` and `flightcrawl health worker <site>`.

A worker is healthy when its heartbeat lease is alive in Redis (worker ids start with the
host name, which is the container's); the API when /healthz answers 200.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

from flightcrawl.distributed import connection


def api_ok(url: str = "http://127.0.0.1:8080/healthz", timeout: float = 3.0) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200, f"HTTP {response.status}"
    except (urllib.error.URLError, OSError) as exc:
        return False, str(exc)


def worker_ok(site: str) -> tuple[bool, str]:
    keys = connection.keys()
    client = connection.sync_client()
    try:
        host = socket.gethostname()
        for raw in client.zrange(keys.workers(site), 0, -1):
            worker = raw.decode()
            if worker.startswith(f"{host}-") and client.exists(keys.lease(site, worker)):
                return True, f"worker {worker} alive"
        return False, f"no live {site} worker on {host}"
    except Exception as exc:  # any failure to check is unhealthy, said plainly
        return False, f"{type(exc).__name__}: {exc}"
    finally:
        client.close()
