"""The monthly dispatch table (调度表) filled in: each part of its layout (storage.dispatch_layouts) from the
records, cumulative since the campaign began, or from what staff entered for the month (storage.dispatch_entries).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, distinct, func, select
from sqlalchemy.orm import Session

from .config import Config
from .dispatch_layouts import (
    BY_NAME,
    COUNT,
    SPOT_CHECK_ITEMS,
    YESNO,
    Layout,
    Part,
    layout_for,
    notes,
    report_month,
    sections_for,
)
from .domain import CLOSED, DRAFT, FIXED_AT_ONCE, MAJOR, cn_day
from .models import DispatchEntry, Enterprise, Hazard, Tip, WorkRecord
from .periods import Period, local_range
from .scope import Scope

RECTIFIED = (CLOSED, FIXED_AT_ONCE)  # verified by staff, or fixed on the spot

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
