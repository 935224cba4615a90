"""The hazard ledger's closed loop (闭环销号): which transitions exist and who may make them.

草稿 → 即查即改 (closed at once) | 待整改 → 整改中 → 已整改待核查 → 已销号, and 退回 from 已整改待核查 back to
整改中. Every transition writes a HazardEvent with who, when, note and photos.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .domain import ENTERPRISE_ROLES
from .models import Hazard, HazardEvent, Person

DRAFT, FIXED_AT_ONCE, OPEN, IN_PROGRESS, CLAIMED, CLOSED = "草稿", "即查即改", "待整改", "整改中", "已整改待核查", "已销号"
OPEN_STATES = frozenset({OPEN, IN_PROGRESS, CLAIMED})

# action -> (allowed from, to)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "即查即改": (frozenset({DRAFT}), FIXED_AT_ONCE),
    "登记": (frozenset({DRAFT}), OPEN),
    "整改进展": (frozenset({OPEN, IN_PROGRESS}), IN_PROGRESS),
    "申请销号": (frozenset({OPEN, IN_PROGRESS}), CLAIMED),
    "销号": (frozenset({CLAIMED}), CLOSED),
    "退回": (frozenset({CLAIMED}), IN_PROGRESS),
    "挂牌督办": (OPEN_STATES, None),  # a record in the history; the status stays
}
ENTERPRISE_ACTIONS = frozenset({"即查即改", "登记", "整改进展", "申请销号"})
STAFF_ONLY_ACTIONS = frozenset({"销号", "退回", "挂牌督办"})


class LedgerError(ValueError):
    """A transition that is not allowed; the message is one line a person can read."""


def is_responsible_staff(person: Person, hazard: Hazard) -> bool:
    """Staff of the enterprise's town or supervising department, or an admin."""
    if person.role == "admin":
        return True
    ent = hazard.enterprise
    return person.role == "staff" and person.unit_id is not None and person.unit_id in (ent.town_id, ent.department_id)


def may(person: Person, hazard: Hazard, action: str) -> bool:
    if action in STAFF_ONLY_ACTIONS:
        return is_responsible_staff(person, hazard)
    if person.role in ENTERPRISE_ROLES:
        return person.enterprise_id == hazard.enterprise_id
    return is_responsible_staff(person, hazard)  # staff may act for an enterprise they are responsible for


def next_number(session: Session, when: datetime) -> str:
    """YH-YYYYMM-NNNN within the month; a concurrent clash fails the unique index and the message is retried."""
    prefix = f"YH-{when:%Y%m}-"
    last = session.scalar(select(func.max(Hazard.number)).where(Hazard.number.like(prefix + "%")))
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def transition(session: Session, hazard: Hazard, action: str, *, person: Person | None, now: datetime,
               note: str = "", photos: list[Any] | None = None) -> HazardEvent:
    allowed_from, to = TRANSITIONS[action]
    if person is not None and not may(person, hazard, action):
        if action in STAFF_ONLY_ACTIONS:
            raise LedgerError("只有负责该企业的镇街或部门工作人员才能核查销号。")
        raise LedgerError("这条隐患不属于您的企业。" if person.role in ENTERPRISE_ROLES
                          else "这条隐患不在您单位的负责范围内。")
    if hazard.status not in allowed_from:
        raise LedgerError(f"{hazard.number or '该隐患'} 当前是「{hazard.status}」，不能{action}。")
    if action == "退回" and not note.strip():
        raise LedgerError("退回需要写明原因。")
    event = HazardEvent(hazard_id=hazard.id, at=now, person_id=person.id if person else None, action=action,
                        from_status=hazard.status, to_status=to or hazard.status, note=note, photos=photos or [])
    session.add(event)
    hazard.status = to or hazard.status
    if to in (CLOSED, FIXED_AT_ONCE):
        hazard.closed_at = now
    session.flush()
    return event
