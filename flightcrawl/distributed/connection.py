"""Redis clients from settings or the environment (REDIS_URL, FLIGHTCRAWL_REDIS_PREFIX)."""

from __future__ import annotations

import os
from typing import Any

import redis
import redis.asyncio as aioredis

from flightcrawl.distributed import defaults
from flightcrawl.distributed.keys import Keys


def redis_url(settings: Any = None) -> str:
    value = settings.get("REDIS_URL") if settings is not None else None
    return value or os.environ.get("REDIS_URL") or defaults.REDIS_URL


def key_prefix(settings: Any = None) -> str:
    value = settings.get("FLIGHTCRAWL_REDIS_PREFIX") if settings is not None else None
    return value or os.environ.get("FLIGHTCRAWL_REDIS_PREFIX") or defaults.KEY_PREFIX


def keys(settings: Any = None) -> Keys:
    return Keys(key_prefix(settings))


def sync_client(settings: Any = None) -> redis.Redis:
    return redis.Redis.from_url(redis_url(settings), socket_timeout=defaults.SOCKET_TIMEOUT,
                                socket_connect_timeout=2.0, health_check_interval=10,
                                retry_on_timeout=False)


def async_client(settings: Any = None) -> aioredis.Redis:
    # Blocking reads (BLMOVE, XREAD BLOCK) wait at most defaults.MAX_BLOCK_SECONDS, well inside
    # the socket timeout, so a timeout means Redis is really gone.
    # A bounded pool that makes a burst wait its turn (up to POOL_WAIT_SECONDS) rather than fail:
    # 2,000 streams opening at once are 2,000 short commands, not 2,000 connections.
    max_connections = int(os.environ.get("FLIGHTCRAWL_REDIS_MAX_CONNECTIONS", defaults.MAX_CONNECTIONS))
    pool = aioredis.BlockingConnectionPool.from_url(
        redis_url(settings), max_connections=max_connections, timeout=defaults.POOL_WAIT_SECONDS,
        socket_timeout=defaults.SOCKET_TIMEOUT, socket_connect_timeout=2.0, health_check_interval=10)
    return aioredis.Redis(connection_pool=pool)
