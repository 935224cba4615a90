"""The hazard ledger in chat: report (上报隐患), progress (整改进展), verify and close (核查/销号), and
supervised listing (挂牌督办). The rules are storage's: registering (storage.hazards), the transitions and who
may make them (storage.ledger), scope (storage.scope). These flows ask and format."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from storage.domain import CLAIMED, ENTERPRISE_ROLES, MAJOR, OPEN_STATES, record_number_in
from storage.hazards import (
    FiveMeasures,
    FixedOnSpot,
    apply,
    describe,
    fill_five_measures,
    lacks_five_measures,
    register,
)
from storage.ledger import LedgerError, allowed_from, may
from storage.models import Enterprise, Hazard
from storage.scope import scope_of

from .backoffice import hazard_card
from .base import Context, Step
from .conversation import Option, ask, numbered, pick
from .forms.answers import says_nothing
from .forms.runtime import FormRunner
from .lookup import find_enterprise
from .messages import IMAGE, TEXT, Incoming
from .photos import kept, with_kept_photos


def hazard_number_in(text: str) -> str | None:
    found = record_number_in("YH", text)
    return found[0] if found else None


# What a progress report is called when it is only asked for ("整改进展", "更新整改进展 YH-…"): not its content.
_PROGRESS_LEAD = re.compile(r"^(?:更新|补充|汇报|报告|提交)?(?:一下)?(?:整改进展|整改进度|进展|进度)?[\s:：，,。]*")
_ASKING = re.compile(r"[?？]|怎么|如何|在哪|[吗么呢]$")


def progress_said(text: str) -> str:
    """What a message that starts a progress report already tells ("货已经全部挪走了", "YH-… 整改了一半"), without
    the number and the request's own words; "" for a bare request, a menu number or a few characters."""
    found = record_number_in("YH", text)
    rest = (text[:found[1].start()] + " " + text[found[1].end():]) if found else text
    rest = _PROGRESS_LEAD.sub("", rest.strip(), count=1).strip()
    if len(rest) < 4 or _ASKING.search(rest):
        return ""  # a question about progress ("整改进展怎么填") is no account of it
    return rest[:1000]


def five_measures(answers: dict[str, Any]) -> FixedOnSpot | FiveMeasures:
    """The follow-up answers of a report or a self-check finding, as the ledger takes them."""
    if answers.get("fix") == "now":
        return FixedOnSpot(answers.get("fix_note") or "", list(answers.get("fix_photos") or []))
    stopped = answers.get("stopped")
    return FiveMeasures(answers["responsible"], answers["measures"], float(answers["funds"]), answers["deadline"],
                        answers["plan"], None if stopped is None else stopped == "yes")


def registered_text(hz: Hazard, told: int, *, followup: bool = False) -> str:
    """What the person reads once a hazard is in the ledger. `followup`: one of several a self-check found,
    each already introduced with its level and wording, so the line is shorter."""
    verb = "已记录" if followup else "已登记"
    if hz.fixed_on_spot:
        lines = [f"{verb} {hz.number}：即查即改，已销号。"]
    elif followup:
        lines = [f"{verb} {hz.number}：限期 {hz.deadline} 前整改，责任人 {hz.responsible}。"]
    else:
        lines = [f"{verb} {hz.number}（{hz.level}隐患，{hz.source}）：限期 {hz.deadline} 前整改，责任人 {hz.responsible}。"]
    if hz.equipment_stopped is False:
        lines.append("⚠ 重大隐患未整改前请停用相关设备或区域。")
    if told:
        lines.append(f"已按“双报告”告知监管部门（{told} 人）。")
    if not hz.fixed_on_spot and not followup:
        lines.append("整改中可发送「整改进展」更新。")
    return "\n".join(lines)


def _state(state: dict[str, Any]) -> str:
    # "step" is how states were named before this version: a conversation saved then still resumes.
    return str(state.get("at") or state.get("step") or "")


# -- 上报隐患 -----------------------------------------------------------------------------------------

class HazardReportFlow:
    """States: enterprise (staff type a name) · choose (similar names) · form (the report itself)."""

    name = "hazard_report"

    def start(self, ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
        person = ctx.me()
        # "上报隐患 通道被货堵了": the description came with the request; it is not asked again.
        told = ctx.services.nlu.description_in(msg.text) if msg.kind == TEXT else ""
        if person.role in ENTERPRISE_ROLES and person.enterprise_id is not None:
            return self._begin(ctx, person.enterprise_id, told=told)
        return ask({"at": "enterprise", "told": told}, "哪家企业（项目）？请写企业名称，写一部分也可以。", kind="text")

    def resume(self, ctx: Context, state: dict[str, Any], msg: Incoming) -> Step:
        text = msg.text.strip() if msg.kind == TEXT else ""
        at = _state(state)
        if at == "enterprise":
            if not text:
                return ask(state, "请用文字写企业名称。", kind="text")
            return self._pick_enterprise(ctx, text, state)
        if at == "choose":
            options = [Option(str(i), name) for i, name in state["names"]]
            chosen = pick(options, text)
            if chosen is not None:
                return self._begin(ctx, int(chosen.value), told=state.get("told", ""))
            if text and not text.isdecimal():
                return self._pick_enterprise(ctx, text, state)
            return Step([f"请回复序号 1–{len(options)}，或重新输入企业名称。"], state, unmatched=True)
        runner = FormRunner(ctx.services.forms.form("hazard_report"), festivals=ctx.services.nlu.festivals)
        result = runner.handle(state["form"], msg, ctx.today)
        if result.outcome == "asking" and self._suggest(ctx, result.state, state["enterprise"]):
            result = runner.current_prompt(result.state)  # show the question again, now with its suggestion
        if result.outcome == "cancelled":
            return Step.done(*result.replies)
        if result.outcome == "paused":
            return Step.done("隐患上报不保存草稿，已放弃这次填写。需要时重新发送「上报隐患」。")
        if result.outcome != "submitted":
            return Step.stay({**state, "form": result.state}, *result.replies)
        return Step.done(self._record(ctx, state["enterprise"], result.answers))

    def _pick_enterprise(self, ctx: Context, text: str, state: dict[str, Any]) -> Step:
        found = find_enterprise(ctx, scope_of(ctx.me()), text)
        if found.chosen is not None:
            eid, name = found.chosen
            return self._begin(ctx, eid, f"企业：{name}" if name != text else "", told=state.get("told", ""))
        if not found.similar:
            return Step([f"您负责的企业里没有找到「{text}」。请核对名称后重新输入，或发送「取消」。"],
                        {**state, "at": state.get("at", "enterprise")}, unmatched=True)
        choices = [list(c) for c in found.similar]
        options = [Option(str(eid), name) for eid, name in found.similar]
        return ask({"at": "choose", "names": choices, "told": state.get("told", "")},
                   "找到几家相近的企业，请回复序号：\n" + numbered(options), before=state)

    def _begin(self, ctx: Context, enterprise_id: int, lead: str = "", told: str = "") -> Step:
        ent = ctx.session.get(Enterprise, enterprise_id)
        assert ent is not None
        intro = lead or f"为{ent.name}上报隐患。随时可以发送「上一题」「取消」「帮助」。"
        if told:
            intro += f"\n已记下隐患描述：{told}（提交前可以修改）"
        runner = FormRunner(ctx.services.forms.form("hazard_report"), festivals=ctx.services.nlu.festivals)
        result = runner.begin(intro, answers={"description": told} if told else None)
        if told and self._suggest(ctx, result.state, enterprise_id):
            result = runner.current_prompt(result.state, intro)  # the next question, with its suggestion
        return Step.stay({"at": "form", "enterprise": enterprise_id, "form": result.state}, *result.replies)

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
        person = ctx.me()
        source = "企业自查" if person.role in ENTERPRISE_ROLES else "部门检查"
        answers = with_kept_photos(ctx, answers, "photos", "fix_photos")
        hz = Hazard(enterprise_id=enterprise_id, level=answers["level"], source=source, status="草稿",
                    description=answers["description"], photos=answers.get("photos") or [],
                    found_by=person.id, found_at=ctx.now, industry=answers["industry"])
        done = register(ctx.session, hz, five_measures(answers), by=person, now=ctx.now,
                        ledger=ctx.services.config.ledger)
        return registered_text(hz, done.reported_to)


# -- 整改进展 -----------------------------------------------------------------------------------------

PROGRESS_ACTIONS = [Option("整改进展", "补充整改进展", ("补充进展", "进展", "补充")),
                    Option("申请销号", "已整改完成，申请核查销号", ("已整改", "整改完成", "已整改完成", "申请销号", "销号",
                                                          "完成了", "改好了"))]
# Offered first for a hazard registered without its 五落实 (from a verified tip, or left for later).
FIVE_MEASURES = Option("五落实", "填写五落实（责任人、措施、资金、期限、预案）", ("五落实", "填写五落实", "填五落实"))


def _actions(hz: Hazard) -> list[Option]:
    return [FIVE_MEASURES, *PROGRESS_ACTIONS] if lacks_five_measures(hz) else PROGRESS_ACTIONS


class ProgressFlow:
    """An enterprise (or staff for it) picks an open hazard and adds progress or claims it rectified, or
    gives the 五落实 it still owes. States: pick (which hazard) · what (which of those) · note (the text,
    after any photos) · five (the 五落实, form hazard_followup)."""

    name = "hazard_progress"

    def start(self, ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
        person = ctx.me()
        number = hazard_number_in(msg.text)
        # "货已经全部挪走了 通道通了": the progress came with the request; it is kept, not asked for again.
        said = progress_said(msg.text) if msg.kind == TEXT else ""
        if number:
            hz = ctx.session.scalars(select(Hazard).where(Hazard.number == number)).one_or_none()
            if hz is None or not may(person, hz, "整改进展"):
                return Step.done(f"没有找到您可以更新的隐患 {number}。")
            return self._chosen(hz, None, said)
        query = (select(Hazard).where(Hazard.status.in_(sorted(allowed_from("整改进展"))))
                 .order_by(Hazard.deadline, Hazard.id))
        if person.role in ENTERPRISE_ROLES:
            query = query.where(Hazard.enterprise_id == person.enterprise_id)
        else:
            query = query.where(scope_of(person).hazards())
        hazards = ctx.session.scalars(query.limit(9)).all()
        if not hazards:
            return Step.done("没有待整改的隐患。")
        if len(hazards) == 1:
            return self._chosen(hazards[0], None, said)  # nothing to choose: it is named in the reply
        lines = "\n".join(f"{i}. {describe(h)}" + ("（待填五落实）" if lacks_five_measures(h) else "")
                          for i, h in enumerate(hazards, 1))
        return ask({"at": "pick", "ids": [h.id for h in hazards], "said": said},
                   "要更新哪一条？请回复序号：\n" + lines)

    def _chosen(self, hz: Hazard, before: dict[str, Any] | None, said: str = "") -> Step:
        heard = f"\n已记下您说的：{said}" if said else ""
        return ask({"at": "what", "hazard": hz.id, "said": said}, f"{describe(hz)}{heard}\n{numbered(_actions(hz))}",
                   before=before)

    def resume(self, ctx: Context, state: dict[str, Any], msg: Incoming) -> Step:
        text = msg.text.strip() if msg.kind == TEXT else ""
        at = _state(state)
        if at == "pick":
            ids = state["ids"]
            chosen = pick([Option(str(i), str(i)) for i in range(1, len(ids) + 1)], text)
            if chosen is None:
                return Step([f"请回复序号 1–{len(ids)}。"], state, unmatched=True)
            hz = ctx.session.get(Hazard, ids[int(chosen.value) - 1])
            return self._chosen(hz, state, state.get("said", "")) if hz else Step.done("这条隐患已不存在。")
        hz = ctx.session.get(Hazard, state["hazard"])
        if hz is None:
            return Step.done("这条隐患已不存在。")
        if at == "five":
            return self._on_five(ctx, hz, state, msg)
        if at == "what":
            actions = _actions(hz)
            action = pick(actions, text)
            if action is None:
                return Step([f"请回复序号 1–{len(actions)}。"], state, unmatched=True)
            if action is FIVE_MEASURES:
                result = FormRunner(ctx.services.forms.form("hazard_followup")).begin(
                    f"填写 {hz.number} 的五落实。", answers={"fix": "later", "deadline": hz.deadline} if hz.deadline
                    else {"fix": "later"}, context={"_level": hz.level})
                return Step.stay({"at": "five", "hazard": hz.id, "form": result.state}, *result.replies)
            if state.get("said"):
                return self._record(ctx, hz, action.value, state["said"], [])
            prompt = ("请写整改进展" if action.value == "整改进展" else "请写整改完成情况") + "，可以先发几张照片。"
            return ask({"at": "note", "hazard": hz.id, "action": action.value, "photos": []}, prompt, kind="text",
                       before=state)
        if msg.kind == IMAGE:
            photos = state["photos"] + kept(ctx, [{"media_id": msg.media_id, "pic_url": msg.pic_url}])
            return Step.stay({**state, "photos": photos}, f"已收到第 {len(photos)} 张照片，请再写一句文字说明。")
        if not text or says_nothing(text):
            return Step.stay(state, "请用文字写明情况（例如做了什么、还差什么），可以先发几张照片。")
        return self._record(ctx, hz, state["action"], text[:1000], state["photos"])

    def _record(self, ctx: Context, hz: Hazard, action: str, note: str, photos: list[Any]) -> Step:
        try:
            apply(ctx.session, hz, action, by=ctx.me(), now=ctx.now, ledger=ctx.services.config.ledger,
                  note=note, photos=photos)
        except LedgerError as exc:
            return Step.done(str(exc))
        if action == "申请销号":
            return Step.done(f"{hz.number} 已申请核查销号，等待镇街或部门工作人员核查。")
        return Step.done(f"已记录 {hz.number} 的整改进展。")

    def _on_five(self, ctx: Context, hz: Hazard, state: dict[str, Any], msg: Incoming) -> Step:
        result = FormRunner(ctx.services.forms.form("hazard_followup"),
                            festivals=ctx.services.nlu.festivals).handle(state["form"], msg, ctx.today)
        if result.outcome in ("cancelled", "paused"):
            return Step.done(f"已取消，{hz.number} 的五落实还没有填写。需要时发送「整改进展」。")
        if result.outcome != "submitted":
            return Step.stay({**state, "form": result.state}, *result.replies)
        fix = five_measures(result.answers)
        assert isinstance(fix, FiveMeasures)  # the form was begun with fix = later
        try:
            fill_five_measures(ctx.session, hz, fix, by=ctx.me(), now=ctx.now, ledger=ctx.services.config.ledger)
        except LedgerError as exc:
            return Step.done(str(exc))
        return Step.done(f"已记录 {hz.number} 的五落实：责任人 {hz.responsible}，期限 {hz.deadline}。"
                         "整改中可发送「整改进展」更新。")


# -- 核查销号 -----------------------------------------------------------------------------------------

VERIFY_ACTIONS = [Option("销号", "核查通过，销号", ("通过", "核查通过", "销号", "同意销号", "可以销号")),
                  Option("退回", "退回（需写原因）", ("退回", "不通过", "没通过", "驳回"))]


class VerifyFlow:
    """Staff of the responsible unit verify a claimed rectification: close it, or send it back with a reason.
    States: decide · reason."""

    name = "hazard_verify"

    def start(self, ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
        person = ctx.me()
        number = hazard_number_in(msg.text)
        if number is None:
            pending = ctx.session.scalars(select(Hazard).where(Hazard.status == CLAIMED, scope_of(person).hazards())
                                          .order_by(Hazard.updated_at).limit(9)).all()
            if not pending:
                return Step.done("没有等待核查的隐患。")
            lines = ["等待核查销号的隐患（发送「核查 编号」处理）："] + [f"· {describe(h)}" for h in pending]
            return Step.done("\n".join(lines))
        hz = ctx.session.scalars(select(Hazard).where(Hazard.number == number)).one_or_none()
        if hz is None or not may(person, hz, "销号"):
            return Step.done(f"没有找到您单位负责的隐患 {number}。")
        if hz.status != CLAIMED:
            return Step.done(f"{describe(hz)}\n当前不是「已整改待核查」，不能核查销号。")
        # The evidence before the question: staff must not approve blind.
        return ask({"at": "decide", "hazard": hz.id}, f"{hazard_card(ctx, hz, with_link=True)}\n{numbered(VERIFY_ACTIONS)}")

    def resume(self, ctx: Context, state: dict[str, Any], msg: Incoming) -> Step:
        text = msg.text.strip() if msg.kind == TEXT else ""
        hz = ctx.session.get(Hazard, state["hazard"])
        if hz is None:
            return Step.done("这条隐患已不存在。")
        if _state(state) == "decide":
            action = pick(VERIFY_ACTIONS, text)
            if action is None:
                return Step(["请回复 1 销号，或 2 退回。"], state, unmatched=True)
            if action.value == "销号":
                return self._apply(ctx, hz, "销号", "核查通过")
            return ask({"at": "reason", "hazard": hz.id}, "请写退回的原因（企业会看到）。", kind="text", before=state)
        if not text:
            return Step.stay(state, "请用文字写退回的原因。")
        return self._apply(ctx, hz, "退回", text)

    def _apply(self, ctx: Context, hz: Hazard, action: str, note: str) -> Step:
        try:
            told = apply(ctx.session, hz, action, by=ctx.me(), now=ctx.now, ledger=ctx.services.config.ledger,
                         note=note[:1000])
        except LedgerError as exc:
            return Step.done(str(exc))
        if action == "销号":
            return Step.done(f"{hz.number} 已销号。" + (f"已按“双报告”告知监管部门（{told} 人）。" if told else ""))
        return Step.done(f"{hz.number} 已退回整改中，企业会收到原因。")


# -- 挂牌督办 -----------------------------------------------------------------------------------------

def supervise(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    """挂牌督办 YH-… 县级|市级 文件名称及文号"""
    person = ctx.me()
    number = hazard_number_in(msg.text)
    level = "市级" if "市级" in msg.text else ("县级" if "县级" in msg.text else None)
    if number is None or level is None:
        return Step.done("用法：挂牌督办 YH-202606-0001 县级 文件名称及文号（市级督办写“市级”）")
    hz = ctx.session.scalars(select(Hazard).where(Hazard.number == number)).one_or_none()
    if hz is None or not may(person, hz, "挂牌督办"):
        return Step.done(f"没有找到您单位负责的隐患 {number}。")
    if hz.level != MAJOR or hz.status not in OPEN_STATES:
        return Step.done(f"只有未销号的重大隐患可以挂牌督办；{number} 是{hz.level}隐患，{hz.status}。")
    doc = msg.text.split(level, 1)[1].strip(" ：:，,")
    if not doc:
        return Step.done("请写上督办文件名称及文号，例如：县安委办〔2026〕12号。")
    ledger = ctx.services.config.ledger
    days = ledger.city_listing_days if level == "市级" else ledger.county_listing_days
    hz.supervision_level, hz.supervision_doc, hz.listed_at = level, doc[:200], ctx.now
    hz.progress_due = (ctx.today + timedelta(days=days)).isoformat()
    apply(ctx.session, hz, "挂牌督办", by=person, now=ctx.now, ledger=ledger, note=f"{level} {doc}")
    return Step.done(f"{hz.number} 已{level}挂牌督办，{hz.progress_due} 前须有实质性进展（{days} 天）。")
