"""What a message finds when it arrives, and its sender's conversation state, with prebuilt statements.

Every message reads its dedup record, its sender and their conversation, and most write the conversation,
so this is the hottest path of the engine: one statement for all three reads, compiled once and run on
the driver's cursor (storage.prepared), costs a fraction of ORM queries. The conversation's change is kept
on the Slot and written with the message's dedup record (storage.outcome). A version number makes two
concurrent messages of one person collide (StaleDataError, or IntegrityError on the first insert) instead
of one silently overwriting the other; the engine then starts over from the committed state.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Dialect, String, and_, bindparam, select

from storage.models import Conversation, Person, ProcessedMessage, table_of
from storage.prepared import Prepared, without_begin

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


@dataclass
class Sender:
    """Who wrote, as the arrival statement found them: enough for menus and permissions without loading the Person."""

    person_id: int
    role: str


@dataclass
class Slot:
    """One person's conversation: the row as this message found it (id, version) and what the message wants
    of it (flow, state, wanted), written once at the end of the message (storage.outcome)."""

    channel: str
    user: str
    id: int | None = None  # the row found (None: none)
    flow: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    wanted: str = "keep"  # keep (as found) | save (flow and state) | forget (no row)

    @property
    def exists(self) -> bool:
        """Whether the conversation will have a row once the message is written."""
        return self.id is not None if self.wanted == "keep" else self.wanted == "save"


@dataclass
class Arrival:
    """What the database knows when a message arrives."""

    stored: list[str] | None  # the replies already given to this very message (a retry), else None
    sender: Sender | None  # None: an unbound visitor
    last_inbound_at: datetime | None  # when the sender last wrote
    conversation: Slot


class Conversations:
    """The arrival read, compiled for one database, and the conversation's changes, recorded on the Slot."""

    def __init__(self, dialect: Dialect) -> None:
        self._arrival = Prepared(_ARRIVAL, dialect)

    def arrive(self, conn: Connection, key: str, channel: str, user: str) -> Arrival:
        # Outside any transaction on PostgreSQL (one round trip, no BEGIN); READ COMMITTED gives a read inside
        # one no stronger guarantee, and the writes check the version and the dedup key anyway.
        with without_begin(conn):
            row = self._arrival.one(conn, {"key": key, "channel": channel, "user": user})
        person_id, role, last_inbound_at, conv_id, flow, state, version, stored = row
        slot = Slot(channel, user) if conv_id is None else Slot(channel, user, conv_id, flow, state or {}, version)
        sender = Sender(person_id, role) if person_id is not None else None
        return Arrival(list(stored) if stored is not None else None, sender, last_inbound_at, slot)

    @staticmethod
    def save(slot: Slot, flow: str | None, state: dict[str, Any]) -> None:
        if slot.exists and flow == slot.flow and state == slot.state:
            return  # nothing changed: no write
        slot.flow, slot.state, slot.wanted = flow, state, "save"

    @staticmethod
    def forget(slot: Slot) -> None:
        if slot.exists:
            slot.flow, slot.state, slot.wanted = None, {}, "forget"
