"""Signing in to the back office: a one-time link asked for in chat, then a browser session.

"登录后台" in chat gives staff and admins a link valid for LINK_TTL and usable once; opening it starts a session
that ends after IDLE_TTL without a request, at logout, or as soon as the person is no longer staff or admin.
Only keyed hashes of the link's token and of the session id are stored: a copy of the database signs nobody
in. Redeeming a link is single-use under concurrent attempts: the UPDATE that marks it used only matches a
row that is still unused and unexpired.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from .domain import STAFF_ROLES
from .models import LoginToken, Person, WebSession, table_of

LINK_TTL = timedelta(minutes=15)
IDLE_TTL = timedelta(hours=8)
# A session's last_seen_at is written at most this often: a page view need not be a write.
SEEN_RESOLUTION = timedelta(minutes=1)


class LoginError(ValueError):
    """A link that cannot sign anyone in; the message is one line a person can read."""


def _digest(secret: bytes, purpose: bytes, raw: str) -> str:
    return hmac.new(secret, purpose + b":" + raw.encode(), hashlib.sha256).hexdigest()


def may_sign_in(person: Person | None) -> bool:
    """Admins, and staff bound to a unit; never enterprise heads or people who are not bound."""
    return person is not None and person.role in STAFF_ROLES and (person.role == "admin" or person.unit_id is not None)


def issue_link_token(session: Session, secret: bytes, person: Person, now: datetime) -> str:
    """A new one-time token for `person` (the link carries it); only its hash is stored."""
    if not may_sign_in(person):
        raise LoginError("只有镇街、部门工作人员和管理员可以登录后台。")
    token = secrets.token_urlsafe(32)
    session.add(LoginToken(token_hash=_digest(secret, b"login", token), person_id=person.id, created_at=now,
                           expires_at=now + LINK_TTL))
    session.flush()
    return token


@dataclass(frozen=True)
class NewSession:
    cookie: str  # what the browser keeps; the database has only its hash
    person: Person


def redeem(session: Session, secret: bytes, token: str, now: datetime) -> NewSession:
    """Use a link: mark it used (once, whoever races) and start a session for its person."""
    digest = _digest(secret, b"login", token)
    table = table_of(LoginToken)
    used = session.execute(
        update(table).where(table.c.token_hash == digest, table.c.used_at.is_(None), table.c.expires_at > now)
        .values(used_at=now).returning(table.c.person_id)).first()
    if used is None:
        known = session.scalar(select(LoginToken.used_at).where(LoginToken.token_hash == digest))
        if known is not None:
            raise LoginError("这个登录链接已经用过了。请在微信里重新发送「登录后台」获取新链接。")
        raise LoginError("登录链接无效或已过期（15 分钟内有效）。请在微信里重新发送「登录后台」。")
    person = session.get(Person, used[0])
    if not may_sign_in(person):
        raise LoginError("您的账号已不是工作人员，不能登录后台。")
    assert person is not None
    cookie = secrets.token_urlsafe(32)
    session.add(WebSession(session_hash=_digest(secret, b"session", cookie), person_id=person.id, created_at=now,
                           last_seen_at=now))
    session.flush()
    return NewSession(cookie, person)


def signed_in(session: Session, secret: bytes, cookie: str, now: datetime) -> WebSession | None:
    """The live session a cookie names (its last_seen_at moved on), or None: unknown, idle too long, logged
    out, or its person no longer staff."""
    if not cookie:
        return None
    row = session.scalars(select(WebSession).where(WebSession.session_hash == _digest(secret, b"session", cookie))
                          ).one_or_none()
    if row is None or row.ended_at is not None or now - row.last_seen_at > IDLE_TTL:
        return None
    if not may_sign_in(row.person):
        return None
    if now - row.last_seen_at >= SEEN_RESOLUTION:
        row.last_seen_at = now
    return row


def sign_out(session: Session, secret: bytes, cookie: str, now: datetime) -> None:
    session.execute(update(WebSession).where(WebSession.session_hash == _digest(secret, b"session", cookie),
                                             WebSession.ended_at.is_(None)).values(ended_at=now))


def form_token(secret: bytes, cookie: str) -> str:
    """The anti-forgery value every form of a session carries: derived from the session, so nothing is stored,
    and useless without the cookie it belongs to."""
    return _digest(secret, b"csrf", cookie)


def purge_logins(session: Session, now: datetime) -> int:
    """Links past their 15 minutes and sessions idle or ended past their 8 hours: nothing left to check them for."""
    links = session.execute(delete(table_of(LoginToken)).where(table_of(LoginToken).c.expires_at < now))
    web = table_of(WebSession)
    ended = session.execute(delete(web).where(or_(web.c.last_seen_at < now - IDLE_TTL,
                                                  web.c.ended_at.is_not(None))))
    return int(getattr(links, "rowcount", 0) or 0) + int(getattr(ended, "rowcount", 0) or 0)
