"""The hazard ledger's closed loop (闭环销号): which transitions exist and who may make them.

草稿 → 即查即改 (closed at once) | 待整改 → 整改中 → 已整改待核查 → 已销号, and 退回 from 已整改待核查 back to
整改中. Staff who verified a hazard on site may close it even though the enterprise never claimed it
(现场核查销号, from 待整改 or 整改中, with a note saying what they saw). Every transition writes a HazardEvent with who, when, note and photos: this module is the only place that
changes a hazard's status. What follows from a transition (双报告) is storage.hazards'.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from .domain import CLAIMED, CLOSED, DRAFT, ENTERPRISE_ROLES, FIXED_AT_ONCE, IN_PROGRESS, OPEN, OPEN_STATES
from .models import Hazard, HazardEvent, Person
from .scope import responsible_for_hazard

# action -> (allowed from, to); to None: a record in the history, the status stays.
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "即查即改": (frozenset({DRAFT}), FIXED_AT_ONCE),
    "登记": (frozenset({DRAFT}), OPEN),
    "整改进展": (frozenset({OPEN, IN_PROGRESS}), IN_PROGRESS),
    "申请销号": (frozenset({OPEN, IN_PROGRESS}), CLAIMED),
    "销号": (frozenset({CLAIMED}), CLOSED),
    "退回": (frozenset({CLAIMED}), IN_PROGRESS),
    "现场核查销号": (frozenset({OPEN, IN_PROGRESS}), CLOSED),
    "挂牌督办": (frozenset(OPEN_STATES), None),
    "五落实": (frozenset({OPEN, IN_PROGRESS}), None),  # the enterprise's arrangements, given after registration
}
STAFF_ONLY_ACTIONS = frozenset({"销号", "退回", "现场核查销号", "挂牌督办"})
# Actions whose note is the reason the history must show.
NOTE_REQUIRED = {"退回": "退回需要写明原因。", "现场核查销号": "现场核查销号需要写明现场核查的情况。"}


class LedgerError(ValueError):
    """A transition that is not allowed; the message is one line a person can read."""


def allowed_from(action: str) -> frozenset[str]:
    return TRANSITIONS[action][0]


def may(person: Person, hazard: Hazard, action: str) -> bool:
    """Enterprise roles act on their own enterprise's hazards; staff on those they are responsible for,
    for the enterprise too; verifying, sending back and listing are staff's alone."""
    if person.role in ENTERPRISE_ROLES:
        return action not in STAFF_ONLY_ACTIONS and person.enterprise_id == hazard.enterprise_id
    return responsible_for_hazard(person, hazard)


def transition(session: Session, hazard: Hazard, action: str, *, person: Person | None, now: datetime,
               note: str = "", photos: list[Any] | None = None) -> HazardEvent:
    allowed, to = TRANSITIONS[action]
    if person is not None and not may(person, hazard, action):
        if action in STAFF_ONLY_ACTIONS:
            raise LedgerError("只有负责该企业的镇街或部门工作人员才能核查销号。")
        raise LedgerError("这条隐患不属于您的企业。" if person.role in ENTERPRISE_ROLES
                          else "这条隐患不在您单位的负责范围内。")
    if hazard.status not in allowed:
        raise LedgerError(f"{hazard.number or '该隐患'} 当前是「{hazard.status}」，不能{action}。")
    if action in NOTE_REQUIRED and not note.strip():
        raise LedgerError(NOTE_REQUIRED[action])
    event = HazardEvent(hazard_id=hazard.id, at=now, person_id=person.id if person else None, action=action,
                        from_status=hazard.status, to_status=to or hazard.status, note=note, photos=photos or [])
    session.add(event)
    hazard.status = to or hazard.status
    if to in (CLOSED, FIXED_AT_ONCE):
        hazard.closed_at = now
    session.flush()
    return event
