"""Dedup records: WeChat retries a message it got no answer to; the retry must change nothing twice.

The record is written in the same transaction as the message's effects, so either both exist or
neither does; a concurrent duplicate fails on the primary key and reads the winner's reply. Records are
deleted by the scheduled housekeeping (storage.housekeeping), never inside message handling.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import Connection, Dialect, bindparam, insert, select

from .models import ProcessedMessage, table_of
from .prepared import Prepared

_T = table_of(ProcessedMessage)
_LOOKUP = select(_T.c.replies).where(_T.c.key == bindparam("key"))
_RECORD = insert(ProcessedMessage).values(key=bindparam("key"), replies=bindparam("replies"),
                                          created_at=bindparam("created_at"))


def message_key(secret: bytes, channel: str, user_id: str, msg_key: str) -> str:
    raw = "\x1f".join((channel, user_id, msg_key))
    return hmac.new(secret, raw.encode(), hashlib.sha256).hexdigest()


class DedupStore:
    def __init__(self, dialect: Dialect) -> None:
        # Every message writes its record: compiled once, run on the driver's cursor (storage.prepared).
        self._record = Prepared(_RECORD, dialect)

    def lookup(self, conn: Connection, key: str) -> list[str] | None:
        row = conn.execute(_LOOKUP, {"key": key}).first()
        return list(row[0]) if row is not None else None

    def record(self, conn: Connection, key: str, replies: list[str], now: datetime) -> None:
        # A duplicate key raises IntegrityError here, inside the caller's retry loop.
        self._record.rowcount(conn, {"key": key, "replies": replies, "created_at": now})
