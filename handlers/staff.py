"""The staff's questions: "本月还差几条", overdue and listed hazards, enterprises yet to self-check, the
month's figures, and recording the work the data cannot see. Each answers for the asker's unit only."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from storage.models import Unit, WorkRecord
from storage.periods import local_range, period_of
from storage.queries import figures, listed_hazards, overdue_hazards, unchecked_enterprises
from storage.quotas import QuotaStatus, quota_status
from storage.scope import Scope, scope_of

from .base import Context, Step
from .messages import Incoming

PAGE_SIZE = 8
PAGER_KEY = "pager"
WORK_KINDS = {
    "典型案例": "typical_cases", "执法案例": "enforcement_cases", "典型执法案例": "enforcement_cases",
    "现场督导": "leader_supervisions", "领导督导": "leader_supervisions", "小微企业检查": "small_enterprise_checks",
}
WORK_LABELS = {
    "major_hazards": "重大隐患", "typical_cases": "典型案例", "enforcement_cases": "典型执法案例",
    "leader_supervisions": "领导现场督导", "small_enterprise_checks": "小微企业检查",
}


def _short(text: str, n: int = 16) -> str:
    text = text.removeprefix("自查发现：")
    return text if len(text) <= n else text[: n - 1] + "…"


def _named_unit(ctx: Context, text: str) -> Unit | None:
    """The unit a question names ("青山湖镇还差几条"), longest name first."""
    units = ctx.session.scalars(select(Unit)).all()
    hits = [u for u in units if u.name and u.name in text]
    return max(hits, key=lambda u: len(u.name)) if hits else None


def asker_scope(ctx: Context, text: str) -> tuple[Scope, str]:
    """The asker's scope; admins may name any unit. A staff member naming another unit gets their own, told so."""
    assert ctx.person is not None
    own = scope_of(ctx.person)
    named = _named_unit(ctx, text)
    if ctx.person.role == "admin":
        return (Scope(named) if named else own), ""
    if named is not None and (own.unit is None or named.id != own.unit.id):
        return own, f"只能查询本单位（{own.label}）的数据。"
    return own, ""


def _reference_day(ctx: Context, args: dict[str, Any]) -> date:
    nlu = args.get("nlu")
    period = getattr(getattr(nlu, "entities", None), "period", None)
    return period.start if period is not None else ctx.today


# -- 本月还差几条 ------------------------------------------------------------------------------------

def quota(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    scope, note = asker_scope(ctx, msg.text)
    day = _reference_day(ctx, args)
    if scope.everything:
        return Step.done(_quota_overview(ctx, day))
    if scope.unit is None:
        return Step.done("您的账号没有绑定单位，无法统计。请联系管理员重新生成邀请码。")
    lines, short, due = _quota_lines(ctx, scope.unit, day)
    if not lines:
        return Step.done(f"{note}{scope.unit.name}没有配置考核指标。")
    if short:
        left = (due - ctx.today).days if due else 0
        verdict = f"还差 {short} 项未完成，最近截止 {due:%m月%d日}（剩 {max(left, 0)} 天）。" if due else f"还差 {short} 项未完成。"
    else:
        verdict = "各项指标都已完成。"
    return Step.done("\n".join(filter(None, [note, f"{scope.unit.name}指标完成情况：", *lines, verdict])))


def _quota_lines(ctx: Context, unit: Unit, day: date) -> tuple[list[str], int, date | None]:
    rows: list[QuotaStatus] = quota_status(ctx.session, unit, ctx.services.config.quotas, day, ctx.services.tz)
    lines = [f"· {r.rule.name}（{r.period.label}）：{r.done}/{r.rule.minimum}，"
             + (f"还差 {r.missing}" if r.missing else "已完成") for r in rows]
    short = [r for r in rows if r.missing]
    due = min((r.period.end for r in short), default=None)
    return lines, len(short), due


def _quota_overview(ctx: Context, day: date) -> str:
    lines = []
    for unit in ctx.session.scalars(select(Unit).order_by(Unit.kind.desc(), Unit.name)):
        _, short, _ = _quota_lines(ctx, unit, day)
        if short:
            lines.append(f"· {unit.name}：还差 {short} 项")
    if not lines:
        return "全部单位本期指标都已完成。"
    head = f"本期指标未完成的单位（{len(lines)} 个）："
    tail = "发送「某某镇还差几条」查看明细。"
    return "\n".join([head, *lines[:15], *(["……"] if len(lines) > 15 else []), tail])


# -- lists with pages ----------------------------------------------------------------------------

def overdue(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    listed = any(w in msg.text for w in ("挂牌", "督办"))
    scope, note = asker_scope(ctx, msg.text)
    return _page(ctx, {"kind": "listed" if listed else "overdue", "unit": scope.unit.id if scope.unit else None,
                       "all": scope.everything, "page": 0}, note)


def unchecked(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    scope, note = asker_scope(ctx, msg.text)
    return _page(ctx, {"kind": "unchecked", "unit": scope.unit.id if scope.unit else None,
                       "all": scope.everything, "page": 0}, note)


def next_page(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    pager = (args.get("memo") or {}).get(PAGER_KEY)
    if not pager:
        return Step.done("没有可以翻页的列表。发送「逾期隐患」或「未自查企业」查看。")
    step = 1 if "上" not in msg.text else -1
    return _page(ctx, {**pager, "page": max(pager["page"] + step, 0)}, "")


def _page(ctx: Context, pager: dict[str, Any], note: str) -> Step:
    scope = _pager_scope(ctx, pager)
    offset = pager["page"] * PAGE_SIZE
    kind = pager["kind"]
    if kind == "overdue":
        rows, total = overdue_hazards(ctx.session, scope, ctx.today, offset, PAGE_SIZE)
        title, empty = "逾期未整改的隐患", "没有逾期未整改的隐患。"
        lines = [f"{offset + i}. {r.number} {r.enterprise}：{_short(r.description)}（{r.level}，逾期 {r.days_overdue} 天）"
                 for i, r in enumerate(rows, 1)]
    elif kind == "listed":
        rows2, total = listed_hazards(ctx.session, scope, ctx.today, offset, PAGE_SIZE)
        title, empty = "挂牌督办的重大隐患", "没有挂牌督办中的隐患。"
        lines = [f"{offset + i}. {r.number} {r.enterprise}：{_short(r.description)}（{r.supervision_level}督办，"
                 + (f"{r.progress_due} 前须有实质进展" + (f"，已超 {-r.days_left} 天" if r.days_left < 0 else "")
                    if r.progress_due else "无进展期限") + "）"
                 for i, r in enumerate(rows2, 1)]
    else:
        month = period_of("month", ctx.today)
        quarter = period_of("quarter", ctx.today)
        rows3, total = unchecked_enterprises(ctx.session, scope, month.key, quarter.key, offset, PAGE_SIZE,
                                             ctx.services.config.selfcheck.high_risk_period)
        title, empty = "本期未提交自查的企业", "本期所有企业都已提交自查。"
        lines = [f"{offset + i}. {r.enterprise}（{r.town}，{'高危·月度' if r.high_risk else '季度'}）"
                 for i, r in enumerate(rows3, 1)]
    if total == 0:
        return Step.done("\n".join(filter(None, [note, f"{scope.label}：{empty}"])))
    if not lines:
        return Step.done(f"已经是最后一页了（共 {total} 条）。")
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    head = f"{title}（{scope.label}，共 {total} 条，第 {pager['page'] + 1}/{pages} 页）："
    more = "回复「下一页」查看更多。" if pager["page"] + 1 < pages else ""
    text = "\n".join(filter(None, [note, head, *lines, more]))
    return Step([text], {PAGER_KEY: pager} if more else None)


def _pager_scope(ctx: Context, pager: dict[str, Any]) -> Scope:
    # Re-derived from the asker on every page: a stored pager can never widen what they see.
    assert ctx.person is not None
    own = scope_of(ctx.person)
    if ctx.person.role == "admin":
        return Scope(ctx.session.get(Unit, pager["unit"])) if pager.get("unit") else own
    return own


# -- 本月统计 ----------------------------------------------------------------------------------------

def stats(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    scope, note = asker_scope(ctx, msg.text)
    tz = ctx.services.tz
    month = period_of("month", _reference_day(ctx, args))
    lo, hi = local_range(month.start, month.end, tz)
    this = figures(ctx.session, scope, lo, hi)
    start = ctx.services.config.campaign.start_day
    since_lo = local_range(start, start, tz)[0] if start else None
    since = figures(ctx.session, scope, since_lo, None)

    def line(label: str, f: Any) -> str:
        total = sum(f.found.values())
        return (f"{label}：发现隐患 {total} 条（重大 {f.found['重大']}，一般 {f.found['一般']}）；"
                f"企业自查 {f.by_source['企业自查']}，部门检查 {f.by_source['部门检查']}，举报 {f.by_source['举报']}；"
                f"已整改 {sum(f.rectified.values())}（重大 {f.rectified['重大']}），"
                f"未整改 {sum(f.open.values())}（重大 {f.open['重大']}）。")

    since_label = f"行动开始（{start}）以来" if start else "累计"
    return Step.done("\n".join(filter(None, [note, f"{scope.label} {month.label}", line("本月", this),
                                              line(since_label, since)])))


# -- recording work the data cannot see -----------------------------------------------------------

def record_work(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    text = msg.text.strip().removeprefix("登记").strip()
    kind = next((k for word, k in sorted(WORK_KINDS.items(), key=lambda kv: -len(kv[0])) if text.startswith(word)), None)
    if kind is None:
        options = "、".join(f"「登记{w}」" for w in ("典型案例", "执法案例", "现场督导", "小微企业检查"))
        return Step.done(f"可以登记：{options}，后面写简要说明。例如：登记典型案例 青山化工违规动火作业被处罚")
    word = next(w for w, k in WORK_KINDS.items() if k == kind and text.startswith(w))
    note = text.removeprefix(word).strip(" ：:，,")
    if not note:
        return Step.done(f"请在「登记{word}」后面写上简要说明，例如企业名称和事由。")
    assert ctx.person is not None
    if ctx.person.unit_id is None:
        return Step.done("您的账号没有绑定单位，不能登记。")
    ctx.session.add(WorkRecord(unit_id=ctx.person.unit_id, kind=kind, day=ctx.today.isoformat(), note=note[:500],
                               person_id=ctx.person.id, created_at=ctx.now))
    ctx.session.flush()
    return Step.done(f"已登记{WORK_LABELS[kind]}（{ctx.today:%m月%d日}）：{note[:60]}\n发送「本月还差几条」查看指标。")

