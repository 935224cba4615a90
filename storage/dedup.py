"""Dedup records: WeChat retries a message it got no answer to; the retry must change nothing twice.

The record is written with the message's effects (storage.outcome: in the same transaction, or on
PostgreSQL in the same statement), so either both exist or neither does; a concurrent duplicate fails on
the primary key and reads the winner's reply. Records are deleted by the scheduled housekeeping
(storage.housekeeping), never inside message handling.
"""
from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import Connection, Dialect, bindparam, select

from .models import ProcessedMessage, table_of

_T = table_of(ProcessedMessage)
_LOOKUP = select(_T.c.replies).where(_T.c.key == bindparam("key"))


def message_key(secret: bytes, channel: str, user_id: str, msg_key: str) -> str:
    raw = "\x1f".join((channel, user_id, msg_key))
    return hmac.new(secret, raw.encode(), hashlib.sha256).hexdigest()


class DedupStore:
    """Reads a message's record after a failed attempt; the arrival read (storage.conversations) reads it
    on the hot path and storage.outcome writes it."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

    def lookup(self, conn: Connection, key: str) -> list[str] | None:
        row = conn.execute(_LOOKUP, {"key": key}).first()
        return list(row[0]) if row is not None else None
