"""Record numbers that never collide: YH-YYYYMM-NNNN for hazards, JB-YYYYMM-NNNN for tips, counted per month.

Why a counter row and not max()+1: two transactions reading the same maximum both wrote the same number and
one failed on the unique index — under load on PostgreSQL a sixth of 30 simultaneous reports were refused.
Why not a PostgreSQL sequence: numbers restart each month and must have no gaps a clerk would ask about; a
counter row incremented in the record's own transaction rolls back with it.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
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
    return _numbered(session, "YH", day, Hazard.number)


def tip_number(session: Session, day: date) -> str:
    return _numbered(session, "JB", day, Tip.number)
