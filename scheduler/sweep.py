"""The sweep: turn today's (and a missed yesterday's) due reminders into outbox rows, each exactly once.

The outbox key (rule, subject, day, person) is unique, and rows go in with INSERT … ON CONFLICT DO NOTHING,
so re-running the sweep, a restart, or a second scheduler process creates no duplicates. A reminder whose
moment passed by more than the grace window is stored as "dropped" (a record, not a late-night message).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.config import Config
from storage.models import Outbox

from .quiet import next_allowed
from .rules import Audience, reminders_for

ANALYZE_AFTER = 1000  # rows a sweep inserts before it refreshes the outbox's statistics


@dataclass(frozen=True)
class SweepResult:
    queued: int
    dropped: int
    already: int


def run_sweep(session: Session, config: Config, now: datetime) -> SweepResult:
    tz = ZoneInfo(config.campaign.timezone)
    local = now.astimezone(tz)
    sc = config.scheduler
    grace = timedelta(hours=sc.grace_hours)
    audience = Audience(session)
    rows: list[dict[str, object]] = []
    days = _days(local.date(), grace)
    for day in days:
        due = datetime.combine(day, time(sc.send_hour), tz)
        if due > local:
            continue  # not yet: a later sweep today will queue it
        late = local - due > grace
        for r in reminders_for(session, config, day, audience):
            not_before = next_allowed(now, config) if not late else now
            rows.append(dict(channel=r.channel, recipient=r.recipient, text=r.text, dedup_key=r.key, rule=r.rule,
                             template=r.fields, status="dropped" if late else "pending", not_before=not_before,
                             created_at=now, attempts=0, last_error="too late: past the grace window" if late else ""))
    # Most sweeps find most reminders already queued. A reminder row is created on its day or within the grace
    # window after it, so the keys already queued for these days are among the rows created since the first of
    # them: one range scan instead of an IN-list per key. ON CONFLICT DO NOTHING still settles a race with a
    # second scheduler.
    since = datetime.combine(min(days), time(), tz)
    existing = set(session.scalars(select(Outbox.dedup_key).where(Outbox.created_at >= since, Outbox.rule != "")))
    new = [r for r in rows if r["dedup_key"] not in existing]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Outbox).on_conflict_do_nothing(index_elements=["dedup_key"])
    for chunk in _chunks(new, 1000):
        session.execute(stmt, chunk)
    if len(new) >= ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
        # Autovacuum refreshes the planner's statistics minutes later; until then it believes there are a
        # handful of pending rows and has every claim sort them all instead of reading the pending index.
        session.execute(text("ANALYZE outbox"))
    queued = sum(1 for r in new if r["status"] == "pending")
    return SweepResult(queued, len(new) - queued, len(rows) - len(new))


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _days(today: date, grace: timedelta) -> list[date]:
    """Yesterday too, when the grace window reaches back that far (the app was down over a send hour)."""
    back = max(1, grace.days + 1)
    return [today - timedelta(days=n) for n in range(back, -1, -1)]
