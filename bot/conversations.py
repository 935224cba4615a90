"""What a message finds when it arrives, and its sender's conversation state, with prebuilt statements.

Every message reads its dedup record, its sender and their conversation, and most write the conversation,
so this is the hottest path of the engine: one statement for all three reads, and plain rows and statements
built once, cost a fraction of separate ORM queries built afresh. A version number makes two concurrent
messages of one person collide (StaleDataError, or IntegrityError on the first insert) instead of one
silently overwriting the other; the engine then starts over from the committed state.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from handlers.base import Sender
from storage.models import Conversation, Person, ProcessedMessage

_T = Conversation.__table__


def _arrival_statement():  # type: ignore[no-untyped-def]
    # Outer joins from a one-row "me" so that a missing person or conversation still yields the row.
    me = select(bindparam("channel", type_=String).label("channel"),
                bindparam("user", type_=String).label("user")).subquery("me")
    dedup = ProcessedMessage.__table__
    stored = select(dedup.c.replies).where(dedup.c.key == bindparam("key")).scalar_subquery()
    people = Person.__table__
    return (select(people.c.id.label("person_id"), people.c.role, people.c.last_inbound_at,
                   _T.c.id, _T.c.flow, _T.c.state, _T.c.version, stored.label("stored"))
            .select_from(me)
            .outerjoin(people, and_(people.c.channel == me.c.channel, people.c.external_id == me.c.user))
            .outerjoin(_T, and_(_T.c.channel == me.c.channel, _T.c.external_id == me.c.user)))


_ARRIVAL = _arrival_statement()
_PEOPLE = Person.__table__
_SEEN = update(_PEOPLE).where(_PEOPLE.c.id == bindparam("person_id")).values(last_inbound_at=bindparam("now"))
_INSERT = insert(_T).returning(_T.c.id)
_UPDATE = (update(_T).where(_T.c.id == bindparam("row_id"), _T.c.version == bindparam("seen"))
           .values(flow=bindparam("new_flow"), state=bindparam("new_state"), version=bindparam("next"),
                   updated_at=bindparam("now")))
_DELETE = delete(_T).where(_T.c.id == bindparam("row_id"), _T.c.version == bindparam("seen"))


@dataclass
class Slot:
    """One person's conversation as this message found it, kept current as the message changes it."""

    channel: str
    user: str
    id: int | None = None  # None: no row (yet)
    flow: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.id is not None

    def save(self, session: Session, flow: str | None, state: dict[str, Any], now: datetime) -> None:
        if self.id is None:
            self.id = session.connection().execute(_INSERT, {
                "channel": self.channel, "external_id": self.user, "flow": flow, "state": state, "version": 1,
                "updated_at": now}).scalar_one()
            self.version = 1
        elif flow == self.flow and state == self.state:
            return  # nothing changed: no write
        else:
            done = session.connection().execute(_UPDATE, {"row_id": self.id, "seen": self.version, "new_flow": flow,
                                             "new_state": state, "next": self.version + 1, "now": now})
            if done.rowcount != 1:
                raise StaleDataError("conversation changed by a concurrent message")
            self.version += 1
        self.flow, self.state = flow, state

    def forget(self, session: Session) -> None:
        if self.id is None:
            return
        done = session.connection().execute(_DELETE, {"row_id": self.id, "seen": self.version})
        if done.rowcount != 1:
            raise StaleDataError("conversation changed by a concurrent message")
        self.id, self.flow, self.state, self.version = None, None, {}, 0


@dataclass
class Arrival:
    """What the database knows when a message arrives."""

    stored: list[str] | None  # the replies already given to this very message (a retry), else None
    sender: Sender | None  # None: an unbound visitor
    last_inbound_at: datetime | None  # when the sender last wrote
    conversation: Slot


def arrive(session: Session, key: str, channel: str, user: str) -> Arrival:
    row = session.connection().execute(_ARRIVAL, {"key": key, "channel": channel, "user": user}).one()
    person_id, role, last_inbound_at, conv_id, flow, state, version, stored = row
    slot = Slot(channel, user) if conv_id is None else Slot(channel, user, conv_id, flow, state or {}, version)
    sender = Sender(person_id, role) if person_id is not None else None
    return Arrival(list(stored) if stored is not None else None, sender, last_inbound_at, slot)


def mark_seen(session: Session, person_id: int, now: datetime) -> None:
    """Record when a person last wrote (it opens WeChat's 48-hour customer-service window)."""
    session.connection().execute(_SEEN, {"person_id": person_id, "now": now})
