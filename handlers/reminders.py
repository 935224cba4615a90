"""Answering reminders: "收到" acknowledges, "退订提醒 X" opts out of an optional rule, and staff schedule
重点时段 reminders with "发布提醒 日期 内容"."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from handlers.messages import Incoming
from storage.models import Broadcast, Outbox, ReminderOptOut
from storage.push_kinds import OPTIONAL_RULES, RULE_LABELS

from .base import Context, Step


def acknowledge(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    if ctx.person is None:
        return Step.done("好的。")
    since = ctx.services.clock() - timedelta(days=7)
    row = ctx.session.scalars(select(Outbox).where(
        Outbox.channel == ctx.channel, Outbox.recipient == ctx.user_id, Outbox.rule != "",
        Outbox.status == "sent", Outbox.acked_at.is_(None), Outbox.sent_at >= since)
        .order_by(Outbox.sent_at.desc()).limit(1)).first()
    if row is None:
        return Step.done("好的。")
    row.acked_at = ctx.services.clock()
    return Step.done(f"已确认收到「{RULE_LABELS.get(row.rule, '提醒')}」。")


def opt_out(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    assert ctx.person is not None
    wanted = msg.text.strip().removeprefix("退订提醒").strip()
    choices = {RULE_LABELS[r]: r for r in sorted(OPTIONAL_RULES)}
    rule = choices.get(wanted) or next((r for label, r in choices.items() if wanted and wanted in label), None)
    if rule is None:
        legal = wanted and any(wanted in label for label in RULE_LABELS.values())
        head = f"「{wanted}」关系到法定或行动期限，不能退订。" if legal else ""
        return Step.done(head + f"可以退订的提醒：{'、'.join(choices)}。例如：退订提醒 {next(iter(choices))}")
    exists = ctx.session.scalars(select(ReminderOptOut).where(
        ReminderOptOut.person_id == ctx.person.id, ReminderOptOut.rule == rule)).first()
    if exists is None:
        ctx.session.add(ReminderOptOut(person_id=ctx.person.id, rule=rule, created_at=ctx.services.clock()))
    return Step.done(f"已退订「{RULE_LABELS[rule]}」。")


def broadcast(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    """发布提醒 [日期] 内容 — to the heads of the enterprises in the sender's scope, on that day."""
    from handlers.nlu import parse_date

    assert ctx.person is not None
    body = msg.text.strip().removeprefix("发布提醒").strip()
    first, _, rest = body.partition(" ")
    day = parse_date(first, ctx.today) if first else None
    text = rest.strip() if day else body
    day = day or ctx.today
    if len(text) < 4:
        return Step.done("用法：发布提醒 [日期] 内容，例如：发布提醒 9月30日 国庆前请全面排查动火作业和有限空间。")
    if day < ctx.today:
        return Step.done(f"{day.isoformat()} 已经过去了。")
    if ctx.person.role != "admin" and ctx.person.unit_id is None:
        return Step.done("您的账号没有绑定单位。")
    ctx.session.add(Broadcast(unit_id=ctx.person.unit_id if ctx.person.role != "admin" else None,
                              day=day.isoformat(), text=text[:300], created_by=ctx.person.id))
    hour = ctx.services.config.scheduler.send_hour
    return Step.done(f"已安排 {day.isoformat()} {hour}:00 向{'全部' if ctx.person.role == 'admin' else '本单位'}企业负责人发送：{text[:60]}")
