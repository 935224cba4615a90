"""Invite codes: how a person is bound to a role, an enterprise or a unit.

A code is 10 Crockford base32 characters (50 bits from `secrets`), shown once as XXXXX-XXXXX and stored
only as a keyed hash. Redeeming is single-use even under concurrent attempts: the UPDATE that marks it
used only matches an unused row.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .domain import ENTERPRISE_ROLES, ROLE_LABELS, ROLES
from .models import Enterprise, InviteCode, Outbox, Person, Unit

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CODE_LENGTH = 10
# What people mistype when they copy a code by hand.
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


class InviteError(ValueError):
    pass


@dataclass(frozen=True)
class NewInvite:
    code: str
    role: str
    expires_at: datetime
    target: str  # enterprise or unit name, for the printout


def format_code(raw: str) -> str:
    return f"{raw[:5]}-{raw[5:]}"


def normalize_code(text: str) -> str | None:
    """The canonical 10-character form of what a person typed, or None if it cannot be a code."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum()).translate(_CONFUSABLE)
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def hash_code(secret: bytes, normalized: str) -> str:
    return hmac.new(secret, b"invite:" + normalized.encode(), hashlib.sha256).hexdigest()


def create_invite(
    session: Session, secret: bytes, *, role: str, now: datetime, ttl_days: int,
    enterprise: Enterprise | None = None, unit: Unit | None = None, note: str = "",
) -> NewInvite:
    if role not in ROLES:
        raise InviteError(f"未知角色 {role}，可选：{', '.join(ROLES)}")
    if role in ENTERPRISE_ROLES and enterprise is None:
        raise InviteError(f"角色 {role} 需要指定企业（--enterprise）")
    if role == "staff" and unit is None:
        raise InviteError("角色 staff 需要指定单位（--unit）")
    if role not in ENTERPRISE_ROLES and enterprise is not None:
        raise InviteError(f"角色 {role} 不绑定企业")
    if ttl_days <= 0:
        raise InviteError("有效期必须大于 0 天")
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    row = InviteCode(
        code_hash=hash_code(secret, raw), role=role, note=note, created_at=now,
        expires_at=now + timedelta(days=ttl_days),
        enterprise_id=enterprise.id if enterprise else None,
        unit_id=unit.id if unit else (enterprise.town_id if enterprise else None),
    )
    session.add(row)
    session.flush()
    target = enterprise.name if enterprise else (unit.name if unit else "全部")
    return NewInvite(format_code(raw), role, row.expires_at, target)


@dataclass(frozen=True)
class Redeemed:
    person: Person
    rebound: bool


class RedeemError(Exception):
    """Why a code did not bind; `counts` is False when the person cannot have been guessing."""

    def __init__(self, message: str, counts: bool = True) -> None:
        super().__init__(message)
        self.counts = counts


def check_invite(session: Session, secret: bytes, text: str, now: datetime) -> InviteCode:
    """The unused, unexpired invite a typed code names, without using it; RedeemError says why not."""
    normalized = normalize_code(text)
    if normalized is None:
        raise RedeemError("邀请码格式不对：应为 10 位字母数字，例如 7KQ2M-9XD4T。")
    invite = session.scalars(
        select(InviteCode).where(InviteCode.code_hash == hash_code(secret, normalized))
    ).one_or_none()
    if invite is None:
        raise RedeemError("邀请码无效，请核对后重新发送。")
    _usable(invite, now)
    return invite


def _usable(invite: InviteCode, now: datetime) -> None:
    if invite.used_at is not None:
        raise RedeemError("该邀请码已被使用过。邀请码只能用一次，请联系工作人员重新生成。")
    if invite.expires_at <= now:
        raise RedeemError("该邀请码已过期，请联系工作人员重新生成。")


def redeem_invite(
    session: Session, secret: bytes, *, text: str, channel: str, external_id: str, now: datetime
) -> Redeemed:
    return redeem(session, check_invite(session, secret, text, now), channel=channel, external_id=external_id,
                  now=now)


def redeem(session: Session, invite: InviteCode, *, channel: str, external_id: str, now: datetime) -> Redeemed:
    """Use the invite for this person: single-use even when two messages redeem it at once."""
    session.refresh(invite)
    _usable(invite, now)
    claimed = session.execute(
        update(InviteCode)
        .where(InviteCode.id == invite.id, InviteCode.used_at.is_(None))
        .values(used_at=now)
    )
    if getattr(claimed, "rowcount", 0) != 1:  # another message redeemed it a moment ago
        raise RedeemError("该邀请码已被使用过。邀请码只能用一次，请联系工作人员重新生成。")
    person = session.scalars(
        select(Person).where(Person.channel == channel, Person.external_id == external_id)
    ).one_or_none()
    rebound = person is not None
    if person is None:
        person = Person(channel=channel, external_id=external_id, role=invite.role)
        session.add(person)
    person.role = invite.role
    person.unit_id = invite.unit_id
    person.enterprise_id = invite.enterprise_id
    person.bound_at = now
    session.flush()
    session.execute(update(InviteCode).where(InviteCode.id == invite.id).values(used_by=person.id))
    return Redeemed(person, rebound)


def bound_as(person: Person | InviteCode) -> str:
    """Whom a person (or an invite) binds to, as people read it: 青山化工有限公司 企业主要负责人."""
    place = person.enterprise.name if person.enterprise else (person.unit.name if person.unit else "")
    return f"{place + ' ' if place else ''}{ROLE_LABELS.get(person.role, person.role)}"


def unbind(session: Session, person: Person, now: datetime) -> int:
    """End a binding. The person's row stays, for the history that names it, but no longer carries their
    WeChat id, so nothing more reaches them and their next message comes from an unbound visitor. Their
    pushes still waiting are dropped; returns how many."""
    waiting = session.execute(
        update(Outbox).where(Outbox.channel == person.channel, Outbox.recipient == person.external_id,
                             Outbox.status == "pending")
        .values(status="dropped", last_error="已解绑"))
    person.external_id = f"unbound:{person.id}"
    person.unbound_at = now
    session.flush()
    return int(getattr(waiting, "rowcount", 0) or 0)
