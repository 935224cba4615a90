"""The ledger as the back office reads it: filtered and paged lists, one hazard by its number, its history, and
the counts the overview links to. Every query starts from a Scope (storage.scope), the same one chat uses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, TextClause, and_, case, func, or_, select
from sqlalchemy.orm import Session

from .domain import DRAFT, IN_PROGRESS, INDUSTRIES, LEVELS, OPEN, ROLE_LABELS, SOURCES
from .models import Enterprise, Hazard, HazardEvent, Person
from .periods import local_range, period_of
from .queries import IS_LISTED, IS_OPEN
from .scope import Scope

STATUSES = ("待整改", "整改中", "已整改待核查", "已销号", "即查即改")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# 五落实未填: a hazard waiting for rectification without its responsible person, measures, funds, deadline or plan.
FIVE_MISSING = and_(Hazard.status.in_((OPEN, IN_PROGRESS)), Hazard.fixed_on_spot.is_not(True), or_(
    Hazard.responsible == "", Hazard.measures == "", Hazard.funds_wan.is_(None), Hazard.deadline.is_(None),
    Hazard.plan == ""))


@dataclass(frozen=True)
class LedgerFilter:
    """What the ledger page filters on; every field empty: the whole ledger in scope (drafts never)."""

    status: str = ""  # one of STATUSES, or "open" (not yet verified closed)
    level: str = ""
    industry: str = ""
    source: str = ""
    enterprise: str = ""  # part of the enterprise's name
    month: str = ""  # YYYY-MM: found in that month
    overdue: bool = False
    listed: bool = False
    missing_five: bool = False

    @classmethod
    def from_args(cls, args: Any) -> LedgerFilter:
        """From a query string, dropping values that are not one of the choices (a hand-edited URL)."""
        def pick(name: str, allowed: tuple[str, ...]) -> str:
            value = str(args.get(name, "")).strip()
            return value if value in allowed else ""

        month = str(args.get("month", "")).strip()
        return cls(status=pick("status", (*STATUSES, "open")), level=pick("level", LEVELS),
                   industry=pick("industry", INDUSTRIES), source=pick("source", SOURCES),
                   enterprise=str(args.get("enterprise", "")).strip()[:50], month=month if _MONTH.match(month) else "",
                   overdue=args.get("overdue") == "1", listed=args.get("listed") == "1",
                   missing_five=args.get("missing_five") == "1")

    def query_args(self) -> dict[str, str]:
        """The filter as query-string arguments (for paging links and the download)."""
        out = {k: v for k, v in (("status", self.status), ("level", self.level), ("industry", self.industry),
                                 ("source", self.source), ("enterprise", self.enterprise), ("month", self.month)) if v}
        out.update({k: "1" for k, on in (("overdue", self.overdue), ("listed", self.listed),
                                         ("missing_five", self.missing_five)) if on})
        return out

    @property
    def empty(self) -> bool:
        return not self.query_args()


def _where(scope: Scope, f: LedgerFilter, today: date, tz: ZoneInfo) -> list[ColumnElement[bool] | TextClause]:
    where: list[ColumnElement[bool] | TextClause] = [Hazard.status != DRAFT, scope.hazards()]
    if f.status == "open":
        where.append(IS_OPEN)
    elif f.status:
        where.append(Hazard.status == f.status)
    if f.level:
        where.append(Hazard.level == f.level)
    if f.industry:
        where.append(Hazard.industry == f.industry)
    if f.source:
        where.append(Hazard.source == f.source)
    if f.enterprise:
        where.append(Hazard.enterprise_id.in_(select(Enterprise.id).where(Enterprise.name.contains(f.enterprise,
                                                                                                   autoescape=True))))
    if f.month:
        month = period_of("month", date.fromisoformat(f.month + "-01"))
        lo, hi = local_range(month.start, month.end, tz)
        where += [Hazard.found_at >= lo, Hazard.found_at < hi]
    if f.overdue:
        where += [IS_OPEN, Hazard.deadline < today.isoformat()]
    if f.listed:
        where += [IS_LISTED, IS_OPEN]
    if f.missing_five:
        where.append(FIVE_MISSING)
    return where


def ledger_page(session: Session, scope: Scope, f: LedgerFilter, today: date, tz: ZoneInfo, *, offset: int,
                limit: int) -> tuple[list[Hazard], int]:
    """A page of the filtered ledger, newest first, and how many match in all."""
    where = _where(scope, f, today, tz)
    total = session.scalar(select(func.count()).select_from(Hazard).where(*where)) or 0
    rows = session.scalars(select(Hazard).where(*where).order_by(Hazard.found_at.desc(), Hazard.id.desc())
                           .offset(offset).limit(limit)).all()
    return list(rows), total


def ledger_all(session: Session, scope: Scope, f: LedgerFilter, today: date, tz: ZoneInfo,
               limit: int = 20000) -> list[Hazard]:
    """Everything the filter matches, in the order found (the Excel file of the filtered view)."""
    return list(session.scalars(select(Hazard).where(*_where(scope, f, today, tz))
                                .order_by(Hazard.found_at, Hazard.id).limit(limit)))


def hazard_in_scope(session: Session, scope: Scope, number: str) -> Hazard | None:
    """One hazard by its number — None as well when it exists but is outside the scope: a changed URL must
    not tell a town's staff that another town's hazard exists."""
    return session.scalars(select(Hazard).where(Hazard.number == number, Hazard.status != DRAFT,
                                                scope.hazards())).one_or_none()


@dataclass(frozen=True)
class HistoryEntry:
    event: HazardEvent
    who: str


def who_label(person: Person | None) -> str:
    """Who did it, as the history shows it: there are no personal names in the records, only roles and units."""
    if person is None:
        return "系统"
    place = person.enterprise.name if person.enterprise else (person.unit.name if person.unit else "")
    return f"{place} {ROLE_LABELS.get(person.role, person.role)}".strip()


def history(session: Session, hazard: Hazard) -> list[HistoryEntry]:
    rows = session.execute(select(HazardEvent, Person).outerjoin(Person, HazardEvent.person_id == Person.id)
                           .where(HazardEvent.hazard_id == hazard.id).order_by(HazardEvent.at, HazardEvent.id)).all()
    return [HistoryEntry(event, who_label(person)) for event, person in rows]


# -- the overview --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Overview:
    by_status: dict[str, int]
    by_level: dict[str, int]
    by_industry: list[tuple[str, int]]  # most first
    by_month: list[tuple[str, int]]  # the last 12 months, oldest first: ("2026-06", n)
    overdue: int
    listed: int
    missing_five: int
    claimed: int  # waiting for 核查销号


def overview(session: Session, scope: Scope, today: date, tz: ZoneInfo) -> Overview:
    base = [Hazard.status != DRAFT, scope.hazards()]
    by_status = dict(session.execute(select(Hazard.status, func.count()).where(*base).group_by(Hazard.status)).all())
    by_level = dict(session.execute(select(Hazard.level, func.count()).where(*base).group_by(Hazard.level)).all())
    industries = session.execute(select(Hazard.industry, func.count()).where(*base).group_by(Hazard.industry)
                                 .order_by(func.count().desc())).all()
    months = []
    first = date(today.year, today.month, 1)
    for back in range(11, -1, -1):
        y, m = divmod(first.year * 12 + first.month - 1 - back, 12)
        months.append(period_of("month", date(y, m + 1, 1)))
    bounds = [local_range(p.start, p.end, tz) for p in months]
    counts = session.execute(select(*(func.coalesce(func.sum(case((and_(Hazard.found_at >= lo, Hazard.found_at < hi), 1),
                                                                  else_=0)), 0) for lo, hi in bounds))
                             .where(*base, Hazard.found_at >= bounds[0][0])).one()
    count = _counter(session, base)
    return Overview(
        by_status={s: by_status.get(s, 0) for s in STATUSES},
        by_level={lv: by_level.get(lv, 0) for lv in LEVELS},
        by_industry=[(i or "未填", n) for i, n in industries],
        by_month=[(p.key, int(n)) for p, n in zip(months, counts, strict=True)],
        overdue=count(IS_OPEN, Hazard.deadline < today.isoformat()),
        listed=count(IS_LISTED, IS_OPEN),
        missing_five=count(FIVE_MISSING),
        claimed=by_status.get("已整改待核查", 0),
    )


def _counter(session: Session, base: list[ColumnElement[bool]]) -> Any:
    def count(*where: ColumnElement[bool] | TextClause) -> int:
        return session.scalar(select(func.count()).select_from(Hazard).where(*base, *where)) or 0
    return count

