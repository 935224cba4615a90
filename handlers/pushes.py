"""For admins: pushes that did not get through ("发送失败"), and sending one again ("重发 N")."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from handlers.messages import Incoming
from storage.domain import ROLE_LABELS
from storage.models import Outbox, Person
from storage.push_kinds import FAILURE_NOTICE, RULE_LABELS

from .base import Context, Step

SHOWN = 10
LOOKBACK = timedelta(days=30)
STATUS_LABELS = {"failed": "发送失败", "unsure": "状态不明"}


def failures(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    where = (Outbox.status.in_(list(STATUS_LABELS)), Outbox.rule != FAILURE_NOTICE,
             Outbox.created_at >= ctx.services.clock() - LOOKBACK)
    total = ctx.session.scalar(select(func.count()).select_from(Outbox).where(*where)) or 0
    if not total:
        return Step.done("近 30 天没有发送失败的消息。")
    rows = ctx.session.scalars(select(Outbox).where(*where).order_by(Outbox.id.desc()).limit(SHOWN)).all()
    head = f"近 30 天没有送达的消息共 {total} 条" + (f"，显示最新 {SHOWN} 条" if total > SHOWN else "") + "："
    lines = [head]
    for row in rows:
        when = row.created_at.astimezone(ctx.services.tz).strftime("%m-%d %H:%M")
        lines.append(f"#{row.id} {when} {_what(row)} → {_whom(ctx, row)}")
        lines.append(f"  {STATUS_LABELS[row.status]}：{row.last_error[:80]}")
    lines.append("回复「重发 编号」补发。状态不明的对方可能已经收到，重发前最好先确认。")
    return Step.done("\n".join(lines))


def resend(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    number = re.search(r"\d+", msg.text)
    if number is None:
        return Step.done("用法：重发 编号，例如「重发 123」。发送「发送失败」查看编号。")
    row = ctx.session.get(Outbox, int(number.group()))
    if row is None or row.status not in STATUS_LABELS:
        return Step.done(f"没有找到发送失败的消息 #{number.group()}。发送「发送失败」查看编号。")
    if not row.recipient:
        return Step.done(f"#{row.id} 是一条延迟的对话回复，内容已按规定清除，无法重发。")
    row.status, row.attempts, row.claimed_until = "pending", 0, None
    row.not_before, row.last_error = ctx.services.clock(), f"管理员重发（原因：{row.last_error[:80]}）"
    return Step.done(f"#{row.id} 已重新排队，{ctx.services.config.scheduler.deliver_seconds} 秒内发出"
                     "（提醒在夜间免打扰时段会等到早上）。")


def _what(row: Outbox) -> str:
    if row.reply:
        return "延迟的对话回复（内容已清除）"
    label = RULE_LABELS.get(row.rule, "通知")
    return f"「{label}」{row.text[:24]}{'…' if len(row.text) > 24 else ''}"


def _whom(ctx: Context, row: Outbox) -> str:
    if not row.recipient:
        return "（已清除）"
    person = ctx.session.scalars(select(Person).where(
        Person.channel == row.channel, Person.external_id == row.recipient)).first()
    if person is None:
        return "已解绑的用户"
    place = person.enterprise.name if person.enterprise else (person.unit.name if person.unit else "")
    return f"{place} {ROLE_LABELS.get(person.role, person.role)}".strip()
