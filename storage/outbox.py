"""The outbox: messages that go out as pushes rather than passive replies (their kinds: storage/push_kinds.py).

A row is written in the same transaction as whatever caused it (a late reply, a reminder, a notice); the
scheduler's sender claims pending rows and delivers them. The simulator channel has no push API: its rows
are collected by the simulator itself.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .models import Outbox, Person, bound

# Statuses of rows that will not be sent (again); pending and sending rows are still live.
SETTLED = ("sent", "failed", "dropped", "unsure")


def enqueue(session: Session, *, channel: str, recipient: str, text: str, now: datetime,
            dedup_key: str | None = None, rule: str = "", reply: bool = False) -> bool:
    """Queue a push; with a dedup_key it is queued once however often the cause repeats. True when queued."""
    if dedup_key is not None and session.scalar(select(Outbox.id).where(Outbox.dedup_key == dedup_key)) is not None:
        return False
    session.add(_pending(channel, recipient, text, now, dedup_key, rule, reply))
    return True


def _pending(channel: str, recipient: str, text: str, now: datetime, dedup_key: str | None, rule: str,
             reply: bool = False) -> Outbox:
    """A push to send as soon as the sender gets to it."""
    return Outbox(channel=channel, recipient=recipient, text=text, dedup_key=dedup_key, rule=rule, reply=reply,
                  not_before=now, created_at=now)


def enqueue_each(session: Session, recipients: Sequence[tuple[str, str, str]], *, text: str, now: datetime,
                 rule: str = "") -> int:
    """One notice to several people, each (channel, recipient, dedup_key) queued once however often the cause
    repeats: one query for the keys already queued, not one per person. Returns how many were queued."""
    keys = [key for _, _, key in recipients]
    queued = set(session.scalars(select(Outbox.dedup_key).where(Outbox.dedup_key.in_(keys)))) if keys else set()
    new = [(channel, recipient, key) for channel, recipient, key in dict.fromkeys(recipients) if key not in queued]
    session.add_all(_pending(channel, recipient, text, now, key, rule) for channel, recipient, key in new)
    return len(new)


def tell_admins(session: Session, text: str, now: datetime, dedup_key: str) -> int:
    """A notice to every bound admin, once per dedup key; returns how many were queued."""
    admins = session.execute(select(Person.channel, Person.external_id).where(Person.role == "admin", bound())).all()
    return enqueue_each(session, [(channel, recipient, f"{dedup_key}:{channel}:{recipient}") for channel, recipient in admins],
                        text=text, now=now, rule="security")


def collect_simulated(session: Session, recipient: str, now: datetime) -> list[str]:
    """Pending pushes for a simulator user, marked sent as they are handed over."""
    rows = session.scalars(
        select(Outbox).where(Outbox.channel == "sim", Outbox.recipient == recipient, Outbox.status == "pending")
        .order_by(Outbox.id)
    ).all()
    texts = [row.text for row in rows]
    for row in rows:
        row.status, row.sent_at = "sent", now
        if row.reply:  # as the real channels do: a settled late reply keeps neither words nor addressee
            row.text, row.recipient = "", ""
    return texts


def purge_settled(session: Session, now: datetime, keep_days: int) -> int:
    """Delete settled pushes older than keep_days; anything still to be sent stays."""
    result = session.execute(delete(Outbox).where(Outbox.status.in_(SETTLED),
                                                  Outbox.created_at < now - timedelta(days=keep_days)))
    return int(getattr(result, "rowcount", 0) or 0)
