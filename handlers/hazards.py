"""The hazard ledger in chat: report (上报隐患), progress (整改进展), verify and close (核查/销号), and
supervised listing (挂牌督办). Every transition goes through storage.ledger, which keeps the history."""
from __future__ import annotations

from copy import deepcopy
from datetime import timedelta
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import select

from handlers.messages import TEXT, Incoming
from storage.outbox import enqueue
from storage.domain import ENTERPRISE_ROLES, record_number_in
from storage.ledger import CLAIMED, OPEN_STATES, LedgerError, may, next_number, transition
from storage.models import Enterprise, Hazard, Person
from storage.queries import scope_of

from .base import Context, Step
from .forms.runtime import FormRunner

def hazard_number_in(text: str) -> str | None:
    found = record_number_in("YH", text)
    return found[0] if found else None


def describe(hz: Hazard) -> str:
    due = f"，期限 {hz.deadline}" if hz.deadline else ""
    listed = f"，{hz.supervision_level}挂牌督办（{hz.progress_due} 前须有实质进展）" if hz.supervision_level else ""
    return f"{hz.number} {hz.enterprise.name}【{hz.level}】{hz.description}（{hz.status}{due}{listed}）"


def notify_department(ctx: Context, hz: Hazard, event: str) -> int:
    """双报告: queue a message to every bound staff member of the supervising department."""
    if not ctx.services.config.ledger.notify_major or hz.level != "重大" or hz.department_id is None:
        return 0
    staff = ctx.session.scalars(select(Person).where(Person.unit_id == hz.department_id, Person.role == "staff")).all()
    for person in staff:
        enqueue(ctx.session, channel=person.channel, recipient=person.external_id, now=ctx.services.clock(),
                text=f"【双报告·{event}】{describe(hz)}", dedup_key=f"double-report:{hz.id}:{event}:{person.id}")
    return len(staff)


# -- 上报隐患 -----------------------------------------------------------------------------------------

class HazardReportFlow:
    name = "hazard_report"

    def start(self, ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
        person = ctx.person
        assert person is not None
        if person.role in ENTERPRISE_ROLES:
            return self._begin(ctx, person.enterprise_id)  # type: ignore[arg-type]
        return Step.stay({"step": "enterprise"}, "哪家企业（项目）？请写企业名称，写一部分也可以。")

    def resume(self, ctx: Context, state: dict[str, Any], msg: Incoming) -> Step:
        text = msg.text.strip() if msg.kind == TEXT else ""
        if state["step"] == "enterprise":
            if text in ("取消", "退出"):
                return Step.done("已取消。")
            if not text:
                return Step.stay(state, "请用文字写企业名称。")
            return self._pick_enterprise(ctx, text)
        if state["step"] == "choose":
            ids: list[int] = state["candidates"]
            if text.isdecimal() and 1 <= int(text) <= len(ids):
                return self._begin(ctx, ids[int(text) - 1])
            if text in ("取消", "退出"):
                return Step.done("已取消。")
            return self._pick_enterprise(ctx, text) if text and not text.isdecimal() else Step.stay(
                state, f"请回复序号 1–{len(ids)}，或重新输入企业名称。")
        runner = FormRunner(ctx.services.forms.form("hazard_report"))
        result = runner.handle(deepcopy(state["form"]), msg, ctx.today)
        if result.outcome == "asking" and self._suggest(ctx, result.state, state["enterprise"]):
            result = runner.current_prompt(result.state)  # show the question again, now with its suggestion
        if result.outcome in ("cancelled", "paused"):
            return Step.done(*(result.replies if result.outcome == "cancelled"
                               else ["隐患上报不保存草稿，已放弃这次填写。需要时重新发送「上报隐患」。"]))
        if result.outcome != "submitted":
            return Step.stay({**state, "form": result.state}, *result.replies)
        return Step.done(self._record(ctx, state["enterprise"], result.answers))

    def _pick_enterprise(self, ctx: Context, text: str) -> Step:
        assert ctx.person is not None
        scope = scope_of(ctx.person)
        rows = ctx.session.execute(select(Enterprise.id, Enterprise.name).where(scope.enterprises())).all()
        names = {name: eid for eid, name in rows}
        exact = [names[n] for n in names if n == text]
        if exact:
            return self._begin(ctx, exact[0])
        hits = process.extract(text, list(names), scorer=fuzz.partial_ratio, score_cutoff=80, limit=5)
        if not hits:
            return Step.stay({"step": "enterprise"},
                             f"您负责的企业里没有找到「{text}」。请核对名称后重新输入，或发送「取消」。")
        if len(hits) == 1 or hits[0][1] - hits[1][1] >= 15:
            return self._begin(ctx, names[hits[0][0]], f"企业：{hits[0][0]}")
        ids = [names[h[0]] for h in hits]
        lines = ["找到几家相近的企业，请回复序号："] + [f"{i}. {h[0]}" for i, h in enumerate(hits, 1)]
        return Step.stay({"step": "choose", "candidates": ids}, "\n".join(lines))

    def _begin(self, ctx: Context, enterprise_id: int, lead: str = "") -> Step:
        ent = ctx.session.get(Enterprise, enterprise_id)
        assert ent is not None
        result = FormRunner(ctx.services.forms.form("hazard_report")).begin(
            lead or f"为{ent.name}上报隐患。随时可以发送「上一题」「取消」「帮助」。")
        return Step.stay({"step": "form", "enterprise": enterprise_id, "form": result.state}, *result.replies)

    def _suggest(self, ctx: Context, form_state: dict[str, Any], enterprise_id: int) -> bool:
        """Suggest the enterprise's registered industry (the ledger's 所属行业领域 follows the registry); for an
        enterprise registered outside the list, the industry the description's words point to.
        True when a new suggestion was added."""
        answers = form_state["answers"]
        if "description" not in answers or "industry" in answers or "industry" in form_state.get("suggest", {}):
            return False
        form = ctx.services.forms.form("hazard_report")
        allowed = {o.value for o in form.item("industry").options}
        ent = ctx.session.get(Enterprise, enterprise_id)
        choice = ent.industry if ent and ent.industry in allowed and ent.industry != "其他" else None
        if choice is None:
            found = ctx.services.nlu.recognize(answers["description"], today=ctx.today).entities.industries
            choice = next((i for i in found if i in allowed), None)
        if choice:
            form_state.setdefault("suggest", {})["industry"] = choice
        return choice is not None

    def _record(self, ctx: Context, enterprise_id: int, answers: dict[str, Any]) -> str:
        assert ctx.person is not None
        source = "企业自查" if ctx.person.role in ENTERPRISE_ROLES else "部门检查"
        hz = Hazard(enterprise_id=enterprise_id, level=answers["level"], source=source, status="草稿",
                    description=answers["description"], photos=answers.get("photos") or [],
                    found_by=ctx.person.id, found_at=ctx.now)
        ctx.session.add(hz)
        ctx.session.flush()
        hz.industry = answers["industry"]
        hz.number = next_number(ctx.session, ctx.now)
        if answers["fix"] == "now":
            hz.fixed_on_spot, hz.note = True, answers.get("fix_note") or ""
            transition(ctx.session, hz, "即查即改", person=ctx.person, now=ctx.now, note=hz.note)
            return f"已登记 {hz.number}：即查即改，已销号。"
        hz.fixed_on_spot = False
        hz.responsible, hz.measures, hz.plan = answers["responsible"], answers["measures"], answers["plan"]
        hz.funds_wan, hz.deadline = float(answers["funds"]), answers["deadline"]
        if "stopped" in answers:
            hz.equipment_stopped = answers["stopped"] == "yes"
        transition(ctx.session, hz, "登记", person=ctx.person, now=ctx.now)
        told = notify_department(ctx, hz, "发现")
        lines = [f"已登记 {hz.number}（{hz.level}隐患，{source}）：限期 {hz.deadline} 前整改，责任人 {hz.responsible}。"]
        if hz.equipment_stopped is False:
            lines.append("⚠ 重大隐患未整改前请停用相关设备或区域。")
        if told:
            lines.append(f"已按“双报告”告知监管部门（{told} 人）。")
        lines.append("整改中可发送「整改进展」更新。")
        return "\n".join(lines)


# -- 整改进展 -----------------------------------------------------------------------------------------

class ProgressFlow:
    """An enterprise (or staff for it) picks an open hazard and adds progress or claims it rectified."""

    name = "hazard_progress"

    def start(self, ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
        assert ctx.person is not None
        number = hazard_number_in(msg.text)
        if number:
            hz = ctx.session.scalars(select(Hazard).where(Hazard.number == number)).one_or_none()
            if hz is None or not may(ctx.person, hz, "整改进展"):
                return Step.done(f"没有找到您可以更新的隐患 {number}。")
            return self._chosen(hz)
        query = select(Hazard).where(Hazard.status.in_(("待整改", "整改中"))).order_by(Hazard.deadline, Hazard.id)
        if ctx.person.role in ENTERPRISE_ROLES:
            query = query.where(Hazard.enterprise_id == ctx.person.enterprise_id)
        else:
            query = query.where(scope_of(ctx.person).hazards())
        hazards = ctx.session.scalars(query.limit(9)).all()
        if not hazards:
            return Step.done("没有待整改的隐患。")
        lines = ["要更新哪一条？请回复序号："] + [f"{i}. {describe(h)}" for i, h in enumerate(hazards, 1)]
        return Step.stay({"step": "pick", "ids": [h.id for h in hazards]}, "\n".join(lines))

    def _chosen(self, hz: Hazard) -> Step:
        return Step.stay({"step": "what", "hazard": hz.id},
                         f"{describe(hz)}\n1. 补充整改进展\n2. 已整改完成，申请核查销号\n3. 返回")

    def resume(self, ctx: Context, state: dict[str, Any], msg: Incoming) -> Step:
        text = msg.text.strip() if msg.kind == TEXT else ""
        if text in ("取消", "退出", "返回") or (state["step"] == "what" and text == "3"):
            return Step.done("好的。")
        if state["step"] == "pick":
            ids = state["ids"]
            if text.isdecimal() and 1 <= int(text) <= len(ids):
                hz = ctx.session.get(Hazard, ids[int(text) - 1])
                return self._chosen(hz) if hz else Step.done("这条隐患已不存在。")
            return Step.stay(state, f"请回复序号 1–{len(ids)}。")
        hz = ctx.session.get(Hazard, state["hazard"])
        if hz is None:
            return Step.done("这条隐患已不存在。")
        if state["step"] == "what":
            if text not in ("1", "2"):
                return Step.stay(state, "请回复 1 补充进展，2 申请销号，或 3 返回。")
            action = "整改进展" if text == "1" else "申请销号"
            return Step.stay({**state, "step": "note", "action": action, "photos": []},
                             ("请写整改进展" if action == "整改进展" else "请写整改完成情况") + "，可以先发几张照片。")
        if msg.kind == "image":
            photos = state["photos"] + [{"media_id": msg.media_id, "pic_url": msg.pic_url}]
            return Step.stay({**state, "photos": photos}, f"已收到第 {len(photos)} 张照片，请再写一句文字说明。")
        if not text:
            return Step.stay(state, "请用文字写明情况。")
        try:
            transition(ctx.session, hz, state["action"], person=ctx.person, now=ctx.now, note=text[:1000],
                       photos=state["photos"])
        except LedgerError as exc:
            return Step.done(str(exc))
        if state["action"] == "申请销号":
            return Step.done(f"{hz.number} 已申请核查销号，等待镇街或部门工作人员核查。")
        return Step.done(f"已记录 {hz.number} 的整改进展。")


# -- 核查销号 -----------------------------------------------------------------------------------------

class VerifyFlow:
    """Staff of the responsible unit verify a claimed rectification: close it, or send it back with a reason."""

    name = "hazard_verify"

    def start(self, ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
        assert ctx.person is not None
        number = hazard_number_in(msg.text)
        if number is None:
            pending = ctx.session.scalars(select(Hazard).where(Hazard.status == CLAIMED, scope_of(ctx.person).hazards())
                                          .order_by(Hazard.updated_at).limit(9)).all()
            if not pending:
                return Step.done("没有等待核查的隐患。")
            lines = ["等待核查销号的隐患（发送「核查 编号」处理）："] + [f"· {describe(h)}" for h in pending]
            return Step.done("\n".join(lines))
        hz = ctx.session.scalars(select(Hazard).where(Hazard.number == number)).one_or_none()
        if hz is None or not (ctx.person.role == "admin" or scope_of(ctx.person).unit is not None
                              and ctx.person.unit_id in (hz.town_id, hz.department_id)):
            return Step.done(f"没有找到您单位负责的隐患 {number}。")
        if hz.status != CLAIMED:
            return Step.done(f"{describe(hz)}\n当前不是「已整改待核查」，不能核查销号。")
        return Step.stay({"step": "decide", "hazard": hz.id},
                         f"{describe(hz)}\n1. 核查通过，销号\n2. 退回（需写原因）\n3. 返回")

    def resume(self, ctx: Context, state: dict[str, Any], msg: Incoming) -> Step:
        text = msg.text.strip() if msg.kind == TEXT else ""
        hz = ctx.session.get(Hazard, state["hazard"])
        if hz is None or text in ("3", "返回", "取消"):
            return Step.done("好的。")
        if state["step"] == "decide":
            if text == "1":
                return self._apply(ctx, hz, "销号", "核查通过")
            if text == "2":
                return Step.stay({**state, "step": "reason"}, "请写退回的原因（企业会看到）。")
            return Step.stay(state, "请回复 1 销号，2 退回，或 3 返回。")
        if not text:
            return Step.stay(state, "请用文字写退回的原因。")
        return self._apply(ctx, hz, "退回", text)

    def _apply(self, ctx: Context, hz: Hazard, action: str, note: str) -> Step:
        try:
            transition(ctx.session, hz, action, person=ctx.person, now=ctx.now, note=note[:1000])
        except LedgerError as exc:
            return Step.done(str(exc))
        if action == "销号":
            told = notify_department(ctx, hz, "整改完成")
            return Step.done(f"{hz.number} 已销号。" + (f"已按“双报告”告知监管部门（{told} 人）。" if told else ""))
        ent_people = ctx.session.scalars(select(Person).where(Person.enterprise_id == hz.enterprise_id)).all()
        for person in ent_people:
            enqueue(ctx.session, channel=person.channel, recipient=person.external_id, now=ctx.services.clock(),
                    text=f"{hz.number} 的整改被退回：{note}\n请继续整改后发送「整改进展」。")
        return Step.done(f"{hz.number} 已退回整改中，企业会收到原因。")


# -- 挂牌督办 -----------------------------------------------------------------------------------------

def supervise(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    """挂牌督办 YH-… 县级|市级 文件名称及文号"""
    assert ctx.person is not None
    number = hazard_number_in(msg.text)
    level = "市级" if "市级" in msg.text else ("县级" if "县级" in msg.text else None)
    if number is None or level is None:
        return Step.done("用法：挂牌督办 YH-202606-0001 县级 文件名称及文号（市级督办写“市级”）")
    hz = ctx.session.scalars(select(Hazard).where(Hazard.number == number)).one_or_none()
    if hz is None or not (ctx.person.role == "admin" or ctx.person.unit_id in (hz.town_id, hz.department_id)):
        return Step.done(f"没有找到您单位负责的隐患 {number}。")
    if hz.level != "重大" or hz.status not in OPEN_STATES:
        return Step.done(f"只有未销号的重大隐患可以挂牌督办；{number} 是{hz.level}隐患，{hz.status}。")
    doc = msg.text.split(level, 1)[1].strip(" ：:，,")
    if not doc:
        return Step.done("请写上督办文件名称及文号，例如：县安委办〔2026〕12号。")
    days = ctx.services.config.ledger.city_listing_days if level == "市级" else ctx.services.config.ledger.county_listing_days
    hz.supervision_level, hz.supervision_doc, hz.listed_at = level, doc[:200], ctx.now
    hz.progress_due = (ctx.today + timedelta(days=days)).isoformat()
    transition(ctx.session, hz, "挂牌督办", person=ctx.person, now=ctx.now, note=f"{level} {doc}")
    return Step.done(f"{hz.number} 已{level}挂牌督办，{hz.progress_due} 前须有实质性进展（{days} 天）。")
