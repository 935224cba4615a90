"""Dedup records: WeChat retries a message it got no answer to; the retry must change nothing twice.

The record is written in the same transaction as the message's effects, so either both exist or
neither does; a concurrent duplicate fails on the primary key and reads the winner's reply.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session

from storage.models import Conversation, ProcessedMessage

from .messages import Incoming

# WeChat retries within ~15 s; keep records long enough for slow networks, then forget them.
RETENTION = timedelta(minutes=10)
PURGE_EVERY = 500
_T = ProcessedMessage.__table__
_LOOKUP = select(_T.c.replies).where(_T.c.key == bindparam("key"))
_RECORD = insert(_T)
TIP_DRAFT_RETENTION = timedelta(hours=24)


def message_key(secret: bytes, msg: Incoming) -> str:
    raw = "\x1f".join((msg.channel, msg.user_id, msg.msg_key))
    return hmac.new(secret, raw.encode(), hashlib.sha256).hexdigest()


class DedupStore:
    def __init__(self) -> None:
        self._writes = 0

    # Core statements built once, not ORM objects: these run on every message and the ORM's bookkeeping
    # and statement building cost more than the queries themselves.
    def lookup(self, session: Session, key: str) -> list[str] | None:
        row = session.connection().execute(_LOOKUP, {"key": key}).first()
        return list(row[0]) if row is not None else None

    def record(self, session: Session, key: str, replies: list[str], now: datetime) -> None:
        # A duplicate key raises IntegrityError here, inside the caller's retry loop.
        session.connection().execute(_RECORD, {"key": key, "replies": replies, "created_at": now})
        self._writes += 1
        if self._writes % PURGE_EVERY == 0:
            self.purge(session, now)

    def purge(self, session: Session, now: datetime) -> int:
        result = session.execute(delete(ProcessedMessage).where(ProcessedMessage.created_at < now - RETENTION))
        # A tip typed halfway and abandoned must not stay tied to its sender for long either.
        session.execute(delete(Conversation).where(Conversation.flow == "tip_submit",
                                                   Conversation.updated_at < now - TIP_DRAFT_RETENTION))
        return result.rowcount or 0
