"""How fast pushes may go out: per account (a token bucket per channel in this process) and per recipient
(fixed-window counters, in Redis when configured so every sender process shares them).

The limits are WeChat's, and what happens above them differs by channel:
- WeCom drops an app message above 30 a minute or 1 000 an hour per member *silently* (the API still says
  ok). Counters in fixed windows can let twice their limit through across a window boundary, so each is
  set to half of WeCom's: 15 a minute and 500 an hour per member can never add up to more than 30 in any
  minute or 1 000 in any hour.
- The Official Account refuses what it will not deliver, with an error code the sender handles: a
  customer-service message outside the 48 hours after the person last wrote (45015) or past that window's
  quota (45047: 5 messages since 2023) goes as the rule's template message instead; the account's daily
  quotas (45009) and call frequency (45011) are retried with backoff. So it needs no per-person counter here.

A push that would exceed a limit is not sent: its row goes back to pending until the window has room, and
counts as no attempt.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from storage.ratelimit import RateLimiter, limiter_key


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; take() waits for one (or gives up at `until`)."""

    def __init__(self, per_minute: int, burst: int | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else max(1, per_minute // 60))
        self._tokens = self.burst
        self._clock, self._sleep = clock, sleep
        self._at = clock()
        self._lock = threading.Lock()

    def take(self, stopping: Callable[[], bool] = lambda: False) -> bool:
        """Wait for a token; False if `stopping()` became true first."""
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
                self._at = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return True
                wait = (1 - self._tokens) / self.rate
            if stopping():
                return False
            self._sleep(min(wait, 0.5))


@dataclass(frozen=True)
class RecipientLimit:
    per_minute: int
    per_hour: int


class Pacer:
    """The account buckets of one sender process and the recipients' shared counters."""

    def __init__(self, per_minute: int, recipient_limits: dict[str, RecipientLimit], limiter: RateLimiter,
                 secret: bytes) -> None:
        self._per_minute = per_minute
        self._buckets: dict[str, TokenBucket] = {}
        self._limits = recipient_limits
        self._limiter = limiter
        self._secret = secret
        self._lock = threading.Lock()

    def account(self, channel: str, stopping: Callable[[], bool]) -> bool:
        """Wait for the channel's account to have room for one more call; False when stopping."""
        with self._lock:
            bucket = self._buckets.get(channel)
            if bucket is None:
                bucket = self._buckets[channel] = TokenBucket(self._per_minute)
        return bucket.take(stopping)

    def recipient(self, channel: str, recipient: str) -> int:
        """0 when this push may go to the recipient now (and it is counted), else seconds until it may."""
        limit = self._limits.get(channel)
        if limit is None or not recipient:
            return 0
        # Keyed hashes: a Redis dump does not list who was written to.
        minute = limiter_key(self._secret, "push-m", channel, recipient)
        hour = limiter_key(self._secret, "push-h", channel, recipient)
        for key, cap in ((minute, limit.per_minute), (hour, limit.per_hour)):
            verdict = self._limiter.blocked(key, cap)
            if not verdict.allowed:
                return max(1, verdict.retry_after)
        if self._limiter.hit(minute, 60) > limit.per_minute:
            return 60
        if self._limiter.hit(hour, 3600) > limit.per_hour:
            return 3600
        return 0
