"""What a browser obtained from a site's gate, cached per site and replayed by plain HTTP.

A `Session` is the cookies (Akamai's `_abck`, Cloudflare's `cf_clearance`, ...), the
User-Agent they were obtained with (Cloudflare binds its clearance to it) and any headers a
site wants back. Spiders take the site's session from a `SessionStore` and replay it on plain
HTTP requests until the site rejects it; then they drop it (only if it is still the one they
used: another worker may already have refreshed it) and get a new one from the browser, once.

Stores: in-process (`memory`, embedded mode: one per process, reused by every later search)
and Redis (`redis`, distributed mode: shared by all of a site's workers, with a TTL). The
FLIGHTCRAWL_SESSION_STORE setting picks one ("memory", "redis", or "off" to always take the
browser path); workers default to Redis.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

logger = logging.getLogger(__name__)

# How long a session is trusted when the site does not say (the cookie's own expiry wins).
DEFAULT_TTL = 1800.0


@dataclass
class Session:
    site: str
    cookies: dict[str, str]
    user_agent: str
    headers: dict[str, str] = field(default_factory=dict)
    obtained_at: float = field(default_factory=time.time)  # epoch seconds
    expires_at: float = 0.0  # epoch seconds; 0 = obtained_at + the store's TTL
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def expired(self, now: float | None = None) -> bool:
        return bool(self.expires_at) and (now if now is not None else time.time()) >= self.expires_at

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | bytes) -> Session:
        return cls(**json.loads(text))

    @classmethod
    def from_browser(cls, site: str, cookies: list[dict[str, Any]], user_agent: str,
                     names: tuple[str, ...] = (), headers: dict[str, str] | None = None) -> Session:
        """From Playwright's context.cookies(): the named cookies (all when none are named);
        the session expires with the first of them to expire."""
        kept = [c for c in cookies if not names or c["name"] in names]
        expiries = [float(c["expires"]) for c in kept if c.get("expires", -1) and float(c.get("expires", -1)) > 0]
        return cls(site=site, cookies={c["name"]: c["value"] for c in kept}, user_agent=user_agent,
                   headers=dict(headers or {}), expires_at=min(expiries, default=0.0))


class SessionStore(Protocol):
    def get(self, site: str) -> Session | None: ...

    def put(self, session: Session) -> None: ...

    def drop(self, site: str, session_id: str) -> bool:
        """Forget the site's session if it is still `session_id`; True when it was."""
        ...


class MemorySessionStore:
    """One process's sessions (embedded mode): every later search in the process reuses them."""

    def __init__(self, ttl: float = DEFAULT_TTL) -> None:
        self.ttl = ttl
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def get(self, site: str) -> Session | None:
        with self._lock:
            session = self._sessions.get(site)
            if session is None:
                return None
            if session.expired() or time.time() - session.obtained_at >= self.ttl:
                del self._sessions[site]
                return None
            return session

    def put(self, session: Session) -> None:
        with self._lock:
            self._sessions[session.site] = session

    def drop(self, site: str, session_id: str) -> bool:
        with self._lock:
            if site in self._sessions and self._sessions[site].id == session_id:
                del self._sessions[site]
                return True
            return False


# Compare-and-delete: a worker drops the session it used, never one another worker just put.
_DROP_IF_SAME = """
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current)['id'] == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""


class RedisSessionStore:
    """A site's session shared by all its workers: `<prefix>:session:<site>`, with a TTL.

    Redis being down must not fail a search: the store then behaves as empty (each search
    takes the browser path) and says so in the log.
    """

    # A worker reads the shared session at most this often: a GET per job blocked the event loop
    # (4% of a busy worker, profiled). A session refused meanwhile is dropped here at once.
    LOCAL_SECONDS = 1.0

    def __init__(self, client: Any, prefix: str, ttl: float = DEFAULT_TTL) -> None:
        self.client, self.prefix, self.ttl = client, prefix, ttl
        self._drop = client.register_script(_DROP_IF_SAME)
        self._local: dict[str, tuple[float, Session | None]] = {}  # site -> (read at, session)

    def key(self, site: str) -> str:
        return f"{self.prefix}:session:{site}"

    def get(self, site: str) -> Session | None:
        read_at, session = self._local.get(site, (float("-inf"), None))
        if time.monotonic() - read_at < self.LOCAL_SECONDS and session is not None and not session.expired():
            return session
        try:
            raw = self.client.get(self.key(site))
        except Exception as exc:  # redis.RedisError, OSError: no cache, not no search
            logger.warning("session store unavailable (%s); taking the browser path", exc)
            return None
        session = None if raw is None else Session.from_json(raw)
        if session is not None and session.expired():
            session = None
        self._local[site] = (time.monotonic(), session)
        return session

    def put(self, session: Session) -> None:
        ttl = self.ttl
        if session.expires_at:
            ttl = min(ttl, session.expires_at - time.time())
        if ttl <= 0:
            return
        try:
            self.client.set(self.key(session.site), session.to_json(), px=int(ttl * 1000))
        except Exception as exc:
            logger.warning("session store unavailable (%s); session not shared", exc)
        self._local.pop(session.site, None)

    def drop(self, site: str, session_id: str) -> bool:
        self._local.pop(site, None)
        try:
            return bool(self._drop(keys=[self.key(site)], args=[session_id]))
        except Exception as exc:
            logger.warning("session store unavailable (%s)", exc)
            return False


class NoSessionStore:
    """FLIGHTCRAWL_SESSION_STORE=off: nothing is kept; every search takes the browser path."""

    def get(self, site: str) -> Session | None:
        return None

    def put(self, session: Session) -> None:
        return None

    def drop(self, site: str, session_id: str) -> bool:
        return False


_MEMORY: MemorySessionStore | None = None
_REDIS: dict[tuple[str, str], RedisSessionStore] = {}


def store_from_settings(settings: Any) -> SessionStore:
    """The store the settings ask for; in-process stores are one per process."""
    global _MEMORY
    kind = (settings.get("FLIGHTCRAWL_SESSION_STORE") or "").lower()
    if not kind:
        kind = "redis" if settings.getbool("FLIGHTCRAWL_WORKER") else "memory"
    ttl = settings.getfloat("FLIGHTCRAWL_SESSION_TTL", DEFAULT_TTL)
    if kind == "off":
        return NoSessionStore()
    if kind == "redis":
        from flightcrawl.distributed import connection

        ident = (connection.redis_url(settings), connection.key_prefix(settings))
        if ident not in _REDIS:
            _REDIS[ident] = RedisSessionStore(connection.sync_client(settings), ident[1], ttl)
        return _REDIS[ident]
    if kind != "memory":
        raise ValueError(f"FLIGHTCRAWL_SESSION_STORE={kind!r}: use memory, redis or off")
    if _MEMORY is None:
        _MEMORY = MemorySessionStore(ttl)
    return _MEMORY
