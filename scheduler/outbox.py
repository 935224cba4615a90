"""The outbox: messages that go out as pushes rather than passive replies.

A row is written in the same transaction as whatever caused it; a sender claims pending rows and
delivers them. The simulator channel has no push API: its rows are collected by the simulator itself.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import Outbox

log = logging.getLogger(__name__)


def enqueue(session: Session, *, channel: str, recipient: str, text: str, now: datetime,
            dedup_key: str | None = None, rule: str = "", reply: bool = False) -> None:
    """Queue a push; with a dedup_key it is queued once however often the cause repeats."""
    if dedup_key is not None and session.scalar(select(Outbox.id).where(Outbox.dedup_key == dedup_key)) is not None:
        return
    session.add(Outbox(channel=channel, recipient=recipient, text=text, dedup_key=dedup_key, rule=rule,
                       reply=reply, not_before=now, created_at=now))


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


SETTLED = ("sent", "failed", "dropped", "unsure")


def purge(session: Session, now: datetime, keep_days: int) -> int:
    """Delete settled pushes older than keep_days; anything still to be sent stays."""
    result = session.execute(delete(Outbox).where(Outbox.status.in_(SETTLED),
                                                  Outbox.created_at < now - timedelta(days=keep_days)))
    return result.rowcount or 0


class PushWorker:
    """A background thread that delivers the outbox as soon as something is queued, and retries
    every `interval` seconds. Started on first use, so tests and CLI commands start no thread."""

    def __init__(self, sender: Any, interval: float = 30.0) -> None:
        self._sender = sender
        self._interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def kick(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="push-worker", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            try:
                self._sender.deliver_pending()
            except Exception:
                log.exception("outbox delivery failed")

    def stop(self) -> None:
        self._sender.stop()  # the push in hand is finished, the rest wait for the next start
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
