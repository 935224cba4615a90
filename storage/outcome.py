"""What a message leaves behind, written at its end: its conversation's new state, when its sender last wrote,
and its dedup record — one statement on PostgreSQL.

On PostgreSQL every statement is a round trip to the server, and the server shares the machine's cores
with the web workers: a message used to take six (the pool's liveness ping, BEGIN, the arrival read, the
conversation write, the dedup insert, COMMIT). Here the three writes are one INSERT whose data-modifying
CTEs write the conversation and the person, and it runs on its own, outside any transaction, when the
handlers ran no statement of their own: together with the arrival read (storage.prepared.read_outside_
transaction) an ordinary message is two round trips. A message whose handlers did use the database is in
a transaction by then; the same statement runs in it and the engine's COMMIT follows.

The conversation's optimistic version check survives the merge: the dedup row is inserted only if the
conversation's UPDATE/DELETE matched (WHERE EXISTS over the CTE), so a stale version inserts nothing, and
the caller raises StaleDataError and starts over, as before. A twin message still collides on the dedup
key (IntegrityError). SQLite has no data-modifying CTEs and no round trips: it runs the statements one
after the other in the message's transaction.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Dialect, bindparam, cast, delete, exists, insert, literal_column, select, update
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql import ClauseElement

from .conversations import Slot
from .models import Conversation, Person, ProcessedMessage, table_of
from .prepared import Prepared

_CONV = table_of(Conversation)
_PEOPLE = table_of(Person)
_DEDUP = table_of(ProcessedMessage)

# What happens to the conversation row: nothing, a new row, a new version of the row, or no row.
KEEP, INSERT, UPDATE, DELETE = "keep", "insert", "update", "delete"
_ONE: Any = literal_column("1")  # in the SQL text, not a parameter


def conversation_op(slot: Slot) -> str:
    if slot.wanted == "save":
        return INSERT if slot.id is None else UPDATE
    if slot.wanted == "forget" and slot.id is not None:
        return DELETE
    return KEEP


def _conversation_statement(op: str, returning: bool) -> Any:
    stmt: Any
    if op == INSERT:
        stmt = insert(_CONV).values(channel=bindparam("c_channel"), external_id=bindparam("c_user"),
                                    flow=bindparam("c_flow"), state=bindparam("c_state"), version=_ONE,
                                    updated_at=bindparam("c_now"))
    elif op == UPDATE:
        stmt = (update(_CONV).where(_CONV.c.id == bindparam("c_id"), _CONV.c.version == bindparam("c_version"))
                .values(flow=bindparam("c_flow"), state=bindparam("c_state"), version=_CONV.c.version + _ONE,
                        updated_at=bindparam("c_now")))
    else:
        stmt = delete(_CONV).where(_CONV.c.id == bindparam("c_id"), _CONV.c.version == bindparam("c_version"))
    return stmt.returning(_CONV.c.id) if returning else stmt


_SEEN = update(_PEOPLE).where(_PEOPLE.c.id == bindparam("s_person")).values(last_inbound_at=bindparam("s_now"))
_RECORD = insert(_DEDUP).values(key=bindparam("d_key"), replies=bindparam("d_replies"),
                                created_at=bindparam("d_now"))


def _combined(op: str, seen: bool) -> ClauseElement:
    """The PostgreSQL statement for one combination of writes: WITH conv AS (…), seen AS (…) INSERT …"""
    # A SELECT list's parameters have no column to take their type from: cast each to its column's.
    values = select(*(cast(bindparam(name, type_=col.type), col.type) for name, col in (
        ("d_key", _DEDUP.c.key), ("d_replies", _DEDUP.c.replies), ("d_now", _DEDUP.c.created_at))))
    ctes = []
    if op != KEEP:
        conv = _conversation_statement(op, returning=True).cte("conv")
        ctes.append(conv)
        values = values.where(exists(select(_ONE).select_from(conv)))
    if seen:
        ctes.append(_SEEN.cte("seen"))
    stmt = insert(_DEDUP).from_select(["key", "replies", "created_at"], values)
    return stmt.add_cte(*ctes) if ctes else stmt


class MessageWrites:
    """The end-of-message writes, compiled once for one database."""

    def __init__(self, dialect: Dialect) -> None:
        self._combined = dialect.name == "postgresql"
        self._dialect = dialect
        self._statements: dict[Any, Prepared] = {}

    def _prepared(self, key: Any, build: Any) -> Prepared:
        prepared = self._statements.get(key)
        if prepared is None:
            prepared = self._statements[key] = Prepared(build(), self._dialect)
        return prepared

    def write(self, conn: Connection, slot: Slot, seen_person: int | None, key: str, replies: list[str],
              now: datetime) -> None:
        """Write the conversation (if it changed), the sender's last message time (if due) and the dedup record.

        Raises StaleDataError when another message of the same person changed the conversation first, and
        IntegrityError when a twin of this message was recorded first: the caller starts over either way.
        """
        op = conversation_op(slot)
        params: dict[str, Any] = {"d_key": key, "d_replies": replies, "d_now": now}
        if op in (UPDATE, DELETE):
            params.update(c_id=slot.id, c_version=slot.version)
        if op in (INSERT, UPDATE):
            params.update(c_channel=slot.channel, c_user=slot.user, c_flow=slot.flow, c_state=slot.state, c_now=now)
        if seen_person is not None:
            params.update(s_person=seen_person, s_now=now)
        if self._combined:
            stmt = self._prepared((op, seen_person is not None), lambda: _combined(op, seen_person is not None))
            if stmt.rowcount(conn, params) != 1:
                raise StaleDataError("conversation changed by a concurrent message")
            return
        # SQLite: the statements one by one; the conversation's first, as its version check may fail.
        if op != KEEP:
            one = self._prepared(op, lambda: _conversation_statement(op, returning=False))
            if one.rowcount(conn, params) != 1:
                raise StaleDataError("conversation changed by a concurrent message")
        if seen_person is not None:
            self._prepared("seen", lambda: _SEEN).rowcount(conn, params)
        self._prepared("record", lambda: _RECORD).rowcount(conn, params)

    def write_conversation(self, conn: Connection, slot: Slot, now: datetime) -> None:
        """Only the conversation's change, for a message that leaves no dedup record here (an anonymous tip's:
        its record is kept in the private store); raises StaleDataError like write()."""
        op = conversation_op(slot)
        if op == KEEP:
            return
        params: dict[str, Any] = {}
        if op in (UPDATE, DELETE):
            params.update(c_id=slot.id, c_version=slot.version)
        if op in (INSERT, UPDATE):
            params.update(c_channel=slot.channel, c_user=slot.user, c_flow=slot.flow, c_state=slot.state, c_now=now)
        one = self._prepared(op, lambda: _conversation_statement(op, returning=False))
        if one.rowcount(conn, params) != 1:
            raise StaleDataError("conversation changed by a concurrent message")
