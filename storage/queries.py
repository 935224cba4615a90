"""The staff's questions as queries: scope, quota progress, overdue hazards, enterprises yet to self-check,
and the month's figures. Every query is limited to the asking person's scope."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, false, func, select, text, true
from sqlalchemy.orm import Session

from .ledger import CLOSED, DRAFT, FIXED_AT_ONCE, OPEN_STATES

# Written exactly as the partial index's predicate (ix_hazards_open_deadline), with the values as literals,
# so the planner can prove the index applies even for a prepared statement.
IS_OPEN = text("hazards.status IN ('待整改', '整改中', '已整改待核查')")
IS_LISTED = text("hazards.supervision_level IS NOT NULL")
from .models import Enterprise, Hazard, Person, SelfCheckRun, Unit, WorkRecord


@dataclass(frozen=True)
class Scope:
    """Which enterprises a person may see: a town's, a department's, all (admin), or none."""

    unit: Unit | None
    everything: bool = False

    @property
    def label(self) -> str:
        return "全部单位" if self.everything else (self.unit.name if self.unit else "")

    def hazards(self) -> ColumnElement[bool]:
        """The same scope on the hazard's own copy of its enterprise's units."""
        if self.everything:
            return true()
        if self.unit is None:
            return false()
        column = Hazard.town_id if self.unit.kind == "town" else Hazard.department_id
        return column == self.unit.id

    def enterprises(self) -> ColumnElement[bool]:
        """A town sees its enterprises; a department those it supervises (the import assigns a department
        from the industries it leads when the registry leaves it blank; otherwise the town answers, 属地兜底)."""
        if self.everything:
            return true()
        if self.unit is None:
            return false()
        column = Enterprise.town_id if self.unit.kind == "town" else Enterprise.department_id
        return column == self.unit.id


def scope_of(person: Person) -> Scope:
    if person.role == "admin":
        return Scope(None, everything=True)
    if person.role == "staff" and person.unit is not None:
        return Scope(person.unit)
    return Scope(None)


def local_range(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in the campaign's zone, as aware datetimes for UTC columns."""
    return (datetime.combine(start, time(), tz), datetime.combine(end + timedelta(days=1), time(), tz))


# -- quotas -------------------------------------------------------------------------------------

def count_for(session: Session, unit: Unit, counts: str, start: date, end: date, tz: ZoneInfo) -> int:
    """How many of `counts` a unit has in [start, end] (Asia/Shanghai days).

    major_hazards: a town counts every 重大 hazard of its enterprises by the day it was found; a department
    counts the 重大 hazards its own inspections (部门检查) found in the enterprises it supervises.
    Everything else is what staff recorded as work records."""
    if counts == "major_hazards":
        lo, hi = local_range(start, end, tz)
        query = (select(func.count()).select_from(Hazard)
                 .where(Hazard.level == "重大", Hazard.status != DRAFT, Hazard.found_at >= lo, Hazard.found_at < hi,
                        Scope(unit).hazards()))
        if unit.kind == "department":
            query = query.where(Hazard.source == "部门检查")
        return session.scalar(query) or 0
    return session.scalar(
        select(func.count()).select_from(WorkRecord).where(
            WorkRecord.unit_id == unit.id, WorkRecord.kind == counts,
            WorkRecord.day >= start.isoformat(), WorkRecord.day <= end.isoformat())) or 0


# -- lists ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OverdueRow:
    number: str
    enterprise: str
    description: str
    level: str
    deadline: str
    days_overdue: int


def overdue_hazards(session: Session, scope: Scope, today: date, offset: int, limit: int) -> tuple[list[OverdueRow], int]:
    where = and_(IS_OPEN, Hazard.deadline < today.isoformat(), scope.hazards())
    total = session.scalar(select(func.count()).select_from(Hazard).where(where)) or 0
    rows = session.execute(
        select(Hazard.number, Enterprise.name, Hazard.description, Hazard.level, Hazard.deadline)
        .join(Enterprise).where(where).order_by(Hazard.deadline, Hazard.id).offset(offset).limit(limit)).all()
    return [OverdueRow(n or "", e, d, lv, dl, (today - date.fromisoformat(dl)).days) for n, e, d, lv, dl in rows], total


@dataclass(frozen=True)
class ListedRow:
    number: str
    enterprise: str
    description: str
    supervision_level: str
    progress_due: str
    days_left: int


def listed_hazards(session: Session, scope: Scope, today: date, offset: int, limit: int) -> tuple[list[ListedRow], int]:
    where = and_(IS_LISTED, IS_OPEN, scope.hazards())
    total = session.scalar(select(func.count()).select_from(Hazard).where(where)) or 0
    rows = session.execute(
        select(Hazard.number, Enterprise.name, Hazard.description, Hazard.supervision_level, Hazard.progress_due)
        .join(Enterprise).where(where).order_by(Hazard.progress_due, Hazard.id).offset(offset).limit(limit)).all()
    return [ListedRow(n or "", e, d, lv, due or "", (date.fromisoformat(due) - today).days if due else 0)
            for n, e, d, lv, due in rows], total


@dataclass(frozen=True)
class UncheckedRow:
    enterprise: str
    town: str
    high_risk: bool
    period: str


def unchecked_enterprises(session: Session, scope: Scope, month_key: str, quarter_key: str, offset: int,
                          limit: int, high_risk_period: str = "month") -> tuple[list[UncheckedRow], int]:
    """Enterprises with no submitted self-check for their current period (高危 monthly, others quarterly)."""
    high_key = month_key if high_risk_period == "month" else quarter_key
    period = case((Enterprise.risk_tier == "high", high_key), else_=quarter_key)
    submitted = (select(SelfCheckRun.id)
                 .where(SelfCheckRun.enterprise_id == Enterprise.id, SelfCheckRun.period == period,
                        SelfCheckRun.period.in_(sorted({high_key, quarter_key})),
                        SelfCheckRun.status == "submitted").exists())
    where = and_(scope.enterprises(), ~submitted)
    total = session.scalar(select(func.count()).select_from(Enterprise).where(where)) or 0
    rows = session.execute(
        select(Enterprise.name, Unit.name, Enterprise.risk_tier, period)
        .join(Unit, Enterprise.town_id == Unit.id).where(where)
        .order_by((Enterprise.risk_tier == "high").desc(), Enterprise.name, Enterprise.id)
        .offset(offset).limit(limit)).all()
    return [UncheckedRow(n, t, tier == "high", p) for n, t, tier, p in rows], total


# -- statistics -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    found: dict[str, int]  # by level
    by_source: dict[str, int]
    rectified: dict[str, int]  # by level: 已销号 + 即查即改
    open: dict[str, int]  # by level


def figures(session: Session, scope: Scope, lo: datetime | None, hi: datetime | None) -> Figures:
    where: list[Any] = [Hazard.status != DRAFT, scope.hazards()]
    if lo is not None:
        where.append(Hazard.found_at >= lo)
    if hi is not None:
        where.append(Hazard.found_at < hi)
    rows = session.execute(
        select(Hazard.level, Hazard.source, Hazard.status, func.count())
        .where(*where).group_by(Hazard.level, Hazard.source, Hazard.status)).all()
    found: dict[str, int] = {"重大": 0, "一般": 0}
    by_source: dict[str, int] = {"企业自查": 0, "部门检查": 0, "举报": 0}
    rectified: dict[str, int] = {"重大": 0, "一般": 0}
    still_open: dict[str, int] = {"重大": 0, "一般": 0}
    for level, source, status, n in rows:
        found[level] = found.get(level, 0) + n
        by_source[source] = by_source.get(source, 0) + n
        if status in (CLOSED, FIXED_AT_ONCE):
            rectified[level] = rectified.get(level, 0) + n
        elif status in OPEN_STATES:
            still_open[level] = still_open.get(level, 0) + n
    return Figures(found, by_source, rectified, still_open)
