"""Fixed-window counters for abuse control (wrong invite codes, later tip look-ups).

Keys are keyed hashes, never raw user ids, so a Redis dump does not list who was limited.
In production the counters live in Redis so every worker sees the same count.
"""
from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window resets (0 when allowed)


class RateLimiter(Protocol):
    def blocked(self, key: str, limit: int) -> Verdict: ...
    def hit(self, key: str, window: int) -> int: ...
    def reset(self, key: str) -> None: ...


def limiter_key(secret: bytes, *parts: str) -> str:
    return hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()[:32]


class MemoryRateLimiter:
    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}

    def _current(self, key: str) -> tuple[int, float]:
        count, reset_at = self._counts.get(key, (0, 0.0))
        if reset_at <= self._clock():
            return 0, 0.0
        return count, reset_at

    def blocked(self, key: str, limit: int) -> Verdict:
        with self._lock:
            count, reset_at = self._current(key)
            if count >= limit:
                return Verdict(False, max(1, int(reset_at - self._clock())))
            return Verdict(True, 0)

    def hit(self, key: str, window: int) -> int:
        with self._lock:
            count, reset_at = self._current(key)
            if not reset_at:
                reset_at = self._clock() + window
            self._counts[key] = (count + 1, reset_at)
            return count + 1

    def reset(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)


class RedisRateLimiter:
    def __init__(self, client, prefix: str = "hazardbot:rl:") -> None:
        self._r = client
        self._prefix = prefix

    def blocked(self, key: str, limit: int) -> Verdict:
        k = self._prefix + key
        count = int(self._r.get(k) or 0)
        if count >= limit:
            return Verdict(False, max(1, int(self._r.ttl(k))))
        return Verdict(True, 0)

    def hit(self, key: str, window: int) -> int:
        k = self._prefix + key
        pipe = self._r.pipeline()
        pipe.incr(k)
        pipe.expire(k, window, nx=True)
        count, _ = pipe.execute()
        return int(count)

    def reset(self, key: str) -> None:
        self._r.delete(self._prefix + key)
