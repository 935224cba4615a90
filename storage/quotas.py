"""Quotas ("本月还差几条"): which minimums apply to a unit, and where the unit stands, as typed rows that chat,
reminders and pages all format the same way. The rules themselves are configuration ([[quotas]])."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .config import QuotaRule
from .domain import DRAFT, MAJOR
from .models import Hazard, Unit, WorkRecord
from .periods import Period, local_range, period_of
from .scope import Scope


def applies(rule: QuotaRule, unit: Unit) -> bool:
    """A rule naming units applies to those alone; otherwise to every unit of its kind (or all)."""
    if rule.units:
        return unit.name in rule.units
    return rule.applies_to in ("all", unit.kind)


def count_for(session: Session, unit: Unit, counts: str, start: date, end: date, tz: ZoneInfo) -> int:
    """How many of `counts` a unit has in [start, end] (days in the campaign's zone).

    major_hazards: a town counts every 重大 hazard of its enterprises by the day it was found; a department
    counts the 重大 hazards its own inspections (部门检查) found in the enterprises it supervises; drafts never
    count. Everything else is what staff recorded as work records."""
    if counts == "major_hazards":
        lo, hi = local_range(start, end, tz)
        query = (select(func.count()).select_from(Hazard)
                 .where(Hazard.level == MAJOR, Hazard.status != DRAFT, Hazard.found_at >= lo, Hazard.found_at < hi,
                        Scope(unit).hazards()))
        if unit.kind == "department":
            query = query.where(Hazard.source == "部门检查")
        return session.scalar(query) or 0
    return session.scalar(
        select(func.count()).select_from(WorkRecord).where(
            WorkRecord.unit_id == unit.id, WorkRecord.kind == counts,
            WorkRecord.day >= start.isoformat(), WorkRecord.day <= end.isoformat())) or 0


@dataclass(frozen=True)
class QuotaStatus:
    rule: QuotaRule
    period: Period
    done: int

    @property
    def missing(self) -> int:
        return max(self.rule.minimum - self.done, 0)


def quota_status(session: Session, unit: Unit, rules: Sequence[QuotaRule], day: date, tz: ZoneInfo) -> list[QuotaStatus]:
    """Every rule that applies to the unit, for the period containing `day`."""
    out = []
    for rule in rules:
        if not applies(rule, unit):
            continue
        period = period_of(rule.period, day)
        out.append(QuotaStatus(rule, period, count_for(session, unit, rule.counts, period.start, period.end, tz)))
    return out
