"""The monthly dispatch table (调度表), in the three official layouts, filled in from the records and from what
staff entered.

The layouts are data: sections of numbered indicators as the forms print them — district (000 附件1: towns
report everything, departments only the spot-check and enforcement sections, its 注1), county (002 附件3) and
city department (002 附件4). An indicator has one or two parts (行政处罚 is a count and an amount in 万元;
"其中" figures are a second part). Each part is
- computed from our tables (`measure`), cumulative since the campaign began (注1 of every form);
- computed but adjustable (`adjustable`): the records show part of it (spot checks recorded as 部门检查
  hazards, findings the self-check answers show, cases staff recorded in chat), so the records' figure stands
  unless staff entered the real one for the month;
- or entered by staff per unit and month (storage.dispatch_entries), cumulative as the form asks.
Parts share keys across layouts where they mean the same thing, so a unit's entries survive a change of layout.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, distinct, func, select
from sqlalchemy.orm import Session

from .config import Config
from .domain import CLOSED, DRAFT, FIXED_AT_ONCE, MAJOR, cn_day
from .models import DispatchEntry, Enterprise, Hazard, Tip, Unit, WorkRecord
from .periods import Period, local_range, period_of
from .scope import Scope

RECTIFIED = (CLOSED, FIXED_AT_ONCE)  # verified by staff, or fixed on the spot
COUNT, WAN, YESNO = "count", "wan", "yesno"
LAYOUTS = ("district", "county", "department")


@dataclass(frozen=True)
class Part:
    key: str  # what an entry is stored under; the same meaning has the same key in every layout
    kind: str = COUNT  # count | wan (万元) | yesno
    measure: str | None = None  # a key of MEASURES: computed from the records
    adjustable: bool = False  # computed, but staff may enter the real figure for the month
    prefix: str = ""  # how a second part reads: "其中 "

    @property
    def entered(self) -> bool:
        """Staff can enter it: parts the records cannot compute, and adjustable ones."""
        return self.measure is None or self.adjustable


@dataclass(frozen=True)
class Indicator:
    number: int
    label: str
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Section:
    title: str
    indicators: tuple[Indicator, ...]
    towns_only: bool = False  # 000 注1: departments report the other sections only


@dataclass(frozen=True)
class Layout:
    name: str
    source: str  # which attachment of which plan
    title: str  # {region} is the jurisdiction (全区, 全县)
    unit_label: str  # 单位 / 填报单位 / 填报单位（部门）
    sections: tuple[Section, ...]
    notes: tuple[str, ...]  # {day}: the report day; {office}: who receives it; {local}: 区/县/市; {start}: 5月份
    previous_month: bool  # 002: "每月23日上报前一个月的情况信息"; 000: the month of the report


def _one(key: str, kind: str = COUNT, measure: str | None = None, adjustable: bool = False) -> tuple[Part, ...]:
    return (Part(key, kind, measure, adjustable),)


def _with(key: str, kind: str, other: str, other_kind: str, measure: str | None = None,
          adjustable: bool = False, other_measure: str | None = None, of_which: bool = False) -> tuple[Part, ...]:
    """A figure and its amount (行政处罚（次，万元）) or its "其中" (of_which: 公布典型执法案例（个），其中危险作业罪案例（个）)."""
    prefix = "其中 " if of_which else ""
    return (Part(key, kind, measure, adjustable),
            Part(other, other_kind, other_measure, adjustable and other_measure is not None, prefix))


def _i(number: int, label: str, parts: tuple[Part, ...]) -> Indicator:
    return Indicator(number, label, parts)


# Shared by every layout: major hazards by who found them (注: 已完成整改 = verified closed or fixed on the spot).
_HAZARD_TOTALS = (
    ("企业自查发现的重大事故隐患（个）", "total.selfcheck_found", "selfcheck_found"),
    ("企业自查发现重大事故隐患中已完成整改的（个）", "total.selfcheck_rectified", "selfcheck_rectified"),
    ("部门检查发现的重大事故隐患（个）", "total.inspection_found", "inspection_found"),
    ("部门检查发现重大事故隐患中已完成整改的（个）", "total.inspection_rectified", "inspection_rectified"),
    ("政府挂牌督办的重大事故隐患（个）", "total.listed_found", "listed_found"),
    ("挂牌督办重大事故隐患中已完成整改的（个）", "total.listed_rectified", "listed_rectified"),
)
# What spot checks found, as the records show it: 部门检查 hazards and the self-check answers (campaign.toml's
# items, named in SPOT_CHECK_ITEMS) — adjustable, since a spot check that found nothing leaves no record.
_SPOT_FINDINGS = (
    ("企业主要负责人未按要求亲自研究排查整治工作（家）", "spot.head_no_study"),
    ("企业主要负责人未带队检查（家）", "spot.head_no_lead"),
    ("企业未制定分管负责人职责清单（家）", "spot.no_deputy_list"),
    ("企业未依法建立安全管理机构和配足安全管理人员（家）", "spot.no_safety_staff"),
    ("电焊等特种作业岗位人员无证上岗作业（家）", "spot.uncertified"),
    ("外包外租安全管理混乱（家）", "spot.outsourcing"),
    ("未按规定开展应急演练、员工不熟悉逃生出口（家）", "spot.no_drill"),
)
SPOT_CHECK_ITEMS: dict[str, tuple[str, ...]] = {
    "spot.head_no_study": ("c_standard_study",),
    "spot.head_no_lead": ("c_lead_check",),
    "spot.no_deputy_list": ("c_deputy_duties",),
    "spot.no_safety_staff": ("c_safety_staff",),
    "spot.uncertified": ("c_special_cert",),
    "spot.outsourcing": ("c_outsource_qualified", "c_outsource_agreement", "c_outsource_managed"),
    "spot.no_drill": ("c_drill", "c_exits"),
}


def _spot_section(title: str, *, with_total: bool, cert_label: str | None = None) -> Section:
    indicators = [_i(1, "部门抽查检查的企业总数（家）", _one("spot.checked", measure="spot_checked", adjustable=True))
                  ] if with_total else []
    for label, key in _SPOT_FINDINGS:
        if key == "spot.uncertified" and cert_label:
            label = cert_label
        indicators.append(_i(len(indicators) + 1, label, _one(key, measure=key, adjustable=True)))
    return Section(title, tuple(indicators))


def _enforcement(first: str, extra: tuple[tuple[str, tuple[Part, ...]], ...] = ()) -> tuple[Indicator, ...]:
    rows: list[tuple[str, tuple[Part, ...]]] = [
        (first, _one("help.key_areas")),
        ("帮扶指导重点企业（家次）", _one("help.key_enterprises")),
        ("行政处罚（次，万元）", _with("enf.penalties", COUNT, "enf.penalty_wan", WAN)),
        ("企业和企业主要负责人“一案双罚”（次）", _one("enf.double_penalty")),
        ("移送司法机关（人）", _one("enf.referred")),
        ("责令停产整顿（家）", _one("enf.shutdowns")),
        ("曝光、约谈、联合惩戒企业（家）", _one("enf.exposed")),
        ("公布典型执法案例（个），其中危险作业罪案例（个）",
         _with("enf.cases", COUNT, "enf.cases_crime", COUNT, measure="enforcement_cases", adjustable=True, of_which=True)),
        ("责任倒查追责问责（人）", _one("enf.accountability")),
        ("约谈通报有关地区及部门（次）", _one("enf.talks")),
        *extra,
    ]
    return tuple(_i(n, label, parts) for n, (label, parts) in enumerate(rows, 1))


def _leadership(level: str, each: str) -> tuple[Indicator, ...]:
    """党委政府 section; `level` 乡镇/县级, `each` 分别 (the district form's word) or ""."""
    local = "乡镇" if level == "乡镇" else "县"
    rows: list[tuple[str, tuple[Part, ...]]] = [
        (f"{level}党委政府{each}组织专题学习安全生产十五条硬措施（次）", _one("gov.study")),
        (f"{level}党委政府主要负责同志{each}专题研究（次）", _one("gov.research")),
        (f"{level}政府负责同志{each}现场督导检查（次）",
         _one("gov.supervisions", measure="leader_supervisions", adjustable=True)),
        (f"{local}安委会成员单位负责同志{each}到企业宣讲（次）", _one("gov.briefings")),
        ("举报奖励（万元），其中匿名举报查实奖励（万元）",
         _with("gov.rewards_wan", WAN, "gov.rewards_anonymous_wan", WAN, measure="tip_rewards",
               other_measure="tip_rewards", of_which=True)),
        ("是否在主流媒体设置安全生产专题栏目" if level == "乡镇" else "是否在县级主流媒体开设安全生产专题栏目",
         _one("gov.media_column", YESNO)),
        (f"{level}配备专兼职技术检查员数量（人）", _one("gov.inspectors")),
        ("组织开展考核巡查督导检查（次）", _one("gov.inspections")),
    ]
    return tuple(_i(n, label, parts) for n, (label, parts) in enumerate(rows, 1))


_NOTE_SPOT = ("调度表内容应围绕专项排查整治工作并对照方案具体要求如实填报，特别是对企业自查情况进行抽查检查时，要深挖细查，"
              "查出真问题。如：电焊等人员无证上岗作业，既要通过现场检查发现问题，也要通过对企业动火等特种作业存单进行检查核实"
              "来发现问题；外包外租管理混乱，是指符合以下情形之一的：承包承租方不具备安全生产条件、未取得相应资质，双方未签订"
              "安全生产协议，安全生产管理职责不清，未纳入本企业统一管理。")
_NOTE_HELP = "重点企业帮扶指导：指非执法检查性质的对重点企业安全生产技术或管理层面进行提升改进。"

DISTRICT = Layout(
    "district", "000 附件1", "{region}重大事故隐患专项排查整治进展情况调度表", "单位",
    (
        Section("总体情况", tuple(_i(n, label, _one(key, measure=m)) for n, (label, key, m) in enumerate(_HAZARD_TOTALS, 1)),
                towns_only=True),
        _spot_section("对企业自查自改进行抽查检查情况", with_total=True),
        Section("部门精准严格执法情况", _enforcement("帮扶指导重点县（个次）")),
        Section("党委政府组织领导情况", _leadership("乡镇", "分别"), towns_only=True),
    ),
    ("调度表于每月{day}日前报送{office}，遇节假日顺延；统计专项整治开展以来的累计数据；各镇各项内容均需上报，"
     "{local}负有安全监管职责的部门仅上报本级对企业自查自改进行抽查检查情况、部门精准严格执法情况等两项内容。",
     _NOTE_SPOT, _NOTE_HELP),
    previous_month=False,
)

COUNTY = Layout(
    "county", "002 附件3", "{region}重大事故隐患专项排查整治进展情况调度表", "填报单位",
    (
        Section("总体情况", (
            _i(1, "辖区企业/建设项目数量（家）", _one("total.enterprises", measure="enterprises")),
            _i(2, "抽查企业/建设项目数量（家）", _one("total.spot_checked", measure="spot_checked", adjustable=True)),
            *(_i(n, label.replace("整改", "整治"), _one(key, measure=m))
              for n, (label, key, m) in enumerate(_HAZARD_TOTALS, 3)),
        )),
        _spot_section("对企业自查自改进行抽查检查情况", with_total=True, cert_label="电焊等人员无证上岗作业（家）"),
        Section("部门帮扶和精准执法情况", _enforcement("重点地区帮扶指导（个次）")),
        Section("党委政府组织推动情况", _leadership("县级", "")),
    ),
    ("此表为各县（市、区）填报，{start}每月{day}日上报前一个月的情况信息，相关数据为累计数。", _NOTE_SPOT, _NOTE_HELP),
    previous_month=True,
)

DEPARTMENT = Layout(
    "department", "002 附件4", "{region}重大事故隐患专项排查整治进展情况调度表", "填报单位（部门）",
    (
        Section("总体情况", (
            _i(1, "行业领域企业/建设项目数量（家）", _one("total.enterprises", measure="enterprises")),
            _i(2, "部门抽查检查的企业总数（家）", _one("spot.checked", measure="spot_checked", adjustable=True)),
            _i(3, "部门排查发现的重大隐患（个）", _one("total.inspection_found", measure="inspection_found")),
            _i(4, "部门排查发现的重大隐患中已完成整治的（个）",
               _one("total.inspection_rectified", measure="inspection_rectified")),
            _i(5, "本领域市级政府挂牌督办重大事故隐患（个）", _one("total.city_listed_found", measure="city_listed_found")),
            _i(6, "挂牌督办重大事故隐患中已完成整改的（个）",
               _one("total.city_listed_rectified", measure="city_listed_rectified")),
        )),
        _spot_section("抽查检查的企业情况", with_total=False, cert_label="电焊等人员无证上岗作业（家）"),
        Section("监管或管理行业领域安全生产帮扶和精准执法情况", _enforcement("帮扶指导重点县（个次）", (
            ("市安委会成员单位负责同志到企业宣讲（次）", _one("gov.briefings")),
            ("执法人员专题培训（人次）", _one("enf.training")),
        ))),
    ),
    ("此表为各市直部门填报，除行业领域企业/建设项目数量外，其余均填报市本级相关工作数据，{start}每月{day}日上报前一个月的"
     "情况信息，相关数据为累计数。", _NOTE_SPOT, _NOTE_HELP),
    previous_month=True,
)

BY_NAME: dict[str, Layout] = {layout.name: layout for layout in (DISTRICT, COUNTY, DEPARTMENT)}


def layout_for(campaign_layout: str, unit: Unit | None) -> Layout:
    """campaign.layout names the deployment's forms: district (000: one form, departments two of its sections),
    county (002: towns and the whole jurisdiction on 附件3, departments on 附件4) or department (附件4 only)."""
    if campaign_layout == "county" and unit is not None and unit.kind == "department":
        return DEPARTMENT
    return BY_NAME[campaign_layout]


def sections_for(layout: Layout, unit: Unit | None) -> tuple[Section, ...]:
    department = unit is not None and unit.kind == "department"
    return tuple(s for s in layout.sections if not (department and s.towns_only))


def entered_parts(layout: Layout, unit: Unit | None) -> list[tuple[Indicator, Part]]:
    """What staff of `unit` fill in on this layout, in the form's order, each key once."""
    out: list[tuple[Indicator, Part]] = []
    seen: set[str] = set()
    for section in sections_for(layout, unit):
        for ind in section.indicators:
            for part in ind.parts:
                if part.entered and part.key not in seen:
                    seen.add(part.key)
                    out.append((ind, part))
    return out


def report_month(layout: Layout, today: date) -> Period:
    """The month a report made today is about: this month (000) or the one before (002)."""
    if layout.previous_month:
        return period_of("month", date(today.year, today.month, 1) - date.resolution)
    return period_of("month", today)


def notes(layout: Layout, *, region: str, report_day: int, start: date | None) -> tuple[str, ...]:
    """The form's own notes, with the reporting day as the documents write it ("每月16日前", "每月23日上报")."""
    local = region[-1] if region else "区"
    since = f"从{start.month}月份开始上报，" if start else ""
    return tuple(n.format(day=report_day, office=f"{local}安委办", local=local, start=since) for n in layout.notes)


# -- values ----------------------------------------------------------------------------------------

RECORDS, ENTERED, MISSING = "records", "entered", "missing"


@dataclass(frozen=True)
class PartValue:
    part: Part
    value: float | None  # None: nobody entered it yet
    origin: str  # records | entered | missing
    computed: float | None = None  # the records' figure of an adjustable part, even when staff corrected it

    def text(self) -> str:
        return self.part.prefix + ("" if self.value is None else number_text(self.part.kind, self.value))


@dataclass(frozen=True)
class Cell:
    number: int
    label: str
    parts: tuple[PartValue, ...]

    @property
    def filled(self) -> bool:
        return all(p.value is not None for p in self.parts)

    @property
    def value(self) -> str | None:
        """The cell as one line of text ("3，1.5", "0.35，其中 0.35"); None while any part is still to fill in."""
        return "，".join(p.text() for p in self.parts) if self.filled else None


@dataclass(frozen=True)
class DispatchTable:
    layout: Layout
    unit: str  # who reports: a town, a department, or 全部单位
    since: date | None  # the campaign's first day; None: every record
    month: Period  # the month the figures are for
    as_of: date  # records up to and including this day
    filled_on: date  # the 时间 of the form: the day it was made
    sections: tuple[tuple[str, tuple[Cell, ...]], ...]

    @property
    def cells(self) -> list[tuple[str, Cell]]:
        return [(title, c) for title, cells in self.sections for c in cells]

    @property
    def computed(self) -> list[tuple[str, Cell]]:
        return [(title, c) for title, c in self.cells if c.filled]

    @property
    def missing(self) -> int:
        """Parts nobody has entered yet."""
        return sum(1 for _, c in self.cells for p in c.parts if p.origin == MISSING)


def number_text(kind: str, value: float) -> str:
    """A figure the way the form is filled in: 3, 0.35, 2 — no trailing zeros; 是/否."""
    if kind == YESNO:
        return "是" if value else "否"
    if kind == COUNT:
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class _Range:
    session: Session
    scope: Scope
    since: date | None
    as_of: date
    tz: ZoneInfo

    def found(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [Hazard.status != DRAFT, self.scope.hazards(),
                               Hazard.found_at < local_range(self.as_of, self.as_of, self.tz)[1]]
        if self.since is not None:
            where.append(Hazard.found_at >= local_range(self.since, self.since, self.tz)[0])
        return where

    def days(self) -> tuple[str, str]:
        return (self.since.isoformat() if self.since else "0000-00-00"), self.as_of.isoformat()


def _major_hazards(r: _Range) -> dict[str, float]:
    """Major hazards found in the range, by who found them, listing and whether rectified (one query)."""
    listed = Hazard.supervision_level
    rows = r.session.execute(select(Hazard.source, listed, Hazard.status, func.count())
                             .where(Hazard.level == MAJOR, *r.found()).group_by(Hazard.source, listed, Hazard.status)
                             ).all()
    out: dict[str, float] = dict.fromkeys(
        (f"{p}_{w}" for p in ("selfcheck", "inspection", "listed", "city_listed") for w in ("found", "rectified")), 0)
    for source, level, status, n in rows:
        prefixes = [{"企业自查": "selfcheck", "部门检查": "inspection"}.get(source)]
        prefixes += (["listed"] if level else []) + (["city_listed"] if level == "市级" else [])
        for prefix in filter(None, prefixes):
            out[f"{prefix}_found"] += n
            if status in RECTIFIED:
                out[f"{prefix}_rectified"] += n
    return out


def _enterprises(r: _Range) -> dict[str, float]:
    return {"enterprises": r.session.scalar(select(func.count()).select_from(Enterprise)
                                            .where(r.scope.enterprises())) or 0}


def _spot_checks(r: _Range) -> dict[str, float]:
    """Enterprises departments inspected (a 部门检查 hazard found in the range), and enterprises whose records
    show each spot-check finding: a hazard of the mapped self-check item, from the answer or an inspection."""
    checked = r.session.scalar(select(func.count(distinct(Hazard.enterprise_id)))
                               .where(Hazard.source == "部门检查", *r.found())) or 0
    out: dict[str, float] = {"spot_checked": checked}
    items = {item: key for key, ids in SPOT_CHECK_ITEMS.items() for item in ids}
    rows = r.session.execute(select(Hazard.item_id, Hazard.enterprise_id)
                             .where(Hazard.item_id.in_(sorted(items)), *r.found()).distinct()).all()
    found: dict[str, set[int]] = {key: set() for key in SPOT_CHECK_ITEMS}
    for item, enterprise_id in rows:
        found[items[item]].add(enterprise_id)
    out.update({key: len(ids) for key, ids in found.items()})
    return out


def _work(kind: str) -> Callable[[_Range], dict[str, float]]:
    def count(r: _Range) -> dict[str, float]:
        first, last = r.days()
        query = select(func.count()).select_from(WorkRecord).where(
            WorkRecord.kind == kind, WorkRecord.day >= first, WorkRecord.day <= last)
        if not r.scope.everything:
            query = query.where(WorkRecord.unit_id == (r.scope.unit.id if r.scope.unit else -1))
        return {kind: r.session.scalar(query) or 0}
    return count


def _tip_rewards(r: _Range) -> dict[str, float]:
    """Every tip sent through the bot is anonymous, so both parts are the rewards paid for them (万元)."""
    first, last = r.days()
    query = select(func.coalesce(func.sum(Tip.reward_yuan), 0)).where(
        Tip.reward_yuan.is_not(None), Tip.decided_on >= first, Tip.decided_on <= last)
    if not r.scope.everything:
        query = query.where(Tip.unit_id == (r.scope.unit.id if r.scope.unit else -1))
    return {"tip_rewards": (r.session.scalar(query) or 0) / 10000}


# measure -> the query that computes it (and the others it computes in the same pass)
_PROVIDERS: tuple[tuple[frozenset[str], Callable[[_Range], dict[str, float]]], ...] = (
    (frozenset(f"{p}_{w}" for p in ("selfcheck", "inspection", "listed", "city_listed") for w in ("found", "rectified")),
     _major_hazards),
    (frozenset({"enterprises"}), _enterprises),
    (frozenset({"spot_checked", *SPOT_CHECK_ITEMS}), _spot_checks),
    (frozenset({"leader_supervisions"}), _work("leader_supervisions")),
    (frozenset({"enforcement_cases"}), _work("enforcement_cases")),
    (frozenset({"tip_rewards"}), _tip_rewards),
)
MEASURES = frozenset().union(*(names for names, _ in _PROVIDERS))


class _Measures:
    """Each query run once, when a part first asks for one of its figures."""

    def __init__(self, r: _Range) -> None:
        self.r = r
        self.values: dict[str, float] = {}

    def __getitem__(self, measure: str) -> float:
        if measure not in self.values:
            provider = next(p for names, p in _PROVIDERS if measure in names)
            self.values.update(provider(self.r))
        return self.values[measure]


def unit_entries(session: Session, scope: Scope, month: str) -> dict[str, float]:
    """What staff entered for the month: the unit's own, or for the whole jurisdiction the units' added up
    (a 是/否 part reads 是 when any unit said 是)."""
    query = select(DispatchEntry.key, DispatchEntry.value).where(DispatchEntry.month == month)
    if not scope.everything:
        query = query.where(DispatchEntry.unit_id == (scope.unit.id if scope.unit else -1))
    out: dict[str, float] = {}
    for key, value in session.execute(query):
        out[key] = out.get(key, 0) + value
    return out


def dispatch_table(session: Session, scope: Scope, *, layout: Layout, since: date | None, month: Period,
                   today: date, tz: ZoneInfo) -> DispatchTable:
    """The table for a unit (or everything) and a month: records up to the month's end or today, whichever is
    first, and the entries made for that month."""
    as_of = min(month.end, today)
    measures = _Measures(_Range(session, scope, since, as_of, tz))
    entries = unit_entries(session, scope, month.key)
    sections = []
    for section in sections_for(layout, scope.unit):
        cells = []
        for ind in section.indicators:
            values = []
            for part in ind.parts:
                computed = measures[part.measure] if part.measure is not None else None
                if part.key in entries and part.entered and not (scope.everything and part.measure is not None):
                    value = entries[part.key]
                    values.append(PartValue(part, min(value, 1) if part.kind == YESNO else value, ENTERED, computed))
                elif computed is not None:
                    values.append(PartValue(part, computed, RECORDS, computed))
                else:
                    values.append(PartValue(part, None, MISSING))
            cells.append(Cell(ind.number, ind.label, tuple(values)))
        sections.append((section.title, tuple(cells)))
    return DispatchTable(layout, scope.label, since, month, as_of, today, tuple(sections))


def title(layout: Layout, region: str) -> str:
    return layout.title.format(region=region)


def dated_notes(table: DispatchTable, *, region: str, report_day: int) -> list[str]:
    """The form's notes and one line saying what the system filled in."""
    since = cn_day(table.since) if table.since else "有记录以来"
    own = (f"本表按{since}至{cn_day(table.as_of)}的记录统计（{table.month.label}）；标“*”的数值由系统按记录统计，"
           "工作人员可在后台修正；")
    own += f"黄色单元格尚未填报（{table.missing} 项）。" if table.missing else "各项均已填报。"
    return [*notes(table.layout, region=region, report_day=report_day, start=table.since), own]


def table_for(session: Session, config: Config, scope: Scope, *, today: date, month: Period | None = None,
              layout: str | None = None) -> DispatchTable:
    """The table as the deployment reports it: its layout for the unit (or `layout`), from the campaign's
    first day, for `month` (default: the month a report made today is about)."""
    chosen = BY_NAME[layout] if layout else layout_for(config.campaign.layout, scope.unit)
    return dispatch_table(session, scope, layout=chosen, since=config.campaign.start_day,
                          month=month or report_month(chosen, today), today=today,
                          tz=ZoneInfo(config.campaign.timezone))


def form_title(config: Config, table: DispatchTable) -> str:
    return title(table.layout, config.campaign.region)


def form_notes(config: Config, table: DispatchTable) -> list[str]:
    return dated_notes(table, region=config.campaign.region, report_day=config.scheduler.report_day)
