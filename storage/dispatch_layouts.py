"""The monthly dispatch table's (调度表) three official layouts, as data: sections of numbered indicators as the
forms print them — district (000 附件1: towns report everything, departments only the spot-check and enforcement
sections, its 注1), county (002 附件3) and city department (002 附件4). An indicator has one or two parts
(行政处罚 is a count and an amount in 万元; "其中" figures are a second part). Each part is
- computed from our tables (`measure`), cumulative since the campaign began (注1 of every form);
- computed but adjustable (`adjustable`): the records show part of it (spot checks recorded as 部门检查
  hazards, findings the self-check answers show, cases staff recorded in chat), so the records' figure stands
  unless staff entered the real one for the month;
- or entered by staff per unit and month (storage.dispatch_entries), cumulative as the form asks.
Parts share keys across layouts where they mean the same thing, so a unit's entries survive a change of layout.
The figures themselves are storage.dispatch's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .models import Unit
from .periods import Period, period_of

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
