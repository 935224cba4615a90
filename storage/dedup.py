"""Dedup records: WeChat retries a message it got no answer to; the retry must change nothing twice.

The record is written in the same transaction as the message's effects, so either both exist or
neither does; a concurrent duplicate fails on the primary key and reads the winner's reply.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import Connection, Dialect, bindparam, delete, insert, select

from storage.models import Conversation, ProcessedMessage
from storage.prepared import Prepared


# WeChat retries within ~15 s; keep records long enough for slow networks, then forget them.
RETENTION = timedelta(minutes=10)
PURGE_EVERY = 500
_T = ProcessedMessage.__table__
_LOOKUP = select(_T.c.replies).where(_T.c.key == bindparam("key"))
_RECORD = insert(_T).values(key=bindparam("key"), replies=bindparam("replies"), created_at=bindparam("created_at"))
TIP_DRAFT_RETENTION = timedelta(hours=24)


def message_key(secret: bytes, channel: str, user_id: str, msg_key: str) -> str:
    raw = "\x1f".join((channel, user_id, msg_key))
    return hmac.new(secret, raw.encode(), hashlib.sha256).hexdigest()


class DedupStore:
    def __init__(self, dialect: Dialect) -> None:
        self._writes = 0
        # Every message writes its record: compiled once, run on the driver's cursor (storage.prepared).
        self._record = Prepared(_RECORD, dialect)

    def lookup(self, conn: Connection, key: str) -> list[str] | None:
        row = conn.execute(_LOOKUP, {"key": key}).first()
        return list(row[0]) if row is not None else None

    def record(self, conn: Connection, key: str, replies: list[str], now: datetime) -> None:
        # A duplicate key raises IntegrityError here, inside the caller's retry loop.
        self._record.rowcount(conn, {"key": key, "replies": replies, "created_at": now})
        self._writes += 1
        if self._writes % PURGE_EVERY == 0:
            self.purge(conn, now)

    def purge(self, conn: Connection, now: datetime) -> int:
        result = conn.execute(delete(_T).where(_T.c.created_at < now - RETENTION))
        # A tip typed halfway and abandoned must not stay tied to its sender for long either.
        conv = Conversation.__table__
        conn.execute(delete(conv).where(conv.c.flow == "tip_submit", conv.c.updated_at < now - TIP_DRAFT_RETENTION))
        return result.rowcount or 0
