"""The staff's questions as queries: overdue and listed hazards, enterprises yet to self-check, and the
month's figures. Every query is limited to a Scope (storage.scope)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, select, text
from sqlalchemy.orm import Session

from .domain import DRAFT, OPEN_STATES, RECTIFIED_STATES, status_predicate
from .models import Enterprise, Hazard, SelfCheckRun, Unit
from .scope import Scope

# The partial indexes' predicates (ix_hazards_*_open, *_listed), with the table named.
IS_OPEN = text(status_predicate("hazards.status", OPEN_STATES))
IS_LISTED = text("hazards.supervision_level IS NOT NULL")


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
    return [OverdueRow(n or "", e, d, lv, dl or "", (today - date.fromisoformat(dl)).days if dl else 0)
            for n, e, d, lv, dl in rows], total


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
    return [ListedRow(n or "", e, d, lv or "", due or "", (date.fromisoformat(due) - today).days if due else 0)
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
        if status in RECTIFIED_STATES:
            rectified[level] = rectified.get(level, 0) + n
        elif status in OPEN_STATES:
            still_open[level] = still_open.get(level, 0) + n
    return Figures(found, by_source, rectified, still_open)
