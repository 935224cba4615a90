"""The registry as the back office shows it: each enterprise in scope with this period's self-check (submitted,
a draft, or not started), who is bound to it in chat, its contacts and open hazards; and the reminder staff
send from the unchecked list ("提醒这些企业"), queued once a day at most per person.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, case, exists, func, select
from sqlalchemy.orm import Session

from .config import SelfCheckConfig
from .domain import ENTERPRISE_ROLES, INDUSTRIES
from .models import Enterprise, Hazard, Outbox, Person, SelfCheckRun
from .periods import Period, period_of, selfcheck_kind
from .queries import IS_OPEN
from .scope import Scope

SUBMITTED, DRAFTED, NOT_STARTED = "已提交", "填写中", "未开始"


@dataclass(frozen=True)
class EnterpriseFilter:
    unchecked: bool = False  # no submitted self-check this period
    name: str = ""
    industry: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> EnterpriseFilter:
        industry = str(args.get("industry", "")).strip()
        return cls(args.get("unchecked") == "1", str(args.get("q", "")).strip()[:50],
                   industry if industry in INDUSTRIES else "")


@dataclass(frozen=True)
class EnterpriseRow:
    enterprise: Enterprise
    period: Period
    selfcheck: str  # 已提交 | 填写中 | 未开始
    bound: int  # enterprise heads and safety officers bound in chat
    open_hazards: int


def _periods(config: SelfCheckConfig, today: date) -> tuple[Period, Period]:
    """This period for 高危 enterprises and for the others."""
    return (period_of(selfcheck_kind("high", config.high_risk_period, config.other_period), today),
            period_of(selfcheck_kind("other", config.high_risk_period, config.other_period), today))


def _this_period(config: SelfCheckConfig, today: date) -> ColumnElement[str]:
    high, other = _periods(config, today)
    return case((Enterprise.risk_tier == "high", high.key), else_=other.key)


def _submitted(period: ColumnElement[str]) -> ColumnElement[bool]:
    return exists().where(SelfCheckRun.enterprise_id == Enterprise.id, SelfCheckRun.period == period,
                          SelfCheckRun.status == "submitted")


def _where(scope: Scope, f: EnterpriseFilter, period: ColumnElement[str]) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [scope.enterprises()]
    if f.unchecked:
        where.append(~_submitted(period))
    if f.name:
        where.append(Enterprise.name.contains(f.name, autoescape=True))
    if f.industry:
        where.append(Enterprise.industry == f.industry)
    return where


def enterprise_page(session: Session, scope: Scope, f: EnterpriseFilter, config: SelfCheckConfig, today: date, *,
                    offset: int, limit: int) -> tuple[list[EnterpriseRow], int]:
    """高危 first, then by name; with each one's self-check state for its own period."""
    period = _this_period(config, today)
    where = _where(scope, f, period)
    total = session.scalar(select(func.count()).select_from(Enterprise).where(*where)) or 0
    enterprises = session.scalars(select(Enterprise).where(*where)
                                  .order_by((Enterprise.risk_tier == "high").desc(), Enterprise.name, Enterprise.id)
                                  .offset(offset).limit(limit)).all()
    ids = [e.id for e in enterprises]
    high, other = _periods(config, today)
    runs = {(eid, p): status for eid, p, status in session.execute(
        select(SelfCheckRun.enterprise_id, SelfCheckRun.period, SelfCheckRun.status)
        .where(SelfCheckRun.enterprise_id.in_(ids), SelfCheckRun.period.in_(sorted({high.key, other.key}))))}
    bound = dict(session.execute(select(Person.enterprise_id, func.count()).where(
        Person.enterprise_id.in_(ids), Person.role.in_(sorted(ENTERPRISE_ROLES))).group_by(Person.enterprise_id)).all())
    hazards = dict(session.execute(select(Hazard.enterprise_id, func.count()).where(
        Hazard.enterprise_id.in_(ids), IS_OPEN).group_by(Hazard.enterprise_id)).all())
    rows = []
    for e in enterprises:
        p = high if e.risk_tier == "high" else other
        state = {"submitted": SUBMITTED, "draft": DRAFTED}.get(runs.get((e.id, p.key), ""), NOT_STARTED)
        rows.append(EnterpriseRow(e, p, state, bound.get(e.id, 0), hazards.get(e.id, 0)))
    return rows, total


def enterprise_in_scope(session: Session, scope: Scope, enterprise_id: int) -> Enterprise | None:
    return session.scalars(select(Enterprise).where(Enterprise.id == enterprise_id, scope.enterprises())).one_or_none()


@dataclass(frozen=True)
class Reminded:
    enterprises: int  # unchecked enterprises in scope
    queued: int  # people a reminder was queued for now
    already: int  # people reminded earlier today
    unreachable: list[Enterprise]  # nobody bound in chat: phone them


NUDGE_RULE = "selfcheck_due"  # the same reminder as the sweep's, with its template for people outside 48 hours


def remind_unchecked(session: Session, scope: Scope, config: SelfCheckConfig, today: date, *, now: datetime,
                     not_before: datetime, limit: int = 5000) -> Reminded:
    """Queue "自查提醒" for the bound people of every unchecked enterprise in scope, at most once a day each
    (the outbox's unique key carries the day); `not_before` keeps it out of quiet hours."""
    period = _this_period(config, today)
    enterprises = session.scalars(select(Enterprise).where(*_where(scope, EnterpriseFilter(unchecked=True), period))
                                  .order_by(Enterprise.name).limit(limit)).all()
    high, other = _periods(config, today)
    people: dict[int, list[Person]] = {}
    for person in session.scalars(select(Person).where(Person.enterprise_id.in_([e.id for e in enterprises]),
                                                       Person.role.in_(sorted(ENTERPRISE_ROLES)))):
        people.setdefault(person.enterprise_id or 0, []).append(person)
    keys = {f"nudge:{e.id}:{today.isoformat()}:{p.id}": (e, p) for e in enterprises for p in people.get(e.id, [])}
    done = set(session.scalars(select(Outbox.dedup_key).where(Outbox.dedup_key.in_(sorted(keys)))))
    for key, (e, p) in keys.items():
        if key in done:
            continue
        pr = high if e.risk_tier == "high" else other
        left = (pr.end - today).days
        session.add(Outbox(channel=p.channel, recipient=p.external_id, dedup_key=key, rule=NUDGE_RULE,
                           text=f"【自查提醒】{e.name}{pr.label}的隐患自查还没有提交，还有 {left} 天截止（{pr.end:%m月%d日}）。"
                                "发送「开始自查」填写。",
                           template={"title": "自查提醒", "period": pr.label, "deadline": pr.end.isoformat()},
                           not_before=not_before, created_at=now))
    session.flush()
    return Reminded(len(enterprises), len(keys) - len(done), len(done),
                    [e for e in enterprises if not people.get(e.id)])


def reminded_today(session: Session, enterprise_ids: list[int], today: date) -> set[int]:
    """Enterprises whose people were already reminded from the back office today."""
    keys = session.scalars(select(Outbox.dedup_key).where(and_(Outbox.rule == NUDGE_RULE,
                                                               Outbox.dedup_key.like(f"nudge:%:{today.isoformat()}:%"))))
    return {int(k.split(":")[1]) for k in keys if k} & set(enterprise_ids)
