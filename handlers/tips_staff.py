"""Tips, the staff's side: the inbox of their unit, details, questions to the reporter, decisions and rewards.
Staff see what was reported and never anything about who reported it — there is nothing to show."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from handlers.messages import Incoming
from storage.domain import record_number_in
from storage.ledger import LedgerError, next_number, transition
from storage.models import Hazard, Tip, TipMessage, TipPhoto

from .base import Context, Step

OPEN = ("已受理", "核查中")


def _without_number(text: str, prefix: str) -> str:
    """What follows the command once the tip number is taken out of it."""
    found = record_number_in("JB", text)
    rest = text[:found[1].start()] + text[found[1].end():] if found else text
    return rest.strip().removeprefix(prefix).strip(" ：:，,")


def _visible(ctx: Context, tip: Tip) -> bool:
    assert ctx.person is not None
    return ctx.person.role == "admin" or (ctx.person.unit_id is not None and tip.unit_id == ctx.person.unit_id)


def _tip(ctx: Context, text: str) -> tuple[Tip | None, str]:
    found = record_number_in("JB", text)
    if found is None:
        return None, "请写上举报编号，例如 JB-202606-0001。"
    tip = ctx.session.scalars(select(Tip).where(Tip.number == found[0])).one_or_none()
    if tip is None or not _visible(ctx, tip):
        return None, f"没有找到您单位负责的举报 {found[0]}。"
    return tip, ""


def inbox(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    assert ctx.person is not None
    query = select(Tip).where(Tip.status.in_(OPEN)).order_by(Tip.received_on, Tip.id)
    if ctx.person.role != "admin":
        query = query.where(Tip.unit_id == ctx.person.unit_id)
    tips = ctx.session.scalars(query.limit(20)).all()
    if not tips:
        return Step.done("没有待处理的举报。")
    lines = [f"待处理举报（{len(tips)} 条，先到先列）："]
    for t in tips:
        what = t.what if len(t.what) <= 24 else t.what[:23] + "…"
        lines.append(f"· {t.number}（{t.received_on}，{t.status}）{what}")
    lines.append("查看：「举报详情 编号」；处理：「处理举报 编号 核查中/属实/不属实 说明」；向举报人提问：「提问 编号 问题」。")
    return Step.done("\n".join(lines))


def detail(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    tip, error = _tip(ctx, msg.text)
    if tip is None:
        return Step.done(error)
    photos = len(ctx.session.scalars(select(TipPhoto.id).where(TipPhoto.tip_id == tip.id)).all())
    where = tip.where_text or (f"{tip.latitude:.5f}, {tip.longitude:.5f}" if tip.latitude is not None else "未提供")
    lines = [f"{tip.number}（{tip.received_on} 受理，{tip.status}）", f"内容：{tip.what}", f"地点：{where}"]
    if tip.enterprise_text or tip.enterprise:
        lines.append(f"涉及企业：{tip.enterprise.name if tip.enterprise else tip.enterprise_text}")
    if tip.industry:
        lines.append(f"行业：{tip.industry}")
    lines.append(f"照片：{photos} 张")
    for m in ctx.session.scalars(select(TipMessage).where(TipMessage.tip_id == tip.id).order_by(TipMessage.id)):
        lines.append(f"{m.sender}（{m.on}）：{m.text}")
    lines.append("核查期限：受理后 60 日内（可延长一次，不超过 30 日），结果 10 日内告知举报人。")
    return Step.done("\n".join(lines))


def ask(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    tip, error = _tip(ctx, msg.text)
    if tip is None:
        return Step.done(error)
    question = _without_number(msg.text.strip(), "提问")
    if not question:
        return Step.done("请在编号后面写上要问举报人的问题。")
    ctx.session.add(TipMessage(tip_id=tip.id, sender="工作人员", text=question[:500], on=ctx.today.isoformat(),
                               staff_id=ctx.person.id if ctx.person else None))
    ctx.session.flush()
    return Step.done(f"已留言给 {tip.number} 的举报人。举报人用查询码查询时会看到，并可以回复。")


def handle(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    """处理举报 编号 核查中 | 属实 [重大] [说明] | 不属实 理由 | 奖励 金额"""
    tip, error = _tip(ctx, msg.text)
    if tip is None:
        return Step.done(error)
    rest = _without_number(msg.text.strip(), "处理举报")
    action, _, note = rest.partition(" ")
    note = note.strip()
    if action == "核查中":
        if tip.status != "已受理":
            return Step.done(f"{tip.number} 当前是「{tip.status}」，不能改为核查中。")
        tip.status = "核查中"
        return Step.done(f"{tip.number} 已标记为核查中。")
    if action in ("属实", "查证属实"):
        if tip.status not in OPEN:
            return Step.done(f"{tip.number} 当前是「{tip.status}」，不能再认定。")
        tip.major = note.startswith("重大")
        tip.status, tip.decided_on, tip.outcome_note = "查证属实", ctx.today.isoformat(), note.removeprefix("重大").strip()
        extra = _hazard_from_tip(ctx, tip)
        reward = "，可按规定奖励（举报人凭查询码领取）" if tip.major else ""
        return Step.done(f"{tip.number} 已认定查证属实{reward}。{extra}")
    if action == "不属实":
        if tip.status not in OPEN:
            return Step.done(f"{tip.number} 当前是「{tip.status}」，不能再认定。")
        if not note:
            return Step.done("认定不属实需要写明理由，举报人查询时会看到。")
        tip.status, tip.decided_on, tip.outcome_note = "不属实", ctx.today.isoformat(), note
        return Step.done(f"{tip.number} 已认定不属实。")
    if action == "奖励":
        if tip.status != "查证属实":
            return Step.done("只有查证属实的举报才能登记奖励。")
        if not note.isdecimal() or int(note) <= 0:
            return Step.done("请写奖励金额（元，整数），例如：处理举报 JB-202606-0001 奖励 3000")
        tip.reward_yuan, tip.status = int(note), "已奖励"
        return Step.done(f"{tip.number} 已登记奖励 {int(note)} 元。")
    return Step.done("用法：处理举报 编号 核查中 | 属实 [重大] [说明] | 不属实 理由 | 奖励 金额")


def _hazard_from_tip(ctx: Context, tip: Tip) -> str:
    """A verified tip about a known enterprise enters the ledger with source 举报."""
    if tip.enterprise_id is None or tip.hazard_id is not None:
        return "" if tip.hazard_id else "举报未关联企业，如需列入隐患台账请用「上报隐患」登记。"
    hz = Hazard(enterprise_id=tip.enterprise_id, level="重大" if tip.major else "一般", source="举报", status="草稿",
                description=f"举报查实：{tip.what}", found_by=ctx.person.id if ctx.person else None, found_at=ctx.now)
    ctx.session.add(hz)
    ctx.session.flush()
    hz.number = next_number(ctx.session, ctx.now)
    try:
        transition(ctx.session, hz, "登记", person=ctx.person, now=ctx.now, note=f"来自举报 {tip.number}")
    except LedgerError as exc:
        return str(exc)
    tip.hazard_id = hz.id
    return f"已列入隐患台账 {hz.number}（待整改）。"
