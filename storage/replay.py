"""Replays of signed webhook requests: a signed (timestamp, nonce) seen with another body is refused.

WeChat signs each callback's URL (token, timestamp, nonce) and, in 安全/兼容 mode, the ciphertext too. In 明文
mode nothing covers the body: whoever captured one URL could post any message under it until its timestamp
leaves the window. So every signed (timestamp, nonce) is remembered for the window's length, across all
workers (Redis when configured, else the database): the same request again is WeChat's own retry and goes
on to the stored reply; the same pair with another body is refused.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from .models import SeenRequest

Seen = Literal["new", "same", "other"]


def request_key(secret: bytes, channel: str, timestamp: str, nonce: str) -> str:
    return hmac.new(secret, "\x1f".join((channel, timestamp, nonce)).encode(), hashlib.sha256).hexdigest()


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class ReplayGuard(Protocol):
    def seen(self, key: str, digest: str, keep: timedelta, now: datetime) -> Seen:
        """"new" the first time; "same" for the identical request again; "other" for another body."""


class RedisReplayGuard:
    def __init__(self, client: Any, prefix: str = "hb:") -> None:
        self._r = client
        self._prefix = prefix + "seen:"

    def seen(self, key: str, digest: str, keep: timedelta, now: datetime) -> Seen:
        if self._r.set(self._prefix + key, digest, nx=True, px=int(keep.total_seconds() * 1000)):
            return "new"
        known = self._r.get(self._prefix + key)
        return "same" if known is not None and known.decode() == digest else "other"


class DatabaseReplayGuard:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def seen(self, key: str, digest: str, keep: timedelta, now: datetime) -> Seen:
        with self._sessions.begin() as session:
            insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            added = session.execute(insert(SeenRequest).values(key=key, digest=digest, expires_at=now + keep)
                                    .on_conflict_do_nothing(index_elements=["key"]).returning(SeenRequest.key))
            if added.first() is not None:
                return "new"
            known = session.scalar(select(SeenRequest.digest).where(SeenRequest.key == key))
        return "same" if known == digest else "other"
