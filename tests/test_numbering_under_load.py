"""Record numbers are given last in a chat message's transaction (storage.numbers): the counter row a number
locks until the commit must not hold up everyone else's message while this one is still being handled."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from storage.db import migrate
from storage.models import Outbox, Tip
from storage.numbers import defer_numbers, fill_numbers, give_deferred, tip_number

DAY = date(2026, 6, 10)


def _tip(session: Session, what: str) -> Tip:
    tip = Tip(number=tip_number(session, DAY), receipt_hash=f"h-{what}", what=what, received_on=DAY.isoformat())
    session.add(tip)
    return tip


def test_a_message_still_being_handled_holds_up_no_other_number(pg_url):
    migrate(pg_url)
    engine = create_engine(pg_url)
    try:
        with engine.connect() as slow_conn, Session(bind=slow_conn) as slow:
            # A chat message half-way: its tip made, a notice naming it queued, the message not yet done.
            defer_numbers(slow)
            tip = _tip(slow, "仓库通道堵塞")
            slow.add(Outbox(channel="wechat", recipient="o_staff", text=f"新举报 {tip.number} 待处理",
                            template={"fields": [tip.number]}, created_at=datetime.now(timezone.utc)))
            slow.flush()
            reply = f"举报已受理，编号 {tip.number}。"

            # Meanwhile another message numbers its tip and commits, without waiting on the first.
            with engine.connect() as other_conn:
                other_conn.execute(text("SET lock_timeout = '2s'"))  # waiting on the first would fail
                other_conn.commit()
                with Session(bind=other_conn) as other:
                    _tip(other, "配电箱漏电")
                    other.commit()

            numbers = give_deferred(slow)
            slow.commit()
        assert fill_numbers(reply, numbers) == "举报已受理，编号 JB-202606-0002。"
        with Session(engine) as s:
            assert s.scalars(select(Tip.number).order_by(Tip.number)).all() == ["JB-202606-0001", "JB-202606-0002"]
            notice = s.scalars(select(Outbox)).one()
            assert notice.text == "新举报 JB-202606-0002 待处理" and notice.template == {"fields": ["JB-202606-0002"]}
    finally:
        engine.dispose()
