"""What must never be written to a file: short-lived values kept in this process's memory, or in Redis when
configured (Redis run without persistence — see the README's privacy section).

An anonymous tip's draft, the dedup records and late replies of the messages that wrote it, and the per-sender
abuse counters live here: the database and its WAL never see a tipster's WeChat id next to what they typed.
Keys are keyed hashes of what they are about (`private_key`), so even a Redis memory dump names nobody.
Everything expires; the memory store is also bounded, so a flood of senders cannot grow it without limit.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol


def private_key(secret: bytes, purpose: str, *parts: str) -> str:
    return purpose + ":" + hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()[:40]


Writes = dict[str, tuple[Any, float]]  # key -> (value, ttl seconds); value None deletes the key


class Ephemeral(Protocol):
    def get(self, key: str) -> Any | None: ...
    def get_many(self, *keys: str) -> list[Any | None]:
        """Several values in one read (one round trip to Redis): every message reads two."""
    def put(self, key: str, value: Any, ttl: float) -> None: ...
    def pop(self, key: str) -> Any | None: ...

    def swap(self, guard: str, version: int, writes: Writes) -> bool:
        """Apply `writes` at once if `guard` still holds a value of this version ("v"; 0: no value), else
        nothing and False: two copies of one message cannot both move a draft on."""


def version_of(value: Any) -> int:
    return int(value.get("v", 0)) if isinstance(value, dict) else 0


class MemoryEphemeral:
    """Expiring, bounded: the oldest entries go first when `max_items` is reached."""

    def __init__(self, max_items: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_items
        self._clock = clock

    def get(self, key: str) -> Any | None:
        with self._lock:
            return self._live(key)

    def get_many(self, *keys: str) -> list[Any | None]:
        with self._lock:
            return [self._live(key) for key in keys]

    def put(self, key: str, value: Any, ttl: float) -> None:
        with self._lock:
            self._items.pop(key, None)
            self._items[key] = (self._clock() + ttl, value)
            while len(self._items) > self._max:
                self._items.popitem(last=False)

    def pop(self, key: str) -> Any | None:
        with self._lock:
            value = self._live(key)
            self._items.pop(key, None)
            return value

    def swap(self, guard: str, version: int, writes: Writes) -> bool:
        with self._lock:
            if version_of(self._live(guard)) != version:
                return False
            now = self._clock()
            for key, (value, ttl) in writes.items():
                self._items.pop(key, None)
                if value is not None:
                    self._items[key] = (now + ttl, value)
            while len(self._items) > self._max:
                self._items.popitem(last=False)
            return True

    def __len__(self) -> int:
        return len(self._items)

    def _live(self, key: str) -> Any | None:
        entry = self._items.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._items[key]
            return None
        return entry[1]


class RedisEphemeral:
    """Shared by every process of the deployment; values as JSON."""

    def __init__(self, client: Any, prefix: str = "hb:eph:") -> None:
        self._r = client
        self._prefix = prefix

    def get(self, key: str) -> Any | None:
        raw = self._r.get(self._prefix + key)
        return json.loads(raw) if raw is not None else None

    def get_many(self, *keys: str) -> list[Any | None]:
        return [json.loads(raw) if raw is not None else None for raw in self._r.mget([self._prefix + k for k in keys])]

    def put(self, key: str, value: Any, ttl: float) -> None:
        self._r.set(self._prefix + key, json.dumps(value, ensure_ascii=False), px=max(1, int(ttl * 1000)))

    def pop(self, key: str) -> Any | None:
        raw = self._r.getdel(self._prefix + key)
        return json.loads(raw) if raw is not None else None

    def swap(self, guard: str, version: int, writes: Writes) -> bool:
        import redis

        with self._r.pipeline() as pipe:
            try:
                pipe.watch(self._prefix + guard)
                raw = pipe.get(self._prefix + guard)
                if version_of(json.loads(raw) if raw is not None else None) != version:
                    pipe.unwatch()
                    return False
                pipe.multi()
                for key, (value, ttl) in writes.items():
                    if value is None:
                        pipe.delete(self._prefix + key)
                    else:
                        pipe.set(self._prefix + key, json.dumps(value, ensure_ascii=False), px=max(1, int(ttl * 1000)))
                pipe.execute()
                return True
            except redis.WatchError:
                return False
