"""Self-check (自查): an enterprise head answers this period's questionnaire, then arranges each hazard found;
and 查看自查记录, where each enterprise stands.

States: submitted_menu (this period is already in) · draft_menu (continue or restart) · form (answering)
· followup (即查即改, or the five essentials, for each hazard the answers flagged).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from storage.domain import DRAFT, ENTERPRISE_ROLES
from storage.hazards import register
from storage.invites import bound_as
from storage.models import Enterprise, Hazard, Person, SelfCheckRun
from storage.periods import Period, next_period, period_of, selfcheck_kind

from .base import Context, Step
from .conversation import Option, ask, clean, numbered, pick
from .forms.answers import display
from .forms.definition import UNSURE, Item, sector_prefill
from .forms.runtime import FormResult, FormRunner
from .hazards import five_measures, registered_text
from .messages import TEXT, Incoming
from .photos import with_kept_photos

INTRO = "随时可以发送「上一题」「跳过」「暂停」「进度」「帮助」。"
SUBMITTED_ACTIONS = [Option("view", "查看提交的内容", ("查看", "看看")), Option("amend", "修改后重新提交", ("修改", "重新提交"))]
DRAFT_ACTIONS = [Option("continue", "继续", ("继续", "接着填")), Option("restart", "重新开始", ("重新开始", "重来", "重填"))]
RECENT_RUNS = 3
# Said at a hazard's follow-up: register it 待整改 now, its 五落实 to come (a reminder follows; 整改进展 fills them).
DEFER_ONE = frozenset({"稍后补充", "稍后补充五落实", "以后再填", "晚点填", "回头再填", "先登记"})
DEFER_ALL = frozenset({"全部稍后补充", "都稍后补充", "其余稍后补充", "其余都稍后补充", "全部稍后", "都以后再填"})
LISTED = 6  # flagged items listed by name after submission; more are counted


def banks_for(ctx: Context, enterprise: Enterprise) -> list[str]:
    return ctx.services.config.selfcheck.banks_for(enterprise.industry)


def current_period(ctx: Context, enterprise: Enterprise) -> tuple[str, Period]:
    cfg = ctx.services.config.selfcheck
    kind = selfcheck_kind(enterprise.risk_tier, cfg.high_risk_period, cfg.other_period)
    return kind, period_of(kind, ctx.today)


def _runner(ctx: Context, run: SelfCheckRun) -> FormRunner:
    return FormRunner(ctx.services.forms.compose(list(run.form_ids)), festivals=ctx.services.nlu.festivals)


def _run_for(ctx: Context, enterprise_id: int, period: Period) -> SelfCheckRun | None:
    return ctx.session.scalars(select(SelfCheckRun).where(SelfCheckRun.enterprise_id == enterprise_id,
                                                          SelfCheckRun.period == period.key)).one_or_none()


def _hazard_count(ctx: Context, run: SelfCheckRun) -> int:
    return ctx.session.scalar(select(func.count()).select_from(Hazard).where(Hazard.selfcheck_run_id == run.id)) or 0


def _draft_hazards(ctx: Context, run: SelfCheckRun) -> list[Hazard]:
    return list(ctx.session.scalars(
        select(Hazard).where(Hazard.selfcheck_run_id == run.id, Hazard.status == DRAFT).order_by(Hazard.id)))


def _finding(item: Item, value: Any) -> str:
    """A flagged answer as the ledger describes it: a situation in the standard's own words (what the
    重大隐患清单 shows staff), any other item as the question and its answer."""
    if item.type == "situation" and item.clause_text:
        return "自查发现：" + item.clause_text.rstrip("。；;，, ")
    return f"自查发现：{item.text}（回答：{display(item, value)}）"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _state(state: dict[str, Any]) -> str:
    return str(state.get("at") or state.get("step") or "")


class SelfCheckFlow:
    name = "selfcheck_start"

    def start(self, ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
        person = ctx.me()
        ent = person.enterprise
        if ent is None:
            return Step.done("您的账号没有关联企业，无法自查。请联系镇街工作人员重新发放邀请码。")
        _, period = current_period(ctx, ent)
        run = _run_for(ctx, ent.id, period)
        if run is not None and run.status == "submitted":
            pending = _draft_hazards(ctx, run)
            if pending:
                return self._next_followup(ctx, {"at": "followup", "run": run.id}, [
                    f"{period.label}自查已提交，还有 {len(pending)} 项问题没有填写整改安排，接着填："])
            found = _hazard_count(ctx, run)
            when = run.submitted_at.astimezone(ctx.services.tz) if run.submitted_at else ctx.now
            return ask({"at": "submitted_menu", "run": run.id},
                       f"{ent.name}{period.label}的自查已于 {when:%m月%d日 %H:%M} 提交，发现问题 {found} 项。\n"
                       + numbered(SUBMITTED_ACTIONS))
        if run is not None:
            where = _runner(ctx, run).where(run.form_state)
            starter = ctx.session.get(Person, run.started_by) if run.started_by else None
            who = ""
            if starter is not None and starter.id != person.id:
                # The head and the safety officer share one draft per period: say whose work this is.
                who = f"（由{bound_as(starter)}于 {run.started_at.astimezone(ctx.services.tz):%m月%d日 %H:%M} 开始）"
            return ask({"at": "draft_menu", "run": run.id},
                       f"您有未完成的{period.label}自查{who}，停在{where}。\n" + numbered(DRAFT_ACTIONS))
        return self._begin(ctx, ent, period, person.id)

    def resume(self, ctx: Context, state: dict[str, Any], msg: Incoming) -> Step:
        run = ctx.session.get(SelfCheckRun, state.get("run"))
        if run is None:
            return Step.done("这次自查已不存在，发送「开始自查」重新开始。")
        text = msg.text.strip() if msg.kind == TEXT else ""
        at = _state(state)
        if at == "submitted_menu":
            chosen = pick(SUBMITTED_ACTIONS, text)
            if chosen is None:
                return Step(["请回复 1 查看，或 2 修改。"], state, unmatched=True)
            if chosen.value == "view":
                return Step.done(self._view(ctx, run))
            result = _runner(ctx, run).begin("", answers=dict(run.answers))
            run.form_state = result.state
            return Step.stay({"at": "form", "run": run.id, "amend": True},
                             "在原答案上修改：回复「修改 题号」改某一题，改完回复 1 重新提交。\n" + result.replies[0])
        if at == "draft_menu":
            chosen = pick(DRAFT_ACTIONS, text) if text else DRAFT_ACTIONS[0]
            if chosen is None:
                return Step(["请回复 1 继续，或 2 重新开始。"], state, unmatched=True)
            if chosen.value == "restart":
                ent = run.enterprise
                _, period = current_period(ctx, ent)
                ctx.session.delete(run)
                ctx.session.flush()
                return self._begin(ctx, ent, period, ctx.me().id)
            result = _runner(ctx, run).current_prompt(run.form_state)
            run.form_state = result.state
            return Step.stay({"at": "form", "run": run.id}, *result.replies)
        if at == "form":
            result = _runner(ctx, run).handle(run.form_state, msg, ctx.today)
            run.form_state = result.state
            return self._after_form(ctx, state, run, result)
        if at == "followup":
            return self._on_followup(ctx, state, run, msg)
        return Step.done("这次自查的状态无法识别，发送「开始自查」重新开始。")

    # -- the questionnaire --------------------------------------------------------------------

    def _begin(self, ctx: Context, ent: Enterprise, period: Period, person_id: int) -> Step:
        banks = banks_for(ctx, ent)
        questionnaire = ctx.services.forms.compose(banks)
        run = SelfCheckRun(enterprise_id=ent.id, period=period.key, form_ids=banks,
                           form_version=questionnaire.version, started_by=person_id, started_at=ctx.now)
        ctx.session.add(run)
        ctx.session.flush()
        result = FormRunner(questionnaire).begin(
            f"开始{ent.name}{period.label}自查（{questionnaire.title}），请在 {period.end:%m月%d日} 前完成。{INTRO}",
            suggest=sector_prefill(questionnaire, ent.sector))
        run.form_state = result.state
        return Step.stay({"at": "form", "run": run.id}, *result.replies)

    def _after_form(self, ctx: Context, state: dict[str, Any], run: SelfCheckRun, result: FormResult) -> Step:
        if result.outcome == "paused":
            return Step.done(*result.replies)
        if result.outcome == "cancelled":
            if state.get("amend"):
                run.form_state = {}
                return Step.done("已取消修改，之前提交的内容保持不变。")
            ctx.session.delete(run)
            return Step.done(*result.replies)
        if result.outcome != "submitted":
            return Step.stay(state, *result.replies)
        amend = run.status == "submitted"
        run.answers = dict(result.answers)
        run.status, run.form_state = "submitted", {}
        if amend:
            run.amended_at = ctx.now
        else:
            run.submitted_at, run.submitted_by = ctx.now, ctx.me().id
        new = self._create_hazards(ctx, run)
        kind, period = current_period(ctx, run.enterprise)
        nxt = next_period(kind, period)
        flagged = _hazard_count(ctx, run)
        head = (f"已{'重新' if amend else ''}提交{period.label}自查：发现问题 {flagged} 项。"
                f"下次自查：{nxt.label}（{nxt.end:%m月%d日}前）。")
        unsure = sum(1 for value in run.answers.values() if value == UNSURE)
        if unsure:
            head += f"\n另有 {unsure} 项标记为待核实：核实后发送「开始自查」，选「修改」补答。"
        if not new:
            return Step.done(head + "\n发送「菜单」查看其他事项。")
        listed = [f"{n}. 【{hz.level}】{_short(hz.description)}" for n, hz in enumerate(new[:LISTED], 1)]
        if len(new) > LISTED:
            listed.append(f"……另有 {len(new) - LISTED} 项")
        days = ctx.services.config.selfcheck.five_measures_days
        return self._next_followup(ctx, {"at": "followup", "run": run.id, "of": len(new)}, [
            head, *listed,
            f"接下来逐项安排整改（共 {len(new)} 项）。五落实一时定不下来的，回复「稍后补充」先登记为待整改，"
            f"{days} 天后提醒补填；回复「全部稍后补充」其余各项都这样登记。"])

    def _create_hazards(self, ctx: Context, run: SelfCheckRun) -> list[Hazard]:
        """A draft hazard for each flagged answer not already recorded for this run."""
        questionnaire = ctx.services.forms.compose(list(run.form_ids))
        existing = set(ctx.session.scalars(select(Hazard.item_id).where(Hazard.selfcheck_run_id == run.id)))
        created = []
        for item in questionnaire.items:
            value = run.answers.get(item.id)
            if item.hazard_when and value in item.hazard_when and item.id not in existing:
                hz = Hazard(enterprise_id=run.enterprise_id, level=item.level or "一般", source="企业自查",
                            status=DRAFT, description=_finding(item, value),
                            clause=item.clause, selfcheck_run_id=run.id, item_id=item.id,
                            found_by=ctx.me().id, found_at=ctx.now)
                ctx.session.add(hz)
                created.append(hz)
        ctx.session.flush()
        return created

    # -- arranging each hazard ----------------------------------------------------------------

    def _next_followup(self, ctx: Context, state: dict[str, Any], lead: list[str]) -> Step:
        run = ctx.session.get(SelfCheckRun, state["run"])
        pending = _draft_hazards(ctx, run) if run else []
        if not pending:
            return Step.done(*lead, "整改安排都已记录。发送「菜单」查看其他事项。")
        hz = pending[0]
        total = max(int(state.get("of") or 0), len(pending))
        place = f"整改安排 第{total - len(pending) + 1}/{total}项：" if total > 1 else "整改安排："
        result = FormRunner(ctx.services.forms.form("hazard_followup")).begin(
            f"{place}【{hz.level}隐患】{hz.description}" + (f"\n依据：{hz.clause}" if hz.clause else ""),
            context={"_level": hz.level})
        state = {**state, "hazard": hz.id, "form": result.state}
        return Step.stay(state, "\n".join([*lead, *result.replies]))

    def _on_followup(self, ctx: Context, state: dict[str, Any], run: SelfCheckRun, msg: Incoming) -> Step:
        hz = ctx.session.get(Hazard, state.get("hazard"))
        if hz is None or hz.status != DRAFT:
            return self._next_followup(ctx, {"at": "followup", "run": run.id}, [])
        said = clean(msg.text) if msg.kind == TEXT else ""
        if said in DEFER_ONE or said in DEFER_ALL:
            deferred = [hz] if said in DEFER_ONE else _draft_hazards(ctx, run)
            lines = [self._defer(ctx, h) for h in deferred]
            return self._next_followup(ctx, {"at": "followup", "run": run.id, "of": state.get("of")}, lines)
        result = FormRunner(ctx.services.forms.form("hazard_followup"),
                            festivals=ctx.services.nlu.festivals).handle(state["form"], msg, ctx.today)
        if result.outcome == "paused":
            return Step.done(result.replies[0].replace("发送「继续」", "发送「开始自查」"))
        if result.outcome == "cancelled":
            return Step.done("已暂停整改安排，问题已记录在本期自查里。发送「开始自查」可以接着填。")
        if result.outcome != "submitted":
            return Step.stay({**state, "form": result.state}, *result.replies)
        done = register(ctx.session, hz, five_measures(with_kept_photos(ctx, result.answers, "fix_photos")), by=ctx.me(), now=ctx.now,
                        ledger=ctx.services.config.ledger)
        return self._next_followup(ctx, {"at": "followup", "run": run.id, "of": state.get("of")},
                                   [registered_text(hz, done.reported_to, followup=True)])

    def _defer(self, ctx: Context, hz: Hazard) -> str:
        """In the ledger as 待整改 without its 五落实: staff see it as 五落实未填, and the enterprise is reminded
        after selfcheck.five_measures_days (scheduler rule five_measures) until 整改进展 fills them."""
        done = register(ctx.session, hz, None, by=ctx.me(), now=ctx.now, ledger=ctx.services.config.ledger)
        told = f"已按“双报告”告知监管部门（{done.reported_to} 人）。" if done.reported_to else ""
        return (f"已登记 {hz.number}：待整改，五落实待补充（{ctx.services.config.selfcheck.five_measures_days} 天后提醒；"
                f"发送「整改进展」选这条补填）。{told}")

    def _view(self, ctx: Context, run: SelfCheckRun) -> str:
        questionnaire = ctx.services.forms.compose(list(run.form_ids))
        flagged = [item for item in questionnaire.items
                   if item.hazard_when and run.answers.get(item.id) in item.hazard_when]
        answered = sum(1 for item in questionnaire.items if item.asks and item.id in run.answers)
        lines = [f"{run.period} 自查：共回答 {answered} 题，发现问题 {len(flagged)} 项。"]
        lines += [f"· {item.text}：{display(item, run.answers.get(item.id))}" for item in flagged[:10]]
        if len(flagged) > 10:
            lines.append(f"……另有 {len(flagged) - 10} 项")
        return "\n".join(lines)


# -- 查看自查记录 ----------------------------------------------------------------------------------

def status(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    """Enterprise roles: this period (submitted / a draft and where it stopped / not started, with the due
    day), the last few runs with what they flagged, the next due day. Staff: where to look instead."""
    person = ctx.me()
    if person.role not in ENTERPRISE_ROLES:
        return Step.done("自查记录按企业查看：发送「未自查企业」查看本期还没有提交自查的企业；"
                         "企业的自查明细可用「hazardbot export selfchecks」导出。")
    ent = person.enterprise
    if ent is None:
        return Step.done("您的账号没有关联企业。")
    kind, period = current_period(ctx, ent)
    run = _run_for(ctx, ent.id, period)
    due = f"{period.end:%m月%d日}前"
    if run is None:
        now_line = f"本期（{period.label}，{due}）：还没有开始。发送「开始自查」填写。"
    elif run.status != "submitted":
        where = _runner(ctx, run).where(run.form_state)
        now_line = f"本期（{period.label}，{due}）：填写中，停在{where}。发送「继续」接着填。"
    else:
        when = run.submitted_at.astimezone(ctx.services.tz) if run.submitted_at else ctx.now
        now_line = f"本期（{period.label}）：已于 {when:%m月%d日} 提交，发现问题 {_hazard_count(ctx, run)} 项。"
    lines = [f"{ent.name}的自查记录", now_line]
    earlier = ctx.session.scalars(
        select(SelfCheckRun).where(SelfCheckRun.enterprise_id == ent.id, SelfCheckRun.status == "submitted",
                                   SelfCheckRun.period != period.key)
        .order_by(SelfCheckRun.submitted_at.desc()).limit(RECENT_RUNS)).all()
    for past in earlier:
        rows = ctx.session.execute(select(Hazard.level, func.count()).where(Hazard.selfcheck_run_id == past.id)
                                   .group_by(Hazard.level)).all()
        found = "、".join(f"{level}{n} 项" for level, n in sorted(rows)) or "未发现问题"
        lines.append(f"· {past.period}：{found}")
    if run is not None and run.status == "submitted":
        nxt = next_period(kind, period)
        lines.append(f"下次自查：{nxt.label}（{nxt.end:%m月%d日}前）。")
    return Step.done("\n".join(lines))
