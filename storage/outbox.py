"""The outbox: messages that go out as pushes rather than passive replies, and the kinds of push.

A row is written in the same transaction as whatever caused it (a late reply, a reminder, a notice); the
scheduler's sender claims pending rows and delivers them. The simulator channel has no push API: its rows
are collected by the simulator itself.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .models import Outbox, Person, bound

# What each reminder rule is called where people read it (「发送失败」, 退订提醒, notices).
RULE_LABELS = {
    "selfcheck_due": "自查提醒", "hazard_deadline": "整改期限提醒", "hazard_overdue": "逾期提醒",
    "overdue_escalation": "逾期升级", "listing_progress": "挂牌督办进展", "monthly_report": "调度表报送",
    "quota_shortfall": "指标提醒", "new_tips": "举报提醒", "year_end": "年终总结", "broadcast": "重点时段提醒",
    "campaign_phase": "专项整治阶段提醒", "holiday_eve": "节前提醒", "push_failed": "推送异常通知", "security": "安全提醒",
    "five_measures": "五落实提醒",
}
# Legal and campaign deadlines cannot be refused; these can ("退订提醒 X").
OPTIONAL_RULES = frozenset({"quota_shortfall", "new_tips", "broadcast", "holiday_eve"})
# The rule of the notice that tells admins about failed pushes; its own failures tell nobody.
FAILURE_NOTICE = "push_failed"
# Statuses of rows that will not be sent (again); pending and sending rows are still live.
SETTLED = ("sent", "failed", "dropped", "unsure")


def enqueue(session: Session, *, channel: str, recipient: str, text: str, now: datetime,
            dedup_key: str | None = None, rule: str = "", reply: bool = False) -> bool:
    """Queue a push; with a dedup_key it is queued once however often the cause repeats. True when queued."""
    if dedup_key is not None and session.scalar(select(Outbox.id).where(Outbox.dedup_key == dedup_key)) is not None:
        return False
    session.add(Outbox(channel=channel, recipient=recipient, text=text, dedup_key=dedup_key, rule=rule,
                       reply=reply, not_before=now, created_at=now))
    return True


def tell_admins(session: Session, text: str, now: datetime, dedup_key: str) -> int:
    """A notice to every bound admin, once per dedup key; returns how many were queued."""
    admins = session.execute(select(Person.channel, Person.external_id).where(Person.role == "admin", bound())).all()
    return sum(enqueue(session, channel=channel, recipient=recipient, text=text, now=now, rule="security",
                       dedup_key=f"{dedup_key}:{channel}:{recipient}") for channel, recipient in admins)


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
