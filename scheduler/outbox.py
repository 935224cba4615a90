"""The outbox: messages that go out as pushes rather than passive replies.

A row is written in the same transaction as whatever caused it; a sender claims pending rows and
delivers them. The simulator channel has no push API: its rows are collected by the simulator itself.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Outbox

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF = (timedelta(seconds=10), timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))


def enqueue(session: Session, *, channel: str, recipient: str, text: str, now: datetime,
            dedup_key: str | None = None) -> None:
    session.add(Outbox(channel=channel, recipient=recipient, text=text, dedup_key=dedup_key,
                       not_before=now, created_at=now))


def collect_simulated(session: Session, recipient: str, now: datetime) -> list[str]:
    """Pending pushes for a simulator user, marked sent as they are handed over."""
    rows = session.scalars(
        select(Outbox).where(Outbox.channel == "sim", Outbox.recipient == recipient, Outbox.status == "pending")
        .order_by(Outbox.id)
    ).all()
    for row in rows:
        row.status, row.sent_at = "sent", now
    return [row.text for row in rows]


class Sender(Protocol):
    def __call__(self, recipient: str, text: str) -> None: ...


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int


class OutboxSender:
    """Delivers pending rows through each channel's push API, retrying with backoff."""

    def __init__(self, sessions: sessionmaker[Session], senders: dict[str, Sender],
                 clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._senders = senders
        self._clock = clock

    def deliver_pending(self, limit: int = 50) -> Delivery:
        sent = failed = 0
        with self._sessions.begin() as session:
            query = (
                select(Outbox)
                .where(Outbox.status == "pending", Outbox.not_before <= self._clock(),
                       Outbox.channel.in_(list(self._senders)))
                .order_by(Outbox.id).limit(limit)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)  # two senders never take the same row
            rows = session.scalars(query).all()
            for row in rows:
                try:
                    self._senders[row.channel](row.recipient, row.text)
                except Exception as exc:  # the channel said no; retry later or give up
                    row.attempts += 1
                    row.last_error = f"{type(exc).__name__}: {exc}"[:500]
                    if row.attempts >= MAX_ATTEMPTS:
                        row.status = "failed"
                        failed += 1
                    else:
                        row.not_before = self._clock() + BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
                    log.warning("push %s via %s failed (attempt %d): %s", row.id, row.channel, row.attempts,
                                type(exc).__name__)
                    continue
                row.status, row.sent_at, row.attempts = "sent", self._clock(), row.attempts + 1
                sent += 1
        return Delivery(sent, failed)


def channel_senders(config, redis_client=None) -> dict[str, Sender]:  # type: ignore[no-untyped-def]
    """The push APIs configured for this deployment."""
    from bot.clients import wechat_client, wecom_client

    senders: dict[str, Sender] = {}
    wechat = wechat_client(config, redis_client)
    if wechat is not None:
        senders["wechat"] = lambda user, text: wechat.message.send_text(user, text)
    wecom = wecom_client(config, redis_client)
    if wecom is not None:
        agent_id = config.wecom.agent_id
        senders["wecom"] = lambda user, text: wecom.message.send_text(agent_id, user, text)
    return senders


class PushWorker:
    """A background thread that delivers the outbox as soon as something is queued, and retries
    every `interval` seconds. Started on first use, so tests and CLI commands start no thread."""

    def __init__(self, sender: OutboxSender, interval: float = 30.0) -> None:
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
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
