"""The engine's hot path on PostgreSQL: how many round trips an ordinary message costs, and what a dropped
connection does to a message (it is answered, on a fresh connection, without a liveness ping per checkout).

Round trips are counted from libpq's own protocol trace: each one ends with the server's ReadyForQuery.
"""
from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, event, func, select, text

from handlers.messages import TEXT, Incoming
from storage.config import parse_config
from storage.db import migrate
from storage.models import Conversation, Person, ProcessedMessage


@pytest.fixture
def pg_services(tmp_path, pg_url, recognizer):  # type: ignore[no-untyped-def]
    from bot.services import build_services

    migrate(pg_url)
    services = build_services(parse_config({
        "database": {"url": pg_url}, "security": {"secret_key": "hot-path"},
        "server": {"instance_dir": str(tmp_path / "inst")}}), nlu=recognizer)
    yield services
    services.close()


class Trace:
    """libpq's trace of every connection the engine opens, in one file; round trips counted from an offset."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        fd, self.path = tempfile.mkstemp(prefix="hb-pgtrace-")
        os.close(fd)
        self._files: list = []

        @event.listens_for(engine, "connect")
        def _trace(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            fh = open(self.path, "a")  # noqa: SIM115 - closed with the trace
            self._files.append(fh)
            dbapi_conn.pgconn.trace(fh.fileno())

        self.mark = 0

    def lines(self) -> list[str]:
        with open(self.path) as fh:
            return fh.read().splitlines()

    def start(self) -> None:
        self.mark = len(self.lines())

    def round_trips(self) -> int:
        return sum(1 for line in self.lines()[self.mark:] if "\tB\t" in line and "ReadyForQuery" in line)

    def statements(self) -> list[str]:
        return [line.split('"')[1] if '"' in line else line for line in self.lines()[self.mark:]
                if "\tF\t" in line and ("Parse" in line or "Query" in line)]


def _msg(key: str, text_: str, user: str = "o_hot") -> Incoming:
    return Incoming(channel="wechat", user_id=user, msg_key=key, kind=TEXT, created_at=datetime.now(timezone.utc),
                    text=text_)


def test_an_ordinary_message_is_at_most_three_round_trips(pg_services):
    from bot.engine import Engine

    engine = Engine(pg_services)
    trace = Trace(pg_services.engine)
    engine.handle(_msg("warm-1", "绑定"))  # connects (SQLAlchemy's first-connect queries) and starts a flow
    engine.handle(_msg("warm-2", "取消"))
    for i, word in enumerate(["绑定", "取消", "绑定", "取消"]):
        trace.start()
        replies = engine.handle(_msg(f"m{i}", word))
        assert replies and "抱歉" not in replies[0]
        trips = trace.round_trips()
        assert trips <= 3, (word, trips, trace.statements())
    # The flow's state and the dedup records were written: nothing was skipped to save the trips.
    with pg_services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ProcessedMessage)) == 6
        assert s.scalars(select(Conversation.flow)).all() in ([], [None])
    # A retry of the last message: one read, its stored reply.
    trace.start()
    assert engine.handle(_msg("m3", "取消")) == replies
    assert trace.round_trips() == 1


def test_a_stale_conversation_version_writes_nothing_and_starts_over(pg_services):
    """Two messages of one person raced: the loser's single statement inserts no dedup record."""
    from bot.engine import Engine

    engine = Engine(pg_services)
    engine.handle(_msg("a1", "绑定"))
    original = engine.conversations.arrive
    calls: list[str] = []

    def raced(conn, key, channel, user):  # type: ignore[no-untyped-def]
        arrival = original(conn, key, channel, user)
        calls.append(key)
        if len(calls) == 1:  # another message of the same person commits between our read and our write
            with pg_services.engine.begin() as other:
                other.execute(text("UPDATE conversations SET version = version + 1"))
        return arrival

    engine.conversations.arrive = raced  # type: ignore[method-assign]
    replies = engine.handle(_msg("a2", "取消"))
    assert len(calls) == 2  # the first attempt's write matched no version and wrote nothing; the second did
    assert "取消" in replies[0], replies
    with pg_services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ProcessedMessage)) == 2
        assert s.scalars(select(Conversation.flow)).all() in ([], [None])  # the flow was left


def test_a_dropped_connection_is_retried_on_a_fresh_one(pg_services, pg_url):
    from bot.engine import Engine

    engine = Engine(pg_services)
    assert "邀请码" in engine.handle(_msg("d1", "绑定"))[0]
    # The server ends every connection of this database, as a restart or failover would.
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        killed = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
    admin.dispose()
    assert killed >= 1
    replies = engine.handle(_msg("d2", "取消"))
    assert "已取消" in replies[0], replies
    with pg_services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ProcessedMessage)) == 2
        assert s.scalar(select(func.count()).select_from(Person)) == 0
