"""Defaults for distributed mode; each can be overridden by a setting or environment variable."""

REDIS_URL = "redis://127.0.0.1:6379/0"
KEY_PREFIX = "flightcrawl"  # FLIGHTCRAWL_REDIS_PREFIX: isolates deployments (and test runs)
TASK_TTL = 3600  # seconds a finished search's events stay replayable
DEDUPE_TTL = 300  # identical searches within this window share one task
LEASE_SECONDS = 3.0  # a worker that misses its heartbeat this long is dead; its jobs go back
HEARTBEAT_SECONDS = 1.0
LEASE_BLOCK_SECONDS = 1.0  # how long one blocking pop waits before checking for shutdown
SOCKET_TIMEOUT = 5.0  # a Redis call that hangs this long fails clearly instead of hanging
MAX_BLOCK_SECONDS = 2.0  # the longest blocking read; must stay below SOCKET_TIMEOUT
FOLLOW_OUTAGE_SECONDS = 30.0  # a stream follower rides out a Redis outage this long, then ends
MAX_CONNECTIONS = 64  # per process (FLIGHTCRAWL_REDIS_MAX_CONNECTIONS); more callers wait for a free one
POOL_WAIT_SECONDS = 20.0  # how long a command waits for a free connection in a burst before failing
