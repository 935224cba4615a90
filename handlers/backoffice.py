"""Chat's side of the back office: the one-time login link ("登录后台"), one hazard by its number
("YH-202606-0001", "详情 YH-…"), and an enterprise's hazards by its name ("青山化工的隐患").

What a person may see is storage.scope's rule, the same one the pages apply: enterprise roles see their own
enterprise's hazards, staff their unit's, admins everything.
"""
from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import func, select

from storage.domain import ENTERPRISE_ROLES, OPEN_STATES
from storage.hazards import describe, lacks_five_measures
from storage.links import local_only_note, page_link
from storage.logins import LINK_TTL, issue_link_token
from storage.models import Enterprise, Hazard, HazardEvent, Person
from storage.scope import Scope, scope_of

from .base import Context, Step
from .messages import Incoming

# A whole message that is a hazard number, perhaps with 详情/查看 around it.
DETAIL_PATTERN = re.compile(r"^(?:详情|查看|查询|查|看)?\s*yh[-\s_]?\d{6}[-\s_]?\d{1,4}\s*(?:详情|的详情|情况)?[?？。]*$",
                            re.IGNORECASE)
# "青山化工的隐患", "青山化工有哪些隐患": a name, then hazards. Words that are filters, not names, are left to the
# requests they mean (逾期隐患, 重大隐患 …).
ENTERPRISE_PATTERN = re.compile(
    r"^(?!(?:我|我们|本|全|所有|逾期|超期|重大|一般|挂牌|督办|待核查|未整改|已整改|本月|上月|今年|新|最近)[^\s]{0,2}的)"
    r"(?P<name>[^\s，,。?？]{2,40}?)(?:的|有哪些|有什么)(?:全部|所有)?(?:隐患|隐患台账|隐患清单|问题)(?:有哪些|列表|情况)?[?？。]*$")


def _number(text: str) -> str | None:
    m = re.search(r"yh[-\s_]?(\d{6})[-\s_]?(\d{1,4})", text, re.IGNORECASE)
    return f"YH-{m.group(1)}-{int(m.group(2)):04d}" if m else None


def _visible(ctx: Context, person: Person, hz: Hazard) -> bool:
    if person.role in ENTERPRISE_ROLES:
        return person.enterprise_id == hz.enterprise_id
    return scope_of(person).covers(hz.town_id, hz.department_id)


def photo_count(ctx: Context, hz: Hazard) -> int:
    events = ctx.session.scalars(select(HazardEvent.photos).where(HazardEvent.hazard_id == hz.id)).all()
    return len(hz.photos or []) + sum(len(p or []) for p in events)


def hazard_card(ctx: Context, hz: Hazard, *, with_link: bool) -> str:
    """One hazard as staff need it before deciding: the five essentials, the latest progress, the evidence."""
    lines = [describe(hz)]
    if hz.fixed_on_spot:
        lines.append("即查即改" + (f"：{hz.note}" if hz.note else ""))
    elif lacks_five_measures(hz):
        lines.append("五落实未填（企业还没有补充责任人、措施、资金、期限、预案）")
    else:
        funds = f"{hz.funds_wan:g} 万元" if hz.funds_wan is not None else "未填"
        lines.append(f"五落实：责任人 {hz.responsible or '未填'}；措施 {hz.measures or '未填'}；资金 {funds}；"
                     f"期限 {hz.deadline or '未填'}；预案 {hz.plan or '未填'}")
    if hz.equipment_stopped is not None:
        lines.append("设备/区域：" + ("已停用" if hz.equipment_stopped else "未停用"))
    last = ctx.session.scalars(select(HazardEvent).where(HazardEvent.hazard_id == hz.id,
                                                         HazardEvent.action.in_(("整改进展", "申请销号")))
                               .order_by(HazardEvent.at.desc(), HazardEvent.id.desc()).limit(1)).first()
    if last is not None:
        when = last.at.astimezone(ctx.services.tz)
        lines.append(f"最近进展（{when:%m-%d}）：{last.note or last.action}")
    else:
        lines.append("还没有整改进展。")
    lines.append(f"照片：{photo_count(ctx, hz)} 张")
    if with_link:
        server = ctx.services.config.server
        lines.append(f"网页查看照片和全部记录：{page_link(server, '/dashboard/hazards/' + (hz.number or ''))}"
                     + local_only_note(server))
    return "\n".join(lines)


def detail(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    """YH-… / 详情 YH-…"""
    person = ctx.me()
    number = _number(msg.text)
    if number is None:
        return Step.done("请发送完整的隐患编号，例如 YH-202606-0001。")
    hz = ctx.session.scalars(select(Hazard).where(Hazard.number == number)).one_or_none()
    if hz is None or not _visible(ctx, person, hz):
        return Step.done(f"没有找到您可以查看的隐患 {number}。")
    staff = person.role not in ENTERPRISE_ROLES
    more = ("核查销号：发送「核查 " + number + "」。") if staff and hz.status == "已整改待核查" else (
        "" if staff else "更新进展：发送「整改进展 " + number + "」。")
    return Step.done("\n".join(filter(None, [hazard_card(ctx, hz, with_link=staff), more])))


def enterprise_hazards(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    """青山化工的隐患: the open hazards of an enterprise the asker is responsible for, found by part of its name."""
    m = ENTERPRISE_PATTERN.match(msg.text.strip())
    name = m.group("name") if m else msg.text.strip()
    scope = scope_of(ctx.me())
    rows = ctx.session.execute(select(Enterprise.id, Enterprise.name).where(scope.enterprises())).all()
    names = {n: eid for eid, n in rows}
    hits = [n for n in names if name in n]
    if not hits:
        hits = [h[0] for h in process.extract(name, list(names), scorer=fuzz.partial_ratio, score_cutoff=80, limit=5)]
    if not hits:
        return Step.done(f"您负责的企业里没有名称含「{name}」的。请核对名称，或发送「逾期隐患」「未自查企业」查看列表。")
    if len(hits) > 1 and name not in names:
        listed = "\n".join(f"· {n}" for n in sorted(hits)[:8])
        return Step.done(f"有几家企业名称含「{name}」，请写得更完整一些：\n{listed}")
    chosen = name if name in names else hits[0]
    return Step.done(_enterprise_list(ctx, scope, names[chosen], chosen))


def _enterprise_list(ctx: Context, scope: Scope, enterprise_id: int, name: str) -> str:
    where = [Hazard.enterprise_id == enterprise_id, Hazard.status != "草稿", scope.hazards()]
    total = ctx.session.scalar(select(func.count()).select_from(Hazard).where(*where)) or 0
    open_ = ctx.session.scalars(select(Hazard).where(*where, Hazard.status.in_(OPEN_STATES))
                                .order_by(Hazard.deadline, Hazard.id).limit(8)).all()
    if total == 0:
        return f"{name}还没有登记隐患。"
    lines = [f"{name}：共 {total} 条隐患，未销号 {len(open_)}{'+' if len(open_) == 8 else ''} 条。"]
    lines += [f"· {describe(h)}" + ("（五落实未填）" if lacks_five_measures(h) else "") for h in open_]
    lines.append("发送隐患编号查看详情，例如「" + (open_[0].number or "" if open_ else "YH-202606-0001") + "」。")
    server = ctx.services.config.server
    lines.append(f"全部记录：{page_link(server, '/dashboard/hazards?enterprise=' + name)}" + local_only_note(server))
    return "\n".join(lines)


def login_link(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    """登录后台: a link valid for 15 minutes, usable once. The reply is a secret: a retry gets a redacted copy."""
    token = issue_link_token(ctx.session, ctx.services.secret, ctx.me(), ctx.services.clock())
    server = ctx.services.config.server
    ctx.sensitive = True
    minutes = int(LINK_TTL.total_seconds() // 60)
    return Step.done(
        f"后台登录链接（{minutes} 分钟内有效，只能使用一次，请勿转发）：\n"
        f"{page_link(server, '/dashboard/login/' + token)}\n"
        "在电脑或手机浏览器中打开；不操作 8 小时后自动退出。" + local_only_note(server))
