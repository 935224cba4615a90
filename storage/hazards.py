"""Putting hazards into the ledger, whatever found them (企业自查, 部门检查, 举报), and what follows from their
transitions: the one place that numbers a hazard, applies 即查即改 or the five essentials (五落实), sends
双报告 — a major hazard is reported to its supervising department when it is found and when it is fixed —
and tells the enterprise why a rectification was sent back (退回), from chat or from the back office alike.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .config import LedgerConfig
from .domain import CLOSED, FIXED_AT_ONCE, IN_PROGRESS, MAJOR, OPEN
from .ledger import transition
from .models import Hazard, HazardEvent, Person, bound
from .numbers import hazard_number
from .outbox import enqueue, enqueue_each


@dataclass(frozen=True)
class FixedOnSpot:
    """即查即改: fixed while it was found; the hazard is closed at once."""

    note: str = ""
    photos: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class FiveMeasures:
    """五落实 for a hazard that needs time: 责任、措施、资金、时限、预案 (and, for a major one, whether the
    equipment or area is stopped — 决不带病运行)."""

    responsible: str
    measures: str
    funds_wan: float
    deadline: str  # YYYY-MM-DD, a calendar day in the campaign's time zone
    plan: str
    equipment_stopped: bool | None = None


@dataclass(frozen=True)
class Registered:
    hazard: Hazard
    reported_to: int  # staff told by 双报告


def describe(hz: Hazard) -> str:
    """A hazard in one line, as lists and notices show it."""
    due = f"，期限 {hz.deadline}" if hz.deadline else ""
    listed = f"，{hz.supervision_level}挂牌督办（{hz.progress_due} 前须有实质进展）" if hz.supervision_level else ""
    return f"{hz.number} {hz.enterprise.name}【{hz.level}】{hz.description}（{hz.status}{due}{listed}）"


def register(session: Session, hazard: Hazard, fix: FixedOnSpot | FiveMeasures | None, *, by: Person | None,
             now: datetime, ledger: LedgerConfig, note: str = "") -> Registered:
    """A draft hazard (added or not) into the ledger: numbered, then closed at once, or 待整改 with its 五落实
    (None: they are still to come from the enterprise). `now` is local time: the number carries the local month."""
    if hazard.id is None:
        session.add(hazard)
        session.flush()
    if hazard.number is None:
        hazard.number = hazard_number(session, now.date())
    if isinstance(fix, FixedOnSpot):
        hazard.fixed_on_spot, hazard.note = True, fix.note
        if fix.photos:
            hazard.photos = list(hazard.photos or []) + list(fix.photos)
        told = apply(session, hazard, "即查即改", by=by, now=now, ledger=ledger, note=fix.note or note,
                     photos=list(fix.photos))
    elif fix is None:
        hazard.fixed_on_spot = False
        told = apply(session, hazard, "登记", by=by, now=now, ledger=ledger, note=note)
    else:
        hazard.fixed_on_spot = False
        hazard.responsible, hazard.measures, hazard.plan = fix.responsible, fix.measures, fix.plan
        hazard.funds_wan, hazard.deadline = fix.funds_wan, fix.deadline
        if fix.equipment_stopped is not None:
            hazard.equipment_stopped = fix.equipment_stopped
        told = apply(session, hazard, "登记", by=by, now=now, ledger=ledger, note=note)
    return Registered(hazard, told)


# Where a major hazard's transition lands, and how the supervising department hears of it.
_DOUBLE_REPORT = {OPEN: "发现", FIXED_AT_ONCE: "发现并已当场整改", CLOSED: "整改完成"}


def apply(session: Session, hazard: Hazard, action: str, *, by: Person | None, now: datetime,
          ledger: LedgerConfig, note: str = "", photos: list[Any] | None = None) -> int:
    """One ledger transition and what follows from it; returns how many staff 双报告 told."""
    event = transition(session, hazard, action, person=by, now=now, note=note, photos=photos)
    if action == "退回":
        send_back_notice(session, hazard, note, now)
    return double_report(session, hazard, event, by=by, now=now, ledger=ledger)


def lacks_five_measures(hazard: Hazard) -> bool:
    """Registered for rectification without its 五落实 (from a tip, or left for later): the enterprise owes them."""
    return hazard.status in (OPEN, IN_PROGRESS) and not hazard.fixed_on_spot and not hazard.responsible


def fill_five_measures(session: Session, hazard: Hazard, fix: FiveMeasures, *, by: Person | None, now: datetime,
                       ledger: LedgerConfig) -> int:
    """The enterprise's 五落实 for a hazard already in the ledger; a record in its history. A deadline staff
    set stays unless the enterprise's is earlier (it may promise sooner, not later)."""
    hazard.responsible, hazard.measures, hazard.plan, hazard.funds_wan = (fix.responsible, fix.measures, fix.plan,
                                                                          fix.funds_wan)
    if not hazard.deadline or fix.deadline < hazard.deadline:
        hazard.deadline = fix.deadline
    if fix.equipment_stopped is not None:
        hazard.equipment_stopped = fix.equipment_stopped
    summary = f"责任人 {fix.responsible}；措施 {fix.measures}；资金 {fix.funds_wan:g} 万元；期限 {hazard.deadline}；预案 {fix.plan}"
    return apply(session, hazard, "五落实", by=by, now=now, ledger=ledger, note=summary[:1000])


def ask_for_five_measures(session: Session, hazard: Hazard, now: datetime) -> int:
    """The enterprise's bound people are asked for the 五落实 of a hazard staff registered for it."""
    people = session.scalars(select(Person).where(Person.enterprise_id == hazard.enterprise_id, bound())).all()
    for person in people:
        enqueue(session, channel=person.channel, recipient=person.external_id, now=now, rule="five_measures",
                text=five_measures_request(describe(hazard)))
    return len(people)


def five_measures_request(described: str) -> str:
    """What the enterprise reads when a hazard's 五落实 are owed (staff registered it, or a self-check left them
    for later): one wording, so the person learns one way to fill them."""
    return (f"【需要整改】{described}\n请发送「整改进展」，选择这条隐患后填写五落实"
            "（责任人、整改措施、资金、期限、应急预案）。")


def send_back_notice(session: Session, hazard: Hazard, reason: str, now: datetime) -> int:
    """The enterprise's bound people learn that the rectification was sent back, and why."""
    people = session.scalars(select(Person).where(Person.enterprise_id == hazard.enterprise_id, bound())).all()
    for person in people:
        enqueue(session, channel=person.channel, recipient=person.external_id, now=now,
                text=f"{hazard.number} 的整改被退回：{reason}\n请继续整改后发送「整改进展」。")
    return len(people)


def double_report(session: Session, hazard: Hazard, event: HazardEvent, *, by: Person | None, now: datetime,
                  ledger: LedgerConfig) -> int:
    """双报告: tell the supervising department's staff (the town's when the enterprise has no department)
    that a major hazard was found or fixed — never the person who just did it."""
    what = _DOUBLE_REPORT.get(event.to_status)
    if not ledger.notify_major or hazard.level != MAJOR or what is None or event.from_status == event.to_status:
        return 0
    unit_id = hazard.department_id or hazard.town_id
    if unit_id is None:
        return 0
    staff = session.scalars(select(Person).where(Person.unit_id == unit_id, Person.role == "staff", bound())).all()
    recipients = [(person.channel, person.external_id, f"double-report:{hazard.id}:{event.to_status}:{person.id}")
                  for person in staff if by is None or person.id != by.id]
    return enqueue_each(session, recipients, text=f"【双报告·{what}】{describe(hazard)}", now=now)
