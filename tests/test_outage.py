"""A database that goes away: people are told 系统维护中 within a second, the log gets a line a minute instead
of a traceback a message, and no database error ever brings a stored value into the log."""
from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.engine import make_url

from bot.app import create_app
from bot.engine import UNAVAILABLE_TEXT
from bot.logs import WithholdDatabaseErrors
from bot.services import build_services
from conftest import make_config
from storage.db import migrate
from storage.failures import Outage, summary
from storage.models import Person, Unit
from wechat_peer import WeChatPeer


class CuttableProxy:
    """A TCP forwarder in front of PostgreSQL: cut() drops every connection and refuses new ones, as a
    database restart does; mend() lets them through again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.pairs: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()  # refused, as far as the driver can tell
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.pairs += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self.open = False
        with self.lock:
            for s in self.pairs:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.pairs.clear()

    def mend(self) -> None:
        self.open = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def proxied(tmp_path, clock, recognizer, pg_url, redis_url, redis_prefix) -> Iterator[tuple[Any, CuttableProxy]]:
    migrate(pg_url)
    real = make_url(pg_url)
    proxy = CuttableProxy((real.host or "127.0.0.1", real.port or 5432))
    url = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    config = make_config(tmp_path, url, redis={"url": redis_url, "prefix": redis_prefix})
    services = build_services(config, clock=clock, nlu=recognizer)
    app = create_app(services=services)
    with services.sessions.begin() as s:
        unit = Unit(name="青山湖镇", kind="town")
        s.add(unit)
        s.flush()
        s.add(Person(channel="wechat", external_id="o_town_clerk", role="staff", unit_id=unit.id))
    yield app, proxy
    app.extensions["hazardbot"].responder.shutdown()
    app.extensions["hazardbot"].pushes.stop()
    proxy.close()
    services.close()


def test_an_outage_is_a_line_a_minute_and_every_message_is_answered_within_a_second(proxied, caplog):
    app, proxy = proxied
    peer = WeChatPeer(app.test_client())
    assert "指标完成情况" in peer.send_text("o_town_clerk", "本月还差几条").text
    caplog.set_level(logging.WARNING)
    proxy.cut()
    slowest, replies = 0.0, set()
    began = time.monotonic()
    sent = 0
    while time.monotonic() - began < 6:  # six seconds of a town's messages
        t0 = time.monotonic()
        replies.add(peer.send_text(f"o_person_{sent % 40}", "本月还差几条").text)
        slowest = max(slowest, time.monotonic() - t0)
        sent += 1
    assert replies == {UNAVAILABLE_TEXT}
    assert slowest < 1.0
    assert sent > 50
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) <= 3, [r.getMessage()[:120] for r in lines]
    assert not any(r.exc_info for r in lines)
    proxy.mend()
    time.sleep(1.1)  # the next probe
    assert "指标完成情况" in peer.send_text("o_town_clerk", "本月还差几条").text
    assert any("available again" in r.getMessage() for r in caplog.records)


def test_the_outage_log_counts_what_it_did_not_write():
    now = [0.0]
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = logging.getLogger("outage-test")
    logger.addHandler(Collect())
    outage = Outage(clock=lambda: now[0], logger=logger)
    error = ConnectionRefusedError("refused")
    outage.failed(error)
    for step in range(1, 1588):  # 1 587 messages over ten minutes
        now[0] = step * 600 / 1587
        if not outage.skip():
            outage.failed(error)
    outage.recovered()
    # The first failure, then one line a minute (the tenth minute may not have ended), then the recovery.
    assert "unavailable:" in records[0] and "available again after 600 s" in records[-1]
    minutes = records[1:-1]
    assert 9 <= len(minutes) <= 10
    assert "after 60 s" in minutes[0] and "after 54" in minutes[8]
    counts = [int(line.split(": ")[1].split(" messages")[0]) for line in minutes]
    assert all(150 <= n <= 160 for n in counts)
    assert "1588 messages" in records[-1]


def test_a_database_error_never_carries_a_stored_value_into_the_log(pg_url):
    from sqlalchemy import create_engine

    marker = "举报人手机13800" + secrets.token_hex(3)
    engine = create_engine(pg_url, hide_parameters=True)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE probe (v text UNIQUE)"))
        conn.execute(text("INSERT INTO probe VALUES (:v)"), {"v": marker})
    with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
        conn.execute(text("INSERT INTO probe VALUES (:v)"), {"v": marker})
    assert marker in str(caught.value)  # PostgreSQL's DETAIL quotes it, so the test can fail
    line = summary(caught.value)
    assert marker not in line and "SQLSTATE 23505" in line and "UniqueViolation" in line
    # …and a library that logs the exception itself, through the handler filter.
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Collect()
    handler.addFilter(WithholdDatabaseErrors())
    handler.setFormatter(logging.Formatter("%(message)s"))
    lib = logging.getLogger("apscheduler.executors.default")
    lib.addHandler(handler)
    try:
        try:
            raise caught.value
        except IntegrityError:
            lib.exception("Job %s raised an exception", "reminders")
    finally:
        lib.removeHandler(handler)
    assert records and marker not in records[0] and "SQLSTATE 23505" in records[0] and "reminders" in records[0]
    engine.dispose()


def test_an_error_in_the_middle_of_a_tip_logs_neither_its_words_nor_the_database_message(services, caplog,
                                                                                         monkeypatch):
    from handlers.tip import TipFlow

    marker = "老板姓王" + secrets.token_hex(3)
    original = TipFlow.resume

    def failing(self, ctx, state, msg):  # type: ignore[no-untyped-def]
        if marker in msg.text:
            # A statement whose error message quotes the input, as "invalid input syntax" does on PostgreSQL.
            raise ValueError(f"invalid literal for int() with base 10: {msg.text!r}")
        return original(self, ctx, state, msg)

    monkeypatch.setattr(TipFlow, "resume", failing)
    app = create_app(services=services)
    peer = WeChatPeer(app.test_client())
    caplog.set_level(logging.DEBUG)
    peer.send_text("o_someone", "我要举报")
    reply = peer.send_text("o_someone", marker).text
    assert "没有处理" in reply
    logged = "\n".join(r.getMessage() + (str(r.exc_info) if r.exc_info else "") for r in caplog.records)
    assert "engine failed" in logged and "ValueError" in logged
    assert marker not in logged and "o_someone" not in logged
    app.extensions["hazardbot"].responder.shutdown()
    app.extensions["hazardbot"].pushes.stop()
