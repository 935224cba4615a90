"""Anonymous tips (举报), the reporter's side: submit, then follow up with the receipt code only.

Nothing here keeps who sent what: the tip row has no sender, the conversation row that held the draft is
deleted on submission or cancel, the reply carrying the code is redacted in the dedup record, and the abuse
limits are keyed hashes in memory or Redis. Follow-ups are stateless: every one carries the code.
"""
from __future__ import annotations

import logging
import re
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import select

from storage.media import MediaError, store_clean
from storage.models import Enterprise, Tip, TipMessage, TipPhoto
from storage.numbers import tip_number
from storage.ratelimit import limiter_key
from storage.scope import tip_unit
from storage.tips import find_tip, new_receipt, receipt_hash

from .base import Context, Step
from .forms.runtime import FormRunner
from .messages import TEXT, Incoming

log = logging.getLogger(__name__)
DAY, HOUR = 86400, 3600
INTRO = ("匿名举报：我们不记录您是谁，也不需要留姓名电话。提交后会给您一个查询码，凭它查询进展、补充材料和领取奖励。"
         "随时发送「取消」放弃。")
_CODE = re.compile(r"[0-9A-Za-z]{4}(?:[-\s]?[0-9A-Za-z]{4}){4}")


def _limit(ctx: Context, purpose: str, limit: int, window: int) -> str | None:
    """None when allowed; otherwise the one-line refusal. Counted per sender as a keyed hash."""
    key = limiter_key(ctx.services.secret, purpose, ctx.channel, ctx.user_id)
    verdict = ctx.services.limiter.blocked(key, limit)
    if not verdict.allowed:
        minutes = max(1, (verdict.retry_after + 59) // 60)
        return f"操作太频繁，请 {minutes} 分钟后再试。"
    ctx.services.limiter.hit(key, window)
    return None


class TipFlow:
    name = "tip_submit"

    def start(self, ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
        cfg = ctx.services.config.tips
        key = limiter_key(ctx.services.secret, "tip-submit", ctx.channel, ctx.user_id)
        if not ctx.services.limiter.blocked(key, cfg.max_submissions_per_day).allowed:
            return Step.done("今天提交的举报已经比较多了，请明天再提交。紧急情况请拨打 12350。")
        # "我要举报 仓库通道被货堵死了": what the message already says is the tip's first answer.
        told = ctx.services.nlu.description_in(msg.text) if msg.kind == TEXT else ""
        intro = INTRO + (f"\n已记下问题描述：{told}（提交前可以修改）" if told else "")
        result = FormRunner(ctx.services.forms.form("tip"), submit_label="确认提交").begin(
            intro, answers={"what": told} if told else None)
        return Step.stay({"form": result.state}, *result.replies)

    def resume(self, ctx: Context, state: dict[str, Any], msg: Incoming) -> Step:
        result = FormRunner(ctx.services.forms.form("tip"), submit_label="确认提交",
                            festivals=ctx.services.nlu.festivals).handle(
            state["form"], msg, ctx.today)
        if result.outcome == "cancelled":
            return Step(result.replies, None, forget=True)
        if result.outcome == "paused":
            # A tip draft is not kept: keeping it would tie this sender to its content.
            return Step(["举报不保存草稿，已放弃这次填写。需要时重新发送「我要举报」。"], None, forget=True)
        if result.outcome != "submitted":
            return Step.stay({"form": result.state}, *result.replies)
        limit = _limit(ctx, "tip-submit", ctx.services.config.tips.max_submissions_per_day, DAY)
        if limit:
            return Step([limit], None, forget=True)
        code, tip, photo_note = self._save_tip(ctx, result.answers)
        ctx.sensitive = True
        return Step([
            f"举报已受理，编号 {tip.number}。\n"
            f"您的查询码（只显示这一次，请立即截图或复制保存）：\n{code}\n"
            "这是查询进展、补充材料和领取奖励的唯一凭证；我们不知道您是谁，丢了无法找回。\n"
            f"查询：发送「查询举报 {code[:4]}-…（完整查询码）」。{photo_note}"
        ], None, forget=True)

    def _save_tip(self, ctx: Context, answers: dict[str, Any]) -> tuple[str, Tip, str]:
        session = ctx.session
        where = answers.get("where") or {}
        enterprise = self._match_enterprise(ctx, answers.get("enterprise") or "")
        industry = answers.get("industry") or (enterprise.industry if enterprise else "")
        unit = tip_unit(session, enterprise, industry, ctx.services.config.tips.default_unit)
        code = new_receipt()
        tip = Tip(number=tip_number(session, ctx.today), receipt_hash=receipt_hash(ctx.services.secret, code) or "",
                  what=answers["what"], where_text=where.get("label", ""), latitude=where.get("latitude"),
                  longitude=where.get("longitude"), enterprise_id=enterprise.id if enterprise else None,
                  enterprise_text=answers.get("enterprise") or "", industry=industry or "",
                  unit_id=unit.id if unit else None, received_on=ctx.today.isoformat())
        session.add(tip)
        session.flush()
        kept, failed = self._keep_photos(ctx, tip, answers.get("photos") or [])
        note = ""
        if failed:
            note = f"\n（有 {failed} 张照片没能保存，可以用「补充举报 查询码 内容」再补充说明。）"
        elif kept:
            note = f"\n已保存 {kept} 张照片（已去除拍摄位置等信息）。"
        return code, tip, note

    def _match_enterprise(self, ctx: Context, text: str) -> Enterprise | None:
        text = text.strip()
        if len(text) < 2:
            return None
        names = dict(ctx.session.execute(select(Enterprise.name, Enterprise.id)).all())
        best = process.extractOne(text, list(names), scorer=fuzz.partial_ratio, score_cutoff=85)
        return ctx.session.get(Enterprise, names[best[0]]) if best else None

    def _keep_photos(self, ctx: Context, tip: Tip, photos: list[dict[str, Any]]) -> tuple[int, int]:
        download = ctx.services.downloaders.get(ctx.channel)
        kept = failed = 0
        for photo in photos:
            if download is None:
                failed += 1
                continue
            try:
                stored = store_clean(ctx.services.config.instance_path, "tips", download(photo["media_id"]))
            except (MediaError, OSError, ValueError) as exc:
                log.warning("a tip photo could not be kept: %s", type(exc).__name__)
                failed += 1
                continue
            except Exception as exc:  # the channel API failed; the tip itself still counts
                log.warning("a tip photo could not be fetched: %s", type(exc).__name__)
                failed += 1
                continue
            ctx.session.add(TipPhoto(tip_id=tip.id, path=stored.path, sha256=stored.sha256))
            kept += 1
        return kept, failed


def _code_and_rest(text: str) -> tuple[str | None, str]:
    m = _CODE.search(text)
    if m is None:
        return None, text
    return m.group(0), (text[:m.start()] + text[m.end():]).strip(" ：:，,")


NOT_FOUND = "没有找到这个查询码对应的举报。请核对查询码（20 位，每 4 位一组）后重试。"


def _lookup(ctx: Context, code: str) -> tuple[Tip | None, str]:
    """The tip behind a code, under the per-sender look-up limit; else the one-line answer to give."""
    limit = _limit(ctx, "tip-lookup", ctx.services.config.tips.max_lookups_per_hour, HOUR)
    if limit:
        return None, limit
    tip = find_tip(ctx.session, ctx.services.secret, code)
    return tip, "" if tip is not None else NOT_FOUND


def query(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    """查询举报 CODE: status, staff questions and the reward; the same answer shape whether found or not."""
    code, _ = _code_and_rest(msg.text)
    if code is None:
        return Step.done("请发送「查询举报 查询码」，查询码是提交举报时给您的 20 位字母数字。")
    tip, answer = _lookup(ctx, code)
    if tip is None:
        return Step.done(answer)
    lines = [f"举报 {tip.number}（{tip.received_on} 受理）：{tip.status}"]
    if tip.outcome_note and tip.status in ("查证属实", "不属实", "已奖励"):
        lines.append(f"核查结果：{tip.outcome_note}")
    questions = ctx.session.scalars(select(TipMessage).where(TipMessage.tip_id == tip.id,
                                                             TipMessage.sender == "工作人员")
                                    .order_by(TipMessage.id)).all()
    for q in questions[-3:]:
        lines.append(f"工作人员（{q.on}）问：{q.text}{'（已回复）' if q.answered else ''}")
    if tip.status == "查证属实" and tip.major:
        lines.append(f"您的举报查证属实，可申请奖励。{ctx.services.config.tips.reward_claim}")
    if tip.status == "已奖励" and tip.reward_yuan:
        lines.append(f"已核定奖励 {tip.reward_yuan} 元。")
    lines.append("回复或补充：发送「补充举报 查询码 内容」。")
    return Step.done("\n".join(lines))


def add_info(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    """补充举报 CODE 内容: the reporter answers a question or adds information, still anonymous."""
    text = msg.text.strip().removeprefix("补充举报").strip()
    code, rest = _code_and_rest(text)
    if code is None or not rest:
        return Step.done("请发送「补充举报 查询码 补充内容」，例如：补充举报 7KQ2-M9XD-… 锅炉房在厂区东北角。")
    tip, answer = _lookup(ctx, code)
    if tip is None:
        return Step.done(answer)
    for q in ctx.session.scalars(select(TipMessage).where(TipMessage.tip_id == tip.id, TipMessage.sender == "工作人员",
                                                          TipMessage.answered.is_(False))):
        q.answered = True
    ctx.session.add(TipMessage(tip_id=tip.id, sender="举报人", text=rest[:1000], on=ctx.today.isoformat()))
    ctx.session.flush()
    return Step.done(f"已转给处理 {tip.number} 的工作人员。谢谢！")


def saved(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    return Step.done("好的。需要时发送「查询举报 查询码」查询进展。")
