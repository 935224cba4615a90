"""What a message finds when it arrives, and its sender's conversation state, with prebuilt statements.

Every message reads its dedup record, its sender and their conversation, and most write the conversation,
so this is the hottest path of the engine: one statement for all three reads, compiled once and run on
the driver's cursor (storage.prepared), costs a fraction of ORM queries. A version number makes two
concurrent messages of one person collide (StaleDataError, or IntegrityError on the first insert) instead
of one silently overwriting the other; the engine then starts over from the committed state.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Dialect, String, and_, bindparam, delete, insert, select, update
from sqlalchemy.orm.exc import StaleDataError

from storage.models import Conversation, Person, ProcessedMessage, table_of
from storage.prepared import Prepared

_T = table_of(Conversation)


def _arrival_statement():
    # Outer joins from a one-row "me" so that a missing person or conversation still yields the row.
    me = select(bindparam("channel", type_=String).label("channel"),
                bindparam("user", type_=String).label("user")).subquery("me")
    dedup = table_of(ProcessedMessage)
    stored = select(dedup.c.replies).where(dedup.c.key == bindparam("key")).scalar_subquery()
    people = table_of(Person)
    return (select(people.c.id.label("person_id"), people.c.role, people.c.last_inbound_at,
                   _T.c.id, _T.c.flow, _T.c.state, _T.c.version, stored.label("stored"))
            .select_from(me)
            .outerjoin(people, and_(people.c.channel == me.c.channel, people.c.external_id == me.c.user))
            .outerjoin(_T, and_(_T.c.channel == me.c.channel, _T.c.external_id == me.c.user)))


_ARRIVAL = _arrival_statement()
_PEOPLE = table_of(Person)
_SEEN = update(_PEOPLE).where(_PEOPLE.c.id == bindparam("person_id")).values(last_inbound_at=bindparam("now"))
_INSERT = (insert(_T).values(channel=bindparam("channel"), external_id=bindparam("external_id"),
                             flow=bindparam("flow"), state=bindparam("state"), version=bindparam("version"),
                             updated_at=bindparam("updated_at"))
           .returning(_T.c.id))
_UPDATE = (update(_T).where(_T.c.id == bindparam("row_id"), _T.c.version == bindparam("seen"))
           .values(flow=bindparam("new_flow"), state=bindparam("new_state"), version=bindparam("next"),
                   updated_at=bindparam("now")))
_DELETE = delete(_T).where(_T.c.id == bindparam("row_id"), _T.c.version == bindparam("seen"))


@dataclass
class Sender:
    """Who wrote, as the arrival statement found them: enough for menus and permissions without loading the Person."""

    person_id: int
    role: str


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


@dataclass
class Arrival:
    """What the database knows when a message arrives."""

    stored: list[str] | None  # the replies already given to this very message (a retry), else None
    sender: Sender | None  # None: an unbound visitor
    last_inbound_at: datetime | None  # when the sender last wrote
    conversation: Slot


class Conversations:
    """The hot path's statements, compiled for one database; each call runs in the caller's transaction."""

    def __init__(self, dialect: Dialect) -> None:
        self._arrival = Prepared(_ARRIVAL, dialect)
        self._seen = Prepared(_SEEN, dialect)
        self._insert = Prepared(_INSERT, dialect)
        self._update = Prepared(_UPDATE, dialect)
        self._delete = Prepared(_DELETE, dialect)

    def arrive(self, conn: Connection, key: str, channel: str, user: str) -> Arrival:
        row = self._arrival.one(conn, {"key": key, "channel": channel, "user": user})
        person_id, role, last_inbound_at, conv_id, flow, state, version, stored = row
        slot = Slot(channel, user) if conv_id is None else Slot(channel, user, conv_id, flow, state or {}, version)
        sender = Sender(person_id, role) if person_id is not None else None
        return Arrival(list(stored) if stored is not None else None, sender, last_inbound_at, slot)

    def mark_seen(self, conn: Connection, person_id: int, now: datetime) -> None:
        """Record when a person last wrote (it opens WeChat's 48-hour customer-service window)."""
        self._seen.rowcount(conn, {"person_id": person_id, "now": now})

    def save(self, conn: Connection, slot: Slot, flow: str | None, state: dict[str, Any], now: datetime) -> None:
        if slot.id is None:
            (slot.id,) = self._insert.one(conn, {
                "channel": slot.channel, "external_id": slot.user, "flow": flow, "state": state, "version": 1,
                "updated_at": now})
            slot.version = 1
        elif flow == slot.flow and state == slot.state:
            return  # nothing changed: no write
        else:
            done = self._update.rowcount(conn, {"row_id": slot.id, "seen": slot.version, "new_flow": flow,
                                                "new_state": state, "next": slot.version + 1, "now": now})
            if done != 1:
                raise StaleDataError("conversation changed by a concurrent message")
            slot.version += 1
        slot.flow, slot.state = flow, state

    def forget(self, conn: Connection, slot: Slot) -> None:
        if slot.id is None:
            return
        if self._delete.rowcount(conn, {"row_id": slot.id, "seen": slot.version}) != 1:
            raise StaleDataError("conversation changed by a concurrent message")
        slot.id, slot.flow, slot.state, slot.version = None, None, {}, 0
