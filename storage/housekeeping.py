"""What is kept how long, and the deletes that make it so. The scheduler runs them every few minutes
(scheduler/runner.py), so each limit below holds within those minutes even when nobody writes to the bot.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from .logins import purge_logins
from .models import Outbox, ProcessedMessage, table_of
from .outbox import purge_settled

# WeChat retries a message for about 15 s; a retry after this long is a new message to us.
DEDUP_RETENTION = timedelta(minutes=10)
# A tip typed halfway and abandoned is forgotten after this (it lives in the private store, which expires it).
TIP_DRAFT_RETENTION = timedelta(hours=24)
# A reply that could not be pushed within this is no longer an answer: it goes, with its addressee.
LATE_REPLY_RETENTION = timedelta(hours=1)


@dataclass(frozen=True)
class Swept:
    dedup_records: int
    late_replies: int
    settled_pushes: int
    logins: int = 0  # back-office links and sessions past their time (storage.logins)

    def __bool__(self) -> bool:
        return bool(self.dedup_records or self.late_replies or self.settled_pushes or self.logins)


def purge_dedup_records(session: Session, now: datetime) -> int:
    table = table_of(ProcessedMessage)
    result = session.execute(delete(table).where(table.c.created_at < now - DEDUP_RETENTION))
    return int(getattr(result, "rowcount", 0) or 0)


def purge_late_replies(session: Session, now: datetime) -> int:
    """Replies never delivered (WeChat refusing, or no push credentials at all) do not wait for ever."""
    result = session.execute(delete(Outbox).where(Outbox.reply.is_(True), Outbox.status.in_(("pending", "failed")),
                                                  Outbox.created_at < now - LATE_REPLY_RETENTION))
    return int(getattr(result, "rowcount", 0) or 0)


def housekeeping(session: Session, now: datetime, outbox_keep_days: int) -> Swept:
    return Swept(purge_dedup_records(session, now), purge_late_replies(session, now),
                 purge_settled(session, now, outbox_keep_days), purge_logins(session, now))
