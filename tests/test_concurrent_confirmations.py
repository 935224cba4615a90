"""100 people confirm a hazard report at the same instant on PostgreSQL, and WeChat delivers each confirmation
twice, to two workers with their own connections: every report is filed once, the numbers never collide,
nobody is told the system is busy or that their message was not processed, and both copies get one answer."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from sqlalchemy import func, select

from bot.engine import ERROR_TEXT, UNAVAILABLE_TEXT, Engine
from bot.services import build_services
from conftest import make_config
from handlers.messages import TEXT, Incoming
from storage.db import migrate
from storage.models import Enterprise, Hazard, Person, Unit

PEOPLE = 100
REPORT = ("上报隐患", "仓库消防栓没水", "是", "2", "完成", "2", "张三", "维修消防栓", "0.5", "6月30日", "专人值守")


def message(user: str, text: str, key: str) -> Incoming:
    return Incoming(channel="wechat", user_id=user, msg_key=key, kind=TEXT, created_at=datetime.now(timezone.utc),
                    text=text)


def test_simultaneous_twin_confirmations_on_postgresql(tmp_path, pg_url, clock, recognizer):
    config = make_config(tmp_path, pg_url)
    migrate(pg_url)
    first = build_services(config, clock=clock, nlu=recognizer)
    second = build_services(config, clock=clock, nlu=recognizer)
    try:
        with first.sessions.begin() as s:
            town = Unit(name="青山湖镇", kind="town")
            s.add(town)
            s.flush()
            for n in range(PEOPLE):
                ent = Enterprise(name=f"第{n}号企业", industry="工贸", town_id=town.id)
                s.add(ent)
                s.flush()
                s.add(Person(channel="wechat", external_id=f"o_{n}", role="enterprise_head", enterprise_id=ent.id))
        worker_a, worker_b = Engine(first), Engine(second)
        for n in range(PEOPLE):
            for step, text in enumerate(REPORT):
                worker_a.handle(message(f"o_{n}", text, f"{n}-{step}"))
        start = threading.Barrier(2 * PEOPLE)

        def confirm(job: tuple[int, Engine]) -> tuple[int, list[str]]:
            n, worker = job
            start.wait()
            return n, worker.handle(message(f"o_{n}", "1", f"{n}-confirm"))

        jobs = [(n, w) for n in range(PEOPLE) for w in (worker_a, worker_b)]
        with ThreadPoolExecutor(2 * PEOPLE) as pool:
            answers = list(pool.map(confirm, jobs))
        by_person: dict[int, list[list[str]]] = {}
        for n, replies in answers:
            by_person.setdefault(n, []).append(replies)
        for n, (one, two) in by_person.items():
            assert one == two, (n, one, two)  # the twin got the same answer
            text = "\n".join(one)
            assert "已登记 YH-202606-" in text, (n, text)
            for refusal in ("系统正忙", ERROR_TEXT, UNAVAILABLE_TEXT):
                assert refusal not in text
        with first.sessions() as s:
            numbers = s.scalars(select(Hazard.number)).all()
            assert len(numbers) == PEOPLE and len(set(numbers)) == PEOPLE
            assert sorted(numbers) == [f"YH-202606-{i:04d}" for i in range(1, PEOPLE + 1)]
            assert s.scalar(select(func.count()).select_from(Hazard).where(Hazard.status == "待整改")) == PEOPLE
    finally:
        first.close()
        second.close()
