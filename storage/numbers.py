"""Record numbers that never collide: YH-YYYYMM-NNNN for hazards, JB-YYYYMM-NNNN for tips, counted per month.

Why a counter row and not max()+1: two transactions reading the same maximum both wrote the same number and
one failed on the unique index — under load on PostgreSQL a sixth of 30 simultaneous reports were refused.
Why not a PostgreSQL sequence: numbers restart each month and must have no gaps a clerk would ask about; a
counter row incremented in the record's own transaction rolls back with it.

The price of a counter row is that its lock is held from the increment until the commit, so every message
that numbers a record waits for the one before it to commit. Under load (a self-check submitted, a tip
confirmed: a few a second) the holder was still checking, notifying and writing long after taking its
number, and up to 14 transactions queued on the row for seconds. A chat message's session therefore defers
its numbers (defer_numbers): a record gets a placeholder, and give_deferred() — the message's last work
before its commit — takes the numbers and writes them wherever the placeholder went (the records, the
notices queued, the replies).
"""
from __future__ import annotations

import json
import re
import secrets
from datetime import date
from typing import Any

from sqlalchemy import event, func, inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .models import Counter, Hazard, Tip


def next_value(session: Session, name: str, floor: int = 0) -> int:
    """The counter's next value, in the caller's transaction. `floor`: numbers already given without the counter
    (records from before it existed); the first increment starts above them."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Counter).values(name=name, value=floor + 1)
    stmt = stmt.on_conflict_do_update(index_elements=["name"], set_={"value": Counter.value + 1})
    value = session.execute(stmt.returning(Counter.value)).scalar_one()
    return int(value)


def _numbered(session: Session, prefix: str, month: date, column: Any) -> str:
    head = f"{prefix}-{month:%Y%m}-"
    exists = session.get(Counter, head) is not None
    floor = 0
    if not exists:
        last = session.scalar(select(func.max(column)).where(column.like(head + "%")))
        floor = int(last.rsplit("-", 1)[1]) if last else 0
    return f"{head}{next_value(session, head, floor):04d}"


def hazard_number(session: Session, day: date) -> str:
    return _number_or_placeholder(session, "YH", day)


def tip_number(session: Session, day: date) -> str:
    return _number_or_placeholder(session, "JB", day)


_COLUMNS: dict[str, Any] = {"YH": Hazard.number, "JB": Tip.number}
_DEFER, _RESERVED, _TOUCHED = "numbers.defer", "numbers.reserved", "numbers.touched"
# Unique across concurrent transactions (two uncommitted rows with one value would wait on each other in the
# unique index) and short enough for the number's column.
_PLACEHOLDER = re.compile(r"⟦(?:YH|JB)#[0-9a-f]{12}⟧")


def defer_numbers(session: Session) -> None:
    """This session's records are numbered at the end of its transaction (give_deferred), not when made."""
    session.info[_DEFER] = True


def _keep_touched(session: Session, flush_context: Any, instances: Any) -> None:
    # The session holds its objects weakly: one flushed with a placeholder and no longer referenced would be
    # gone by the time the numbers are given. Once a number is deferred, what is flushed is kept till then.
    if session.info.get(_RESERVED):
        session.info.setdefault(_TOUCHED, []).extend([*session.new, *session.dirty])


def _number_or_placeholder(session: Session, prefix: str, day: date) -> str:
    if not session.info.get(_DEFER):
        return _numbered(session, prefix, day, _COLUMNS[prefix])
    placeholder = f"⟦{prefix}#{secrets.token_hex(6)}⟧"
    if _RESERVED not in session.info:
        # Only a message that numbers something keeps what it flushes (most messages number nothing).
        event.listen(session, "before_flush", _keep_touched)
    session.info.setdefault(_RESERVED, []).append((placeholder, prefix, day))
    return placeholder


def give_deferred(session: Session) -> dict[str, str]:
    """Number the records this session made, in the order they were made, and put the numbers wherever their
    placeholders went in the session's objects (a notice's text, a template's fields); returns placeholder →
    number for what lies outside the session (the replies, the conversation). Call it last before the commit:
    the counter rows stay locked from here until then."""
    if not session.info.get(_RESERVED):
        return {}
    session.flush()  # while numbers are owed, so what it writes is kept (_keep_touched)
    reserved = session.info.pop(_RESERVED)
    numbers = {placeholder: _numbered(session, prefix, day, _COLUMNS[prefix]) for placeholder, prefix, day in reserved}
    touched = {id(obj): obj for obj in [*session.info.pop(_TOUCHED, []), *session.identity_map.values()]}
    for obj in touched.values():
        state = inspect(obj)
        for attr in state.mapper.column_attrs:
            value = state.dict.get(attr.key)  # what is loaded or set; nothing is loaded for this
            filled = fill_numbers(value, numbers)
            if filled is not value:
                setattr(obj, attr.key, filled)
    session.flush()
    return numbers


def fill_numbers(value: Any, numbers: dict[str, str]) -> Any:
    """`value` (a text, or a JSON value) with the placeholders in `numbers` replaced; the same object when it
    holds none."""
    if not numbers:
        return value
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: numbers.get(m.group(0), m.group(0)), value) if "⟦" in value else value
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
        return json.loads(fill_numbers(text, numbers)) if "⟦" in text else value
    return value
