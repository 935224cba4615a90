"""The monthly dispatch table (调度表, 附件1 of the district plan), filled in from the records.

The layout is data: four sections of numbered indicators, as the official form prints them. An indicator
with a measure is computed from our tables, cumulative since the campaign began (注1 of the form); one without
is work the records cannot see (penalties, study sessions, media columns …) and is left for staff to fill in.
Departments report only the spot-check and enforcement sections (注1).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .ledger import CLOSED, DRAFT, FIXED_AT_ONCE
from .models import Hazard, Tip, WorkRecord
from .periods import local_range
from .scope import Scope

RECTIFIED = (CLOSED, FIXED_AT_ONCE)  # verified by staff, or fixed on the spot


@dataclass(frozen=True)
class Indicator:
    number: int
    label: str
    measure: str | None = None  # a key of MEASURES; None: filled in by hand


@dataclass(frozen=True)
class Section:
    title: str
    indicators: tuple[Indicator, ...]
    towns_only: bool = False  # 注1: departments report the other sections only


SECTIONS: tuple[Section, ...] = (
    Section("总体情况", (
        Indicator(1, "企业自查发现的重大事故隐患（个）", "selfcheck_found"),
        Indicator(2, "企业自查发现重大事故隐患中已完成整改的（个）", "selfcheck_rectified"),
        Indicator(3, "部门检查发现的重大事故隐患（个）", "inspection_found"),
        Indicator(4, "部门检查发现重大事故隐患中已完成整改的（个）", "inspection_rectified"),
        Indicator(5, "政府挂牌督办的重大事故隐患（个）", "listed_found"),
        Indicator(6, "挂牌督办重大事故隐患中已完成整改的（个）", "listed_rectified"),
    ), towns_only=True),
    Section("对企业自查自改进行抽查检查情况", (
        Indicator(1, "部门抽查检查的企业总数（家）"),
        Indicator(2, "企业主要负责人未按要求亲自研究排查整治工作（家）"),
        Indicator(3, "企业主要负责人未带队检查（家）"),
        Indicator(4, "企业未制定分管负责人职责清单（家）"),
        Indicator(5, "企业未依法建立安全管理机构和配足安全管理人员（家）"),
        Indicator(6, "电焊等特种作业岗位人员无证上岗作业（家）"),
        Indicator(7, "外包外租安全管理混乱（家）"),
        Indicator(8, "未按规定开展应急演练、员工不熟悉逃生出口（家）"),
    )),
    Section("部门精准严格执法情况", (
        Indicator(1, "帮扶指导重点县（个次）"),
        Indicator(2, "帮扶指导重点企业（家次）"),
        Indicator(3, "行政处罚（次，万元）"),
        Indicator(4, "企业和企业主要负责人“一案双罚”（次）"),
        Indicator(5, "移送司法机关（人）"),
        Indicator(6, "责令停产整顿（家）"),
        Indicator(7, "曝光、约谈、联合惩戒企业（家）"),
        Indicator(8, "公布典型执法案例（个），其中危险作业罪案例（个）"),
        Indicator(9, "责任倒查追责问责（人）"),
        Indicator(10, "约谈通报有关地区及部门（次）"),
    )),
    Section("党委政府组织领导情况", (
        Indicator(1, "乡镇党委政府分别组织专题学习安全生产十五条硬措施（次）"),
        Indicator(2, "乡镇党委政府主要负责同志分别专题研究（次）"),
        Indicator(3, "乡镇政府负责同志分别现场督导检查（次）", "leader_supervisions"),
        Indicator(4, "乡镇安委会成员单位负责同志分别到企业宣讲（次）"),
        Indicator(5, "举报奖励（万元），其中匿名举报查实奖励（万元）", "tip_rewards"),
        Indicator(6, "是否在主流媒体设置安全生产专题栏目"),
        Indicator(7, "乡镇配备专兼职技术检查员数量（人）"),
        Indicator(8, "组织开展考核巡查督导检查（次）"),
    ), towns_only=True),
)

FORM_NOTES = (
    "调度表统计专项整治开展以来的累计数据；各镇各项内容均需上报，负有安全监管职责的部门仅上报本级对企业自查自改"
    "进行抽查检查情况、部门精准严格执法情况等两项内容。",
    "调度表内容应围绕专项排查整治工作并对照方案具体要求如实填报，特别是对企业自查情况进行抽查检查时，要深挖细查，查出真问题。",
    "重点企业帮扶指导：指非执法检查性质的对重点企业安全生产技术或管理层面进行提升改进。",
)


@dataclass(frozen=True)
class Cell:
    number: int
    label: str
    value: str | None  # None: to be filled in by hand


@dataclass(frozen=True)
class DispatchTable:
    unit: str  # who reports: a town, a department, or 全部单位
    since: date | None  # the campaign's first day; None: every record
    as_of: date  # figures up to and including this day
    sections: tuple[tuple[str, tuple[Cell, ...]], ...]

    @property
    def computed(self) -> list[tuple[str, Cell]]:
        return [(title, c) for title, cells in self.sections for c in cells if c.value is not None]

    @property
    def by_hand(self) -> int:
        return sum(1 for _, cells in self.sections for c in cells if c.value is None)


@dataclass(frozen=True)
class _Range:
    session: Session
    scope: Scope
    since: date | None
    as_of: date
    tz: ZoneInfo


def _major_hazards(r: _Range) -> dict[str, int]:
    """Major hazards found in the range, by who found them and whether they are rectified (one query)."""
    where = [Hazard.level == "重大", Hazard.status != DRAFT, r.scope.hazards(),
             Hazard.found_at < local_range(r.as_of, r.as_of, r.tz)[1]]
    if r.since is not None:
        where.append(Hazard.found_at >= local_range(r.since, r.since, r.tz)[0])
    listed = Hazard.supervision_level.is_not(None)
    rows = r.session.execute(select(Hazard.source, listed, Hazard.status, func.count())
                             .where(*where).group_by(Hazard.source, listed, Hazard.status)).all()
    out = dict.fromkeys(("selfcheck_found", "selfcheck_rectified", "inspection_found", "inspection_rectified",
                         "listed_found", "listed_rectified"), 0)
    for source, is_listed, status, n in rows:
        prefixes = [{"企业自查": "selfcheck", "部门检查": "inspection"}.get(source)] + (["listed"] if is_listed else [])
        for prefix in filter(None, prefixes):
            out[f"{prefix}_found"] += n
            if status in RECTIFIED:
                out[f"{prefix}_rectified"] += n
    return out


def _days(r: _Range) -> tuple[str, str]:
    return (r.since.isoformat() if r.since else "0000-00-00"), r.as_of.isoformat()


def _leader_supervisions(r: _Range) -> str:
    first, last = _days(r)
    query = select(func.count()).select_from(WorkRecord).where(
        WorkRecord.kind == "leader_supervisions", WorkRecord.day >= first, WorkRecord.day <= last)
    if not r.scope.everything:
        query = query.where(WorkRecord.unit_id == (r.scope.unit.id if r.scope.unit else -1))
    return str(r.session.scalar(query) or 0)


def _tip_rewards(r: _Range) -> str:
    """Every tip sent through the bot is anonymous, so both figures are the rewards paid for them."""
    first, last = _days(r)
    query = select(func.coalesce(func.sum(Tip.reward_yuan), 0)).where(
        Tip.reward_yuan.is_not(None), Tip.decided_on >= first, Tip.decided_on <= last)
    if not r.scope.everything:
        query = query.where(Tip.unit_id == (r.scope.unit.id if r.scope.unit else -1))
    wan = _wan(r.session.scalar(query) or 0)
    return f"{wan}，其中 {wan}"


def _wan(yuan: int) -> str:
    """Yuan as 万元 the way the form is filled in: 0.35, 2, 1.2 — no trailing zeros."""
    return f"{yuan / 10000:.4f}".rstrip("0").rstrip(".")


MEASURES: dict[str, Callable[[_Range], str]] = {
    "leader_supervisions": _leader_supervisions,
    "tip_rewards": _tip_rewards,
}


def dispatch_table(session: Session, scope: Scope, since: date | None, as_of: date, tz: ZoneInfo) -> DispatchTable:
    r = _Range(session, scope, since, as_of, tz)
    department = scope.unit is not None and scope.unit.kind == "department"
    hazards: dict[str, int] | None = None
    sections = []
    for section in SECTIONS:
        if department and section.towns_only:
            continue
        cells = []
        for ind in section.indicators:
            value = None
            if ind.measure in MEASURES:
                value = MEASURES[ind.measure](r)
            elif ind.measure is not None:
                hazards = hazards if hazards is not None else _major_hazards(r)
                value = str(hazards[ind.measure])
            cells.append(Cell(ind.number, ind.label, value))
        sections.append((section.title, tuple(cells)))
    return DispatchTable(scope.label, since, as_of, tuple(sections))
