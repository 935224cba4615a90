"""Delivering the outbox through WeChat and WeCom, within their rules.

- Official Account: a customer-service message while the person wrote within 48 hours; otherwise the
  rule's template message (certified 服务号); 45015 ("response out of time limit") falls back to the template.
- WeCom: an app message (no 48-hour window).
- Rate limits (45009, 45047, 45011 …) retry with backoff; 43004 (unsubscribed), 40003 (bad openid),
  40037 (bad template) and the like fail for good and are recorded for the admins.
- Each row is claimed by a conditional UPDATE before it is sent, so two senders never send the same row;
  a sender that dies mid-send leaves a lease that expires, and the row is tried again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker
from wechatpy.exceptions import WeChatClientException

from bot.config import Config
from storage.models import Outbox, Person

from .quiet import in_quiet_hours, next_allowed

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=48)
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 6
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30),
           timedelta(hours=2))
OUTSIDE_WINDOW = {45015, 45047}  # no customer-service message possible now: use the template
RATE_LIMITED = {45009, 45011, 45033, 45035, 45047, -1}
PERMANENT = {43004, 40003, 40037, 43101, 40036, 46004, 60111, 81013, 40031}


class PermanentFailure(Exception):
    pass


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int
    deferred: int


def _code(exc: Exception) -> int | None:
    return getattr(exc, "errcode", None)


class WeChatSender:
    def __init__(self, client: Any, templates: dict[str, str]) -> None:
        self.client = client
        self.templates = templates

    def send(self, row: Outbox, last_inbound: datetime | None, now: datetime) -> str:
        if last_inbound is not None and now - last_inbound < WINDOW:
            try:
                self.client.message.send_text(row.recipient, row.text)
                return "kf"
            except WeChatClientException as exc:
                if _code(exc) not in OUTSIDE_WINDOW:
                    raise
        template_id = self.templates.get(row.rule)
        if not template_id:
            raise PermanentFailure(f"outside the 48-hour window and no template for rule {row.rule or 'reply'}")
        fields = row.template or {}
        data = {"first": {"value": fields.get("title", "提醒")}, "keyword1": {"value": row.text[:200]},
                "keyword2": {"value": fields.get("deadline", "")}, "remark": {"value": "回复「收到」确认。"}}
        self.client.message.send_template(row.recipient, template_id, data)
        return "template"


class WeComSender:
    def __init__(self, client: Any, agent_id: str) -> None:
        self.client = client
        self.agent_id = agent_id

    def send(self, row: Outbox, last_inbound: datetime | None, now: datetime) -> str:
        self.client.message.send_text(self.agent_id, row.recipient, row.text)
        return "app"


def channel_senders(config: Config, redis_client: Any = None) -> dict[str, Any]:
    from bot.clients import wechat_client, wecom_client

    out: dict[str, Any] = {}
    wechat = wechat_client(config, redis_client)
    if wechat is not None:
        out["wechat"] = WeChatSender(wechat, config.scheduler.templates)
    wecom = wecom_client(config, redis_client)
    if wecom is not None:
        out["wecom"] = WeComSender(wecom, config.wecom.agent_id)
    return out


class OutboxSender:
    def __init__(self, sessions: sessionmaker[Session], senders: dict[str, Any], config: Config,
                 clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._senders = senders
        self._config = config
        self._clock = clock

    def deliver_pending(self, limit: int | None = None) -> Delivery:
        sc = self._config.scheduler
        # per_minute is a rate: a run every deliver_seconds may send its share of it.
        limit = limit or max(1, sc.per_minute * sc.deliver_seconds // 60)
        sent = failed = deferred = 0
        now = self._clock()
        quiet = in_quiet_hours(now, self._config)
        with self._sessions() as session:
            query = (select(Outbox.id).where(
                or_(Outbox.status == "pending", (Outbox.status == "sending") & (Outbox.claimed_until < now)),
                Outbox.not_before <= now, Outbox.channel.in_(list(self._senders)))
                .order_by(Outbox.id).limit(limit))
            if quiet:
                query = query.where(Outbox.rule == "")  # replies and notices still go; reminders wait
            candidates = session.scalars(query).all()
        for row_id in candidates:
            outcome = self._one(row_id)
            sent += outcome == "sent"
            failed += outcome == "failed"
            deferred += outcome == "deferred"
        return Delivery(sent, failed, deferred)

    def _one(self, row_id: int) -> str:
        now = self._clock()
        with self._sessions.begin() as session:
            claimed = session.execute(
                update(Outbox).where(Outbox.id == row_id, or_(
                    Outbox.status == "pending", (Outbox.status == "sending") & (Outbox.claimed_until < now)))
                .values(status="sending", claimed_until=now + LEASE))
            if claimed.rowcount != 1:
                return "taken"  # another sender has it
        with self._sessions.begin() as session:
            row = session.get(Outbox, row_id)
            assert row is not None
            last = session.scalar(select(Person.last_inbound_at).where(
                Person.channel == row.channel, Person.external_id == row.recipient))
            try:
                how = self._senders[row.channel].send(row, last, now)
            except PermanentFailure as exc:
                return self._fail(row, str(exc))
            except WeChatClientException as exc:
                code = _code(exc)
                if code in PERMANENT:
                    return self._fail(row, f"{code} {exc.errmsg}")
                return self._retry(row, f"{code} {exc.errmsg}", now)
            except Exception as exc:  # network trouble: try again later
                return self._retry(row, f"{type(exc).__name__}: {exc}"[:300], now)
            row.status, row.sent_at, row.attempts, row.claimed_until = "sent", now, row.attempts + 1, None
            row.last_error = "" if how != "template" else "sent as template message"
            return "sent"

    def _fail(self, row: Outbox, why: str) -> str:
        row.status, row.last_error, row.attempts, row.claimed_until = "failed", why[:500], row.attempts + 1, None
        log.warning("push %s failed for good: %s", row.id, why[:100])
        return "failed"

    def _retry(self, row: Outbox, why: str, now: datetime) -> str:
        row.attempts += 1
        row.last_error = why[:500]
        if row.attempts >= MAX_ATTEMPTS:
            return self._fail(row, why)
        row.status, row.claimed_until = "pending", None
        row.not_before = next_allowed(now + BACKOFF[min(row.attempts, len(BACKOFF)) - 1], self._config) \
            if row.rule else now + BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
        return "deferred"
