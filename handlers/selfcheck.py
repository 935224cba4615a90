"""Self-check (自查): an enterprise head answers this period's questionnaire, then arranges each hazard found.

States: submitted_menu (this period is already in) · draft_menu (continue or restart) · form (answering)
· followup (即查即改, or the five essentials, for each hazard the answers flagged).
"""
from __future__ import annotations

from copy import deepcopy
from typing import Any

from sqlalchemy import func, select

from handlers.messages import TEXT, Incoming
from storage.ledger import next_number, transition
from storage.models import Enterprise, Hazard, SelfCheckRun

from .base import Context, Step
from .forms.answers import display
from .forms.runtime import FormResult, FormRunner
from storage.periods import Period, next_period, period_of

INTRO = "随时可以发送「上一题」「跳过」「暂停」「进度」「帮助」。"


def banks_for(ctx: Context, enterprise: Enterprise) -> list[str]:
    cfg = ctx.services.config.selfcheck
    banks = list(cfg.always) + [b for b in cfg.banks.get(enterprise.industry, []) if b not in cfg.always]
    return banks


def period_kind(ctx: Context, enterprise: Enterprise) -> str:
    cfg = ctx.services.config.selfcheck
    return cfg.high_risk_period if enterprise.risk_tier == "high" else cfg.other_period


def _runner(ctx: Context, run: SelfCheckRun) -> FormRunner:
    return FormRunner(ctx.services.forms.compose(list(run.form_ids)))


class SelfCheckFlow:
    name = "selfcheck_start"

    def start(self, ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
        person = ctx.person
        assert person is not None and person.enterprise is not None
        ent = person.enterprise
        period = period_of(period_kind(ctx, ent), ctx.today)
        run = ctx.session.scalars(
            select(SelfCheckRun).where(SelfCheckRun.enterprise_id == ent.id, SelfCheckRun.period == period.key)
        ).one_or_none()
        if run is not None and run.status == "submitted":
            pending = self._draft_hazards(ctx, run)
            if pending:
                return self._next_followup(ctx, {"step": "followup", "run": run.id}, [
                    f"{period.label}自查已提交，还有 {len(pending)} 项问题没有填写整改安排，接着填："])
            found = self._hazard_count(ctx, run)
            when = run.submitted_at.astimezone(ctx.services.tz) if run.submitted_at else None
            return Step.stay({"step": "submitted_menu", "run": run.id},
                             f"{ent.name}{period.label}的自查已于 {when:%m月%d日 %H:%M} 提交，发现问题 {found} 项。\n"
                             "1. 查看提交的内容\n2. 修改后重新提交\n3. 返回")
        if run is not None:
            runner = _runner(ctx, run)
            where = runner.current_prompt(deepcopy(run.form_state)).replies[0].split("\n", 1)[0]
            return Step.stay({"step": "draft_menu", "run": run.id},
                             f"您有未完成的{period.label}自查，停在 {where}\n1. 继续\n2. 重新开始")
        return self._begin(ctx, ent, period, person.id)

    def resume(self, ctx: Context, state: dict[str, Any], msg: Incoming) -> Step:
        run = ctx.session.get(SelfCheckRun, state.get("run"))
        if run is None:
            return Step.done("这次自查已不存在，发送「开始自查」重新开始。")
        text = msg.text.strip() if msg.kind == TEXT else ""
        step = state["step"]
        if step == "submitted_menu":
            if text in ("1", "查看"):
                return Step.done(self._view(ctx, run))
            if text in ("2", "修改"):
                result = _runner(ctx, run).begin("", answers=dict(run.answers))
                run.form_state = result.state
                return Step.stay({"step": "form", "run": run.id, "amend": True},
                                 "在原答案上修改：回复「修改 题号」改某一题，改完回复 1 重新提交。\n" + result.replies[0])
            return Step.done("好的。发送「菜单」查看其他事项。")
        if step == "draft_menu":
            if text in ("2", "重新开始"):
                ent = run.enterprise
                period = period_of(period_kind(ctx, ent), ctx.today)
                ctx.session.delete(run)
                ctx.session.flush()
                return self._begin(ctx, ent, period, ctx.person.id if ctx.person else None)
            if text in ("1", "继续") or not text:
                result = _runner(ctx, run).current_prompt(deepcopy(run.form_state))
                return Step.stay({"step": "form", "run": run.id}, *result.replies)
            return Step.stay(state, "请回复 1 继续，或 2 重新开始。")
        if step == "form":
            result = _runner(ctx, run).handle(deepcopy(run.form_state), msg, ctx.today)
            run.form_state = result.state
            return self._after_form(ctx, state, run, result)
        if step == "followup":
            return self._on_followup(ctx, state, run, msg)
        return Step.done("这次自查的状态无法识别，发送「开始自查」重新开始。")

    # -- the questionnaire --------------------------------------------------------------------

    def _begin(self, ctx: Context, ent: Enterprise, period: Period, person_id: int | None) -> Step:
        banks = banks_for(ctx, ent)
        questionnaire = ctx.services.forms.compose(banks)
        run = SelfCheckRun(enterprise_id=ent.id, period=period.key, form_ids=banks,
                           form_version=questionnaire.version, started_by=person_id, started_at=ctx.now)
        ctx.session.add(run)
        ctx.session.flush()
        titles = questionnaire.title
        result = FormRunner(questionnaire).begin(
            f"开始{ent.name}{period.label}自查（{titles}），请在 {period.end:%m月%d日} 前完成。{INTRO}")
        run.form_state = result.state
        return Step.stay({"step": "form", "run": run.id}, *result.replies)

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
            run.submitted_at, run.submitted_by = ctx.now, ctx.person.id if ctx.person else None
        new = self._create_hazards(ctx, run)
        ent = run.enterprise
        kind = period_kind(ctx, ent)
        period = period_of(kind, ctx.today)
        nxt = next_period(kind, period)
        flagged = self._hazard_count(ctx, run)
        head = (f"已{'重新' if amend else ''}提交{period.label}自查：发现问题 {flagged} 项。"
                f"下次自查：{nxt.label}（{nxt.end:%m月%d日}前）。")
        if not new:
            return Step.done(head + "\n发送「菜单」查看其他事项。")
        return self._next_followup(ctx, {"step": "followup", "run": run.id},
                                   [head, f"接下来逐项安排整改（共 {len(new)} 项）："])

    def _create_hazards(self, ctx: Context, run: SelfCheckRun) -> list[Hazard]:
        """A draft hazard for each flagged answer not already recorded for this run."""
        questionnaire = ctx.services.forms.compose(list(run.form_ids))
        existing = set(ctx.session.scalars(select(Hazard.item_id).where(Hazard.selfcheck_run_id == run.id)))
        created = []
        for item in questionnaire.items:
            value = run.answers.get(item.id)
            if item.hazard_when and value in item.hazard_when and item.id not in existing:
                hz = Hazard(enterprise_id=run.enterprise_id, level=item.level or "一般", source="企业自查",
                            status="草稿", description=f"自查发现：{item.text}（回答：{display(item, value)}）",
                            clause=item.clause, selfcheck_run_id=run.id, item_id=item.id,
                            found_by=ctx.person.id if ctx.person else None, found_at=ctx.now)
                ctx.session.add(hz)
                created.append(hz)
        ctx.session.flush()
        return created

    # -- arranging each hazard ----------------------------------------------------------------

    def _draft_hazards(self, ctx: Context, run: SelfCheckRun) -> list[Hazard]:
        return list(ctx.session.scalars(
            select(Hazard).where(Hazard.selfcheck_run_id == run.id, Hazard.status == "草稿").order_by(Hazard.id)))

    def _hazard_count(self, ctx: Context, run: SelfCheckRun) -> int:
        return ctx.session.scalar(select(func.count()).select_from(Hazard).where(Hazard.selfcheck_run_id == run.id)) or 0

    def _next_followup(self, ctx: Context, state: dict[str, Any], lead: list[str]) -> Step:
        run = ctx.session.get(SelfCheckRun, state["run"])
        pending = self._draft_hazards(ctx, run) if run else []
        if not pending:
            return Step.done(*lead, "整改安排都已记录。发送「菜单」查看其他事项。")
        hz = pending[0]
        result = FormRunner(ctx.services.forms.form("hazard_followup")).begin(
            f"【{hz.level}隐患】{hz.description}" + (f"\n依据：{hz.clause}" if hz.clause else ""),
            context={"_level": hz.level})
        state = {**state, "hazard": hz.id, "form": result.state}
        return Step.stay(state, "\n".join([*lead, *result.replies]))

    def _on_followup(self, ctx: Context, state: dict[str, Any], run: SelfCheckRun, msg: Incoming) -> Step:
        hz = ctx.session.get(Hazard, state.get("hazard"))
        if hz is None or hz.status != "草稿":
            return self._next_followup(ctx, {"step": "followup", "run": run.id}, [])
        result = FormRunner(ctx.services.forms.form("hazard_followup")).handle(deepcopy(state["form"]), msg, ctx.today)
        if result.outcome == "paused":
            return Step.done(result.replies[0].replace("发送「继续」", "发送「开始自查」"))
        if result.outcome == "cancelled":
            return Step.done("已暂停整改安排，问题已记录在本期自查里。发送「开始自查」可以接着填。")
        if result.outcome != "submitted":
            return Step.stay({**state, "form": result.state}, *result.replies)
        done = self._apply_followup(ctx, hz, result.answers)
        return self._next_followup(ctx, {"step": "followup", "run": run.id}, [done])

    def _apply_followup(self, ctx: Context, hz: Hazard, answers: dict[str, Any]) -> str:
        hz.number = next_number(ctx.session, ctx.now)
        if answers.get("fix") == "now":
            hz.fixed_on_spot = True
            hz.note = answers.get("fix_note") or ""
            hz.photos = answers.get("fix_photos") or []
            transition(ctx.session, hz, "即查即改", person=ctx.person, now=ctx.now, note=hz.note, photos=hz.photos)
            return f"已记录 {hz.number}：即查即改，已销号。"
        hz.fixed_on_spot = False
        hz.responsible, hz.measures = answers["responsible"], answers["measures"]
        hz.funds_wan, hz.deadline, hz.plan = float(answers["funds"]), answers["deadline"], answers["plan"]
        hz.equipment_stopped = answers.get("stopped") == "yes" if "stopped" in answers else None
        transition(ctx.session, hz, "登记", person=ctx.person, now=ctx.now)
        warn = "\n⚠ 重大隐患未整改前请停用相关设备或区域。" if answers.get("stopped") == "no" else ""
        return f"已记录 {hz.number}：限期 {hz.deadline} 前整改，责任人 {hz.responsible}。{warn}"

    def _view(self, ctx: Context, run: SelfCheckRun) -> str:
        questionnaire = ctx.services.forms.compose(list(run.form_ids))
        flagged = [item for item in questionnaire.items
                   if item.hazard_when and run.answers.get(item.id) in item.hazard_when]
        lines = [f"{run.period} 自查：共回答 {len(run.answers)} 题，发现问题 {len(flagged)} 项。"]
        lines += [f"· {item.text}：{display(item, run.answers.get(item.id))}" for item in flagged[:10]]
        if len(flagged) > 10:
            lines.append(f"……另有 {len(flagged) - 10} 项")
        return "\n".join(lines)

