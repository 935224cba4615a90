"""Tips, the staff's side: the inbox of their unit, details, questions to the reporter, decisions and rewards.
Staff see what was reported and never anything about who reported it — there is nothing to show. Every
decision goes through storage.tips' transition table, which keeps the history."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from storage.domain import record_number_in
from storage.models import Tip, TipMessage, TipPhoto, Unit
from storage.scope import scope_of
from storage.tips import (
    OPEN_TIP_STATES,
    Handled,
    LedgerEntry,
    TipError,
    ask_reporter,
    echo_of_tip,
    handle_tip,
    may_handle,
    neutral_summary,
    tip_transition,
)

from .base import Context, Step
from .forms.runtime import FormRunner
from .messages import Incoming


def _without_number(text: str, prefix: str) -> str:
    """What follows the command once the tip number is taken out of it."""
    found = record_number_in("JB", text)
    rest = text[:found[1].start()] + text[found[1].end():] if found else text
    return rest.strip().removeprefix(prefix).strip(" ：:，,")


def _tip(ctx: Context, text: str) -> tuple[Tip | None, str]:
    found = record_number_in("JB", text)
    if found is None:
        return None, "请写上举报编号，例如 JB-202606-0001。"
    tip = ctx.session.scalars(select(Tip).where(Tip.number == found[0])).one_or_none()
    if tip is None or not may_handle(ctx.me(), tip):
        return None, f"没有找到您单位负责的举报 {found[0]}。"
    return tip, ""


def inbox(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    scope = scope_of(ctx.me())
    query = select(Tip).where(Tip.status.in_(OPEN_TIP_STATES)).order_by(Tip.received_on, Tip.id)
    if not scope.everything:
        query = query.where(Tip.unit_id == (scope.unit.id if scope.unit else None))
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
    try:
        ask_reporter(ctx.session, tip, question, by=ctx.me(), now=ctx.now)
    except TipError as exc:
        return Step.done(str(exc))
    return Step.done(f"已留言给 {tip.number} 的举报人。举报人用查询码查询时会看到，并可以回复。")


def transfer(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    """转办 JB-… 单位名称 [说明]: hand a tip to the unit that should handle it, with the history kept."""
    tip, error = _tip(ctx, msg.text)
    if tip is None:
        return Step.done(error)
    rest = _without_number(msg.text.strip(), "转办")
    units = ctx.session.scalars(select(Unit)).all()
    target = max((u for u in units if u.name and u.name in rest), key=lambda u: len(u.name), default=None)
    if target is None:
        return Step.done("请写明转给哪个单位，例如：转办 JB-202606-0001 应急管理局 属危化品经营，请核查。")
    note = rest.replace(target.name, "", 1).strip(" ：:，,")
    try:
        tip_transition(ctx.session, tip, "转办", by=ctx.me(), now=ctx.now, note=note, to_unit=target)
    except TipError as exc:
        return Step.done(str(exc))
    return Step.done(f"{tip.number} 已转办{target.name}，对方单位的工作人员会在「待处理举报」里看到。")


USAGE = "用法：处理举报 编号 核查中 | 属实 [重大] [说明] | 不属实 理由 | 奖励 金额"


class VerdictFlow:
    """处理举报 编号 核查中 | 属实 [重大] [说明] | 不属实 理由 | 奖励 金额. A verified tip about a registered
    enterprise also enters the ledger: staff describe the hazard in their own words (offered a neutral
    description; one that repeats the tip is refused) and set the deadline — form tip_hazard — and only then
    is the tip decided, all at once. States: entry (that form)."""

    name = "tip_handle"

    def start(self, ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
        tip, error = _tip(ctx, msg.text)
        if tip is None:
            return Step.done(error)
        rest = _without_number(msg.text.strip(), "处理举报")
        action, _, note = rest.partition(" ")
        note = note.strip()
        action = "属实" if action == "查证属实" else action
        if action not in ("核查中", "属实", "不属实", "奖励"):
            return Step.done(USAGE)
        if action == "奖励" and (not note.isdecimal() or int(note) <= 0):
            return Step.done("请写奖励金额（元，整数），例如：处理举报 JB-202606-0001 奖励 3000")
        major = action == "属实" and note.startswith("重大")
        if action == "属实" and tip.enterprise is not None and tip.hazard_id is None:
            if tip.status not in OPEN_TIP_STATES:
                return Step.done(f"{tip.number} 当前是「{tip.status}」，不能认定属实。")
            state = {"at": "entry", "tip": tip.id, "major": major, "note": note.removeprefix("重大").strip()}
            kind = "重大事故隐患" if major else "一般隐患"
            return self._entry(ctx, tip, state, f"{tip.number} 查证属实后列入{tip.enterprise.name}的隐患台账（{kind}）。"
                                                "随时可以发送「取消」，举报状态不会改变。")
        try:
            done = handle_tip(ctx.session, tip, action, by=ctx.me(), now=ctx.now, ledger=ctx.services.config.ledger,
                              note=note.removeprefix("重大").strip() if action == "属实" else note, major=major,
                              reward_yuan=int(note) if action == "奖励" else None)
        except TipError as exc:
            return Step.done(str(exc))
        return Step.done(decided_text(done, action, note))

    def _entry(self, ctx: Context, tip: Tip, state: dict[str, Any], lead: str,
               answers: dict[str, Any] | None = None) -> Step:
        result = FormRunner(ctx.services.forms.form("tip_hazard"), submit_label="确认列入台账").begin(
            lead, answers=answers, suggest={"description": neutral_summary(tip)})
        return Step.stay({**state, "form": result.state}, *result.replies)

    def resume(self, ctx: Context, state: dict[str, Any], msg: Incoming) -> Step:
        tip = ctx.session.get(Tip, state["tip"])
        if tip is None or not may_handle(ctx.me(), tip):
            return Step.done("这条举报已不在您单位的处理范围内。")
        result = FormRunner(ctx.services.forms.form("tip_hazard"), submit_label="确认列入台账",
                            festivals=ctx.services.nlu.festivals).handle(
            state["form"], msg, ctx.today)
        if result.outcome in ("cancelled", "paused"):
            return Step.done(f"已取消，{tip.number} 的状态没有改变。需要时重新发送「处理举报 {tip.number} 属实」。")
        described = result.state.get("answers", {}).get("description")
        echo = echo_of_tip(described, tip) if isinstance(described, str) else None
        if echo:
            kept = {k: v for k, v in result.state["answers"].items() if k != "description"}
            return self._entry(ctx, tip, state, f"描述里有与举报原文相同的一段「{echo}」。企业会看到这段描述，"
                                                "请用您核查看到的情况重写。", answers=kept)
        if result.outcome != "submitted":
            return Step.stay({**state, "form": result.state}, *result.replies)
        entry = LedgerEntry(result.answers["description"], date.fromisoformat(result.answers["deadline"]))
        try:
            done = handle_tip(ctx.session, tip, "属实", by=ctx.me(), now=ctx.now, ledger=ctx.services.config.ledger,
                              note=state.get("note", ""), major=bool(state.get("major")), entry=entry)
        except TipError as exc:
            return Step.done(str(exc))
        return Step.done(decided_text(done, "属实", ""))


def decided_text(done: Handled, action: str, note: str) -> str:
    tip = done.tip
    if action == "核查中":
        return f"{tip.number} 已标记为核查中。"
    if action == "不属实":
        return f"{tip.number} 已认定不属实。"
    if action == "奖励":
        return f"{tip.number} 已登记奖励 {int(note)} 元。"
    reward = "，可按规定奖励（举报人凭查询码领取）" if tip.major else ""
    return f"{tip.number} 已认定查证属实{reward}。{ledger_line(done)}"


def ledger_line(done: Handled) -> str:
    """What became of a verified tip in the ledger, in one line."""
    if done.hazard is None:
        if done.tip.enterprise_id is None:
            return "举报未关联企业，如需列入隐患台账请用「上报隐患」登记。"
        return ""
    told = f"已按“双报告”告知监管部门（{done.reported_to} 人）。" if done.reported_to else ""
    asked = (f"已通知企业（{done.asked} 人）填写五落实。" if done.asked
             else "该企业还没有人绑定，无法通知填写五落实，请线下通知。")
    return f"已列入隐患台账 {done.hazard.number}（待整改，期限 {done.hazard.deadline}）。{told}{asked}"
