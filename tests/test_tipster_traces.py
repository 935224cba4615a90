"""Files on disk after an anonymous tip: nothing in them leads back to the person who sent it.

What an operator with a copy of the server's files has — the instance directory (SQLite database, its WAL,
photos, exports, the server's log) or, on PostgreSQL, the table files and the WAL after a CHECKPOINT — is
searched byte by byte for the tipster's openid and for the text of a draft they abandoned, while the server
runs and after it stops. The second test is the linking attack: database, secret key and 5 000 candidate
openids, every key the server derives from an openid tried against every value stored.
"""
from __future__ import annotations

import logging
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.app import create_app
from bot.services import build_services
from conftest import PG_ADMIN, make_config
from fake_wechat_api import FakeWeChatAPI
from storage.db import migrate
from storage.dedup import message_key
from storage.ephemeral import private_key
from storage.models import Base, Enterprise, Person, Unit
from storage.ratelimit import limiter_key
from wechat_peer import WeChatPeer

RECEIPT = re.compile(r"\b([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})\b")


@pytest.fixture
def api() -> Iterator[FakeWeChatAPI]:
    with FakeWeChatAPI() as fake:
        yield fake


def seed(services: Any) -> None:
    with services.sessions.begin() as s:
        town = Unit(name="青山湖镇", kind="town")
        dept = Unit(name="应急管理局", kind="department", industries=["危险化学品"])
        s.add_all([town, dept])
        s.flush()
        s.add(Enterprise(name="青山化工有限公司", industry="危险化学品", town_id=town.id, department_id=dept.id))
        s.add(Person(channel="wechat", external_id="o_clerk_dept", role="staff", unit_id=dept.id))


class Tipster:
    """A person who has never used the account: opens the tip from the menu button, abandons a first draft,
    then sends a tip — the way people do it, with a change of mind."""

    def __init__(self, peer: WeChatPeer) -> None:
        self.peer = peer
        self.openid = "oTip" + secrets.token_hex(12)
        self.abandoned = "废弃草稿" + secrets.token_hex(6)  # typed into a draft, then cancelled
        self.sent = "配电房漏水" + secrets.token_hex(6)  # the tip itself: stored, but never beside the openid

    def act(self) -> str:
        p, me = self.peer, self.openid
        assert "（1/5）" in p.send(me, {"MsgType": "event", "Event": "CLICK", "EventKey": "HB_TIP_SUBMIT"}).text
        p.send_text(me, self.abandoned)
        p.send_text(me, "取消")
        p.send_text(me, "是")
        assert "（1/5）" in p.send_text(me, "我要举报").text
        p.send_text(me, self.sent + "，电线泡在水里")
        p.send_text(me, "青山湖镇工业园")
        p.send_text(me, "青山化工")
        p.send_text(me, "1")
        assert "请核对" in p.send_text(me, "完成").text
        done = p.send_text(me, "1").text
        code = RECEIPT.search(done)
        assert code, done
        status = p.send_text(me, f"查询举报 {code.group(1)}").text
        assert "已受理" in status
        return code.group(1)

    def needles(self) -> dict[str, bytes]:
        return {"openid": self.openid.encode(), "abandoned draft": self.abandoned.encode()}


def copy_tree(root: Path, into: Path) -> Path:
    """As a backup tool would: every file, read while the server may be writing it."""
    dest = into / f"copy-{time.monotonic_ns()}"
    shutil.copytree(root, dest, ignore_dangling_symlinks=True)
    return dest


def found(roots: list[Path], needles: dict[str, bytes]) -> list[str]:
    hits = []
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            data = path.read_bytes()
            hits += [f"{name} in {path.relative_to(root)}" for name, needle in needles.items() if needle in data]
    return hits


def log_to(path: Path) -> logging.Handler:
    """The server's log as a file, at its most talkative."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)
    return handler


def test_no_file_of_the_embedded_server_holds_the_tipster_running_or_stopped(tmp_path, clock, recognizer, api):
    instance = tmp_path / "instance"
    config = make_config(tmp_path, f"sqlite:///{instance / 'hazardbot.sqlite3'}",
                         wechat={"api_base_url": api.base_url}, tips={"default_unit": "应急管理局"})
    migrate(config.database.url)
    handler = log_to(instance / "server.log")
    services = build_services(config, clock=clock, nlu=recognizer)
    app = create_app(services=services)
    try:
        seed(services)
        tipster = Tipster(WeChatPeer(app.test_client()))
        tipster.act()
        running = copy_tree(instance, tmp_path)  # at once, while the WAL may still hold the last pages
        wal = instance / "hazardbot.sqlite3-wal"
        deadline = time.monotonic() + 5
        while wal.stat().st_size and time.monotonic() < deadline:
            time.sleep(0.1)
        assert wal.stat().st_size == 0, "the WAL was not truncated after the tip"
        settled = copy_tree(instance, tmp_path)
        assert (instance / "hazardbot.sqlite3").exists()
        with services.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    finally:
        app.extensions["hazardbot"].responder.shutdown()
        app.extensions["hazardbot"].pushes.stop()
        services.close()
        logging.getLogger().removeHandler(handler)
        handler.close()
    stopped = copy_tree(instance, tmp_path)
    assert found([running, settled, stopped], tipster.needles()) == []
    # The search can find what is there: the tip's own text is stored (staff must read it), by design.
    assert found([stopped], {"tip": tipster.sent.encode()})


def _pg_files(admin: Any, database: str) -> list[Path]:
    with admin.connect() as conn:
        conn.execute(text("CHECKPOINT"))
        data = Path(conn.execute(text("SHOW data_directory")).scalar())
        oid = conn.execute(text("SELECT oid FROM pg_database WHERE datname = :d"), {"d": database}).scalar()
    return [data / "base" / str(oid), data / "pg_wal"]


def test_no_postgresql_file_holds_the_tipster_after_a_checkpoint(tmp_path, clock, recognizer, api, pg_url, redis_url,
                                                                 redis_prefix):
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            data = Path(conn.execute(text("SHOW data_directory")).scalar())
        if not (data / "pg_wal").is_dir() or not any((data / "pg_wal").iterdir()):
            pytest.skip("the PostgreSQL data directory is not readable from here")
    except PermissionError:
        pytest.skip("the PostgreSQL data directory is not readable from here")
    config = make_config(tmp_path, pg_url, wechat={"api_base_url": api.base_url}, tips={"default_unit": "应急管理局"},
                         redis={"url": redis_url, "prefix": redis_prefix})
    migrate(config.database.url)
    handler = log_to(tmp_path / "server.log")
    services = build_services(config, clock=clock, nlu=recognizer)
    app = create_app(services=services)
    database = pg_url.rsplit("/", 1)[1]
    try:
        seed(services)
        tipster = Tipster(WeChatPeer(app.test_client()))
        tipster.act()
        running = found(_pg_files(admin, database), tipster.needles())
    finally:
        app.extensions["hazardbot"].responder.shutdown()
        app.extensions["hazardbot"].pushes.stop()
        services.close()
        logging.getLogger().removeHandler(handler)
        handler.close()
    assert running == []
    assert found([tmp_path], tipster.needles()) == []
    assert found(_pg_files(admin, database), {"tip": tipster.sent.encode()})  # the search does find what is there
    admin.dispose()


def _every_stored_value(services: Any) -> set[str]:
    values: set[str] = set()
    with services.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                for value in row:
                    if value is None:
                        continue
                    values.add(str(value))
                    values.update(re.findall(r"[0-9a-f]{16,}", str(value)))
    return values


def test_the_linking_attack_finds_nothing(tmp_path, clock, recognizer, api):
    """The attack that found a tipster among 5 000 candidates in 70 seconds: take the database and the
    deployment's secret key, and for every candidate openid compute every key the server derives from an
    openid — message dedup keys of button clicks (CreateTime and event are guessable), conversation, limiter
    and private-store keys — then look for each among the stored values."""
    config = make_config(tmp_path, wechat={"api_base_url": api.base_url}, tips={"default_unit": "应急管理局"})
    migrate(config.database.url)
    services = build_services(config, clock=clock, nlu=recognizer)
    app = create_app(services=services)
    try:
        seed(services)
        tipster = Tipster(WeChatPeer(app.test_client()))
        started = int(time.time())
        tipster.act()
        # A staff member's menu click, as the control: the attack does find what the database links.
        peer = WeChatPeer(app.test_client())
        assert peer.send("o_clerk_dept", {"MsgType": "event", "Event": "CLICK", "EventKey": "HB_QUOTA_QUERY"}).text
        finished = int(time.time())
        stored = _every_stored_value(services)
        secret = services.secret
    finally:
        app.extensions["hazardbot"].responder.shutdown()
        app.extensions["hazardbot"].pushes.stop()
        services.close()

    candidates = ["oTip" + secrets.token_hex(12) for _ in range(4998)] + [tipster.openid, "o_clerk_dept"]
    stamps = range(started - 5, finished + 5)
    limiter_purposes = ("tip-submit", "tip-lookup", "tip-query", "bind", "push-m", "push-h")
    hits = []
    begun = time.monotonic()
    for openid in candidates:
        keys = {openid}
        keys |= {message_key(secret, "wechat", openid, f"event:{t}:click:{key}") for t in stamps
                 for key in ("HB_TIP_SUBMIT", "HB_QUOTA_QUERY")}
        keys |= {message_key(secret, "wechat", openid, f"t:{t}:text") for t in stamps}
        keys |= {private_key(secret, purpose, "wechat", openid) for purpose in ("draft", "late", "dedup")}
        keys |= {private_key(secret, purpose, "wechat", openid).split(":", 1)[1] for purpose in ("draft", "late")}
        keys |= {limiter_key(secret, purpose, "wechat", openid) for purpose in limiter_purposes}
        if keys & stored:
            hits.append(openid)
    assert hits == ["o_clerk_dept"], "the tipster was linked to stored values"
    assert time.monotonic() - begun < 600
