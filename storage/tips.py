"""Tips (举报): receipt codes and their hashes, and the tip's lifecycle — a transition table and one function
that keeps the history, like storage.ledger for hazards.

The receipt code is 20 Crockford base32 characters (100 bits from `secrets`), shown once in groups of four.
It is stored only as scrypt(code, deployment salt): slow to guess offline, yet deterministic, so a
look-up needs one scrypt and an index probe rather than a scan.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .config import LedgerConfig
from .hazards import ask_for_five_measures, register
from .invites import ALPHABET
from .models import Hazard, Person, Tip, TipEvent, TipMessage, Unit
from .scope import scope_of

RECEIPT_LENGTH = 20
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
# scrypt cost: ~30-60 ms per look-up on one core; lookups are rate limited per sender on top.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def new_receipt() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def normalize_receipt(text: str) -> str | None:
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum()).translate(_CONFUSABLE)
    if len(cleaned) != RECEIPT_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def receipt_hash(secret: bytes, code: str) -> str | None:
    normalized = normalize_receipt(code)
    if normalized is None:
        return None
    salt = hmac.new(secret, b"tip-receipt-salt", hashlib.sha256).digest()
    return hashlib.scrypt(normalized.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32).hex()


def find_tip(session: Session, secret: bytes, code: str) -> Tip | None:
    digest = receipt_hash(secret, code)
    if digest is None:
        return None
    return session.scalars(select(Tip).where(Tip.receipt_hash == digest)).one_or_none()


# The tip's statuses. 已受理 and 核查中 are open: they wait for staff.
RECEIVED, CHECKING, VERIFIED, UNFOUNDED, REWARDED = "已受理", "核查中", "查证属实", "不属实", "已奖励"
OPEN_TIP_STATES = (RECEIVED, CHECKING)
DECIDED_STATES = (VERIFIED, UNFOUNDED, REWARDED)
# action -> (allowed from, to); to None: the status stays (a question, a hand-over to another unit).
TIP_TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "核查中": (frozenset({RECEIVED}), CHECKING),
    "属实": (frozenset(OPEN_TIP_STATES), VERIFIED),
    "不属实": (frozenset(OPEN_TIP_STATES), UNFOUNDED),
    "奖励": (frozenset({VERIFIED}), REWARDED),
    "转办": (frozenset(OPEN_TIP_STATES), None),
    "提问": (frozenset({RECEIVED, CHECKING, VERIFIED}), None),
}


class TipError(ValueError):
    """A tip action that is not allowed; the message is one line a person can read."""


def may_handle(person: Person, tip: Tip) -> bool:
    """Staff of the unit the tip is assigned to, or an admin."""
    return person.role in ("staff", "admin") and scope_of(person).handles(tip.unit_id)


def tip_transition(session: Session, tip: Tip, action: str, *, by: Person, now: datetime, note: str = "",
                   to_unit: Unit | None = None) -> TipEvent:
    """The only place a tip's status or handling unit changes; every change is a TipEvent."""
    allowed, to = TIP_TRANSITIONS[action]
    if not may_handle(by, tip):
        raise TipError(f"{tip.number} 不由您的单位处理。")
    if tip.status not in allowed:
        raise TipError(f"{tip.number} 当前是「{tip.status}」，不能{action}。")
    if action == "不属实" and not note.strip():
        raise TipError("认定不属实需要写明理由，举报人查询时会看到。")
    if action == "转办":
        if to_unit is None:
            raise TipError("请写明转给哪个单位。")
        if to_unit.id == tip.unit_id:
            raise TipError(f"{tip.number} 已经由{to_unit.name}处理。")
    event = TipEvent(tip_id=tip.id, at=now, person_id=by.id, action=action, from_status=tip.status,
                     to_status=to or tip.status, from_unit_id=tip.unit_id,
                     to_unit_id=to_unit.id if to_unit is not None else tip.unit_id, note=note)
    session.add(event)
    tip.status = to or tip.status
    if to_unit is not None:
        tip.unit_id = to_unit.id
    if to in (VERIFIED, UNFOUNDED):
        tip.decided_on = now.date().isoformat()
    session.flush()
    return event


# -- what staff do with a tip, from chat or from the back office -------------------------------------

@dataclass(frozen=True)
class Handled:
    tip: Tip
    hazard: Hazard | None = None  # the ledger entry a verified tip became
    reported_to: int = 0  # staff told by 双报告 of that hazard
    asked: int = 0  # the enterprise's people asked for the 五落实


@dataclass(frozen=True)
class LedgerEntry:
    """What a verified tip becomes in the ledger, in staff's words: the enterprise reads the description in
    its 整改进展 list and in the Excel lists, so nothing in it comes from the tip."""

    description: str
    deadline: date


# A run of this many characters shared with the tip's text is the tip's words, not staff's.
ECHO_LENGTH = 8
_PUNCTUATION = set("，。、；：！？,.;:!?（）()「」“”\"' \n")


def neutral_summary(tip: Tip) -> str:
    """A description staff may start from: the enterprise and the field, nothing the tipster wrote."""
    name = tip.enterprise.name if tip.enterprise else "该企业"
    field = f"{tip.industry}方面" if tip.industry and tip.industry != "其他" else ""
    return f"经现场核查，{name}存在{field}安全隐患，需按期整改。"


def echo_of_tip(description: str, tip: Tip) -> str | None:
    """The longest run (ECHO_LENGTH characters or more) the description shares with the tip's text, leaving
    out the enterprise's name and punctuation; None when it has none."""
    def plain(text: str) -> str:
        if tip.enterprise is not None:
            text = text.replace(tip.enterprise.name, "")
        return "".join(ch for ch in text if ch not in _PUNCTUATION)

    mine, theirs = plain(description), plain(tip.what or "")
    best = ""
    for i in range(len(mine)):
        length = max(len(best) + 1, ECHO_LENGTH)
        while i + length <= len(mine) and mine[i:i + length] in theirs:
            best = mine[i:i + length]
            length += 1
    return best or None


def ask_reporter(session: Session, tip: Tip, question: str, *, by: Person, now: datetime) -> TipEvent:
    """A question the reporter sees the next time they look the tip up with their code."""
    question = question.strip()[:500]
    if not question:
        raise TipError("请写上要问举报人的问题。")
    event = tip_transition(session, tip, "提问", by=by, now=now, note=question)
    session.add(TipMessage(tip_id=tip.id, sender="工作人员", text=question, on=now.date().isoformat(), staff_id=by.id))
    session.flush()
    return event


def handle_tip(session: Session, tip: Tip, action: str, *, by: Person, now: datetime, ledger: LedgerConfig,
               note: str = "", major: bool = False, reward_yuan: int | None = None,
               to_unit: Unit | None = None, entry: LedgerEntry | None = None) -> Handled:
    """核查中 · 属实 (major: a 重大事故隐患, eligible for a reward) · 不属实 (note: the reason the reporter reads) ·
    奖励 (reward_yuan) · 转办 (to_unit). A verified tip naming a known enterprise enters the ledger with
    source 举报, like any other hazard: described in staff's words with a deadline (entry), and the
    enterprise asked for its 五落实."""
    if action == "奖励" and (reward_yuan is None or reward_yuan <= 0):
        raise TipError("请写奖励金额（元，整数）。")
    if action == "属实" and tip.enterprise_id is not None and tip.hazard_id is None:
        check_entry(tip, entry, now.date())
    tip_transition(session, tip, action, by=by, now=now, note=note if action != "奖励" else str(reward_yuan),
                   to_unit=to_unit)
    if action == "不属实":
        tip.outcome_note = note
    elif action == "奖励":
        tip.reward_yuan = reward_yuan
    elif action == "属实":
        tip.major, tip.outcome_note = major, note
        if entry is not None:
            return _into_ledger(session, tip, entry, by=by, now=now, ledger=ledger)
    return Handled(tip)


def check_entry(tip: Tip, entry: LedgerEntry | None, today: date) -> None:
    if entry is None or not entry.description.strip():
        raise TipError("查证属实的举报要列入隐患台账：请写隐患描述（企业会看到，请用您自己的话）和整改期限。")
    echo = echo_of_tip(entry.description, tip)
    if echo:
        raise TipError(f"隐患描述里有与举报原文相同的一段「{echo}」。企业会看到这段描述，请用您核查看到的情况重写。")
    if entry.deadline < today:
        raise TipError(f"整改期限 {entry.deadline.isoformat()} 已经过去了，请填今天或以后的日期。")


def _into_ledger(session: Session, tip: Tip, entry: LedgerEntry, *, by: Person, now: datetime,
                 ledger: LedgerConfig) -> Handled:
    if tip.hazard_id is not None or tip.enterprise_id is None:
        return Handled(tip)
    hz = Hazard(enterprise_id=tip.enterprise_id, level="重大" if tip.major else "一般", source="举报", status="草稿",
                description=entry.description.strip()[:1000], deadline=entry.deadline.isoformat(), found_by=by.id,
                found_at=now)
    done = register(session, hz, None, by=by, now=now, ledger=ledger, note=f"来自举报 {tip.number}")
    tip.hazard_id = hz.id
    return Handled(tip, hz, done.reported_to, ask_for_five_measures(session, hz, now))
