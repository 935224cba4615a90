"""Routing in the engine: menus, intents, roles, and honesty about what is not built."""
from __future__ import annotations

from datetime import datetime, timezone

from bot.engine import Engine
from handlers.messages import IMAGE, TEXT, Incoming


def msg(text: str, user: str = "u1", key: str | None = None, kind: str = TEXT) -> Incoming:
    return Incoming(channel="sim", user_id=user, msg_key=key or f"{user}:{text}:{datetime.now().timestamp()}",
                    kind=kind, created_at=datetime.now(timezone.utc), text=text)


def test_unknown_text_gets_a_numbered_choice_that_a_number_answers(services):
    engine = Engine(services)
    replies = engine.handle(msg("今天天气真好啊"))
    assert len(replies) == 1
    offered = dict(line.split(". ", 1) for line in replies[0].splitlines() if line[:1].isdigit())
    assert 2 <= len(offered) <= 3 and {"匿名举报", "查询举报进展"} <= set(offered.values())
    # The number picks what was offered, not the visitor's menu item of that number (1 匿名举报安全隐患,
    # 2 绑定身份, 3 帮助: none of them asks for a receipt code).
    number = next(n for n, label in offered.items() if label == "查询举报进展")
    assert "查询码" in engine.handle(msg(number))[0]


def test_a_greeting_gets_a_welcome_and_the_roles_menu(services, registry, invite):
    engine = Engine(services)
    visitor = engine.handle(msg("你好"))[0]
    assert "1. 匿名举报安全隐患" in visitor and "没太明白" not in visitor
    code = invite("staff", unit=registry["town"])
    engine.handle(msg(f"绑定 {code}", user="clerk"))
    staff = engine.handle(msg("早上好", user="clerk"))[0]
    assert "1. 本月还差几条" in staff and "没太明白" not in staff


def test_the_same_hazard_words_start_a_report_or_a_tip_by_who_sends_them(services, registry, invite):
    engine = Engine(services)
    code = invite("enterprise_head", enterprise=registry["enterprise"])
    engine.handle(msg(f"绑定 {code}", user="boss"))
    engine.handle(msg("消防通道被货堵住了", user="boss"))
    engine.handle(msg("消防通道被货堵住了", user="stranger"))
    from sqlalchemy import text as sql

    from storage.ephemeral import private_key

    with services.engine.connect() as conn:
        flows = dict(conn.execute(sql("select external_id, flow from conversations")).all())
    assert flows.get("boss") == "hazard_report"
    # A stranger's words are a tip: its draft lives in the private store, not in the conversations table.
    assert "stranger" not in flows
    draft = services.private.get(private_key(services.secret, "draft", "sim", "stranger"))
    assert draft is not None and draft["flow"] == "tip_submit"


def test_help_words_show_the_menu_for_the_role(services):
    for word in ("菜单", "帮助", "?"):
        assert "2. 绑定身份" in Engine(services).handle(msg(word))[0]


def test_staff_intents_are_refused_to_unbound_and_enterprise_people(services, registry, invite):
    engine = Engine(services)
    assert "需要先绑定身份" in engine.handle(msg("本月还差几条", user="nobody"))[0]
    code = invite("enterprise_head", enterprise=registry["enterprise"])
    engine.handle(msg(f"绑定 {code}", user="boss"))
    refused = engine.handle(msg("本月还差几条", user="boss"))[0]
    assert "不是企业主要负责人可以办理" in refused and "1. 开始本期自查" in refused


def test_menu_number_maps_to_the_role_menu(services, registry, invite):
    engine = Engine(services)
    code = invite("staff", unit=registry["town"])
    engine.handle(msg(f"绑定 {code}", user="clerk"))
    # 9 is 帮助 in the staff menu; 99 is out of range and falls back to the menu.
    assert "1. 本月还差几条" in engine.handle(msg("9", user="clerk"))[0]
    assert "1. 本月还差几条" in engine.handle(msg("99", user="clerk"))[0]


def test_image_outside_a_flow_is_explained(services):
    reply = Engine(services).handle(msg("", kind=IMAGE))[0]
    assert "收到图片" in reply and "1. 匿名举报安全隐患" in reply


def test_same_message_key_gives_the_same_reply_and_changes_nothing_twice(services, registry, invite):
    engine = Engine(services)
    code = invite("enterprise_head", enterprise=registry["enterprise"])
    first = engine.handle(msg(f"绑定 {code}", user="boss", key="m1"))
    again = Engine(services).handle(msg(f"绑定 {code}", user="boss", key="m1"))
    assert first == again and "绑定成功" in first[0]
    assert "已被使用" in engine.handle(msg(f"绑定 {code}", user="boss", key="m2"))[0]


def test_engine_error_is_answered_politely_and_not_recorded(services, monkeypatch):
    engine = Engine(services)

    def boom(*a, **k):
        raise RuntimeError("bug")

    monkeypatch.setattr(engine, "_dispatch", boom)
    assert "出了点问题" in engine.handle(msg("你好", key="k-err"))[0]
    monkeypatch.undo()
    assert "1. 匿名举报安全隐患" in engine.handle(msg("你好", key="k-err"))[0]


def test_every_intent_is_registered_whole():
    """One record per intent: it is served (a flow or one answer, never both), its menu numbers are unique per
    role, and the recogniser only chooses among intents the table lets it pick."""
    from handlers.intents import INTENTS, RECOGNISED, VISITOR, menu_items
    from handlers.nlu.intents import INTENTS as NLU_INTENTS

    names = [i.name for i in INTENTS]
    assert len(names) == len(set(names))
    for intent in INTENTS:
        assert (intent.flow is None) != (intent.answer is None), intent.name
        assert intent.label, intent.name
        if intent.flow is not None:
            assert intent.flow.name == intent.name
    for role in (VISITOR, "enterprise_head", "safety_officer", "staff", "admin"):
        positions = [e.position for i in INTENTS for e in i.menu if role in e.roles]
        assert sorted(positions) == list(range(1, len(positions) + 1)), role
        assert all(i.allows(None if role == VISITOR else role) for i in menu_items(None if role == VISITOR else role))
    assert set(NLU_INTENTS) - {"unknown"} == set(RECOGNISED)


def test_sqlite_writers_leave_the_wal_checkpoint_to_a_background_thread(services):
    """A checkpoint inside a committing message would stall every message queued behind it."""
    import time
    from pathlib import Path

    from sqlalchemy import insert

    from storage.models import ProcessedMessage

    db = Path(services.engine.url.database)
    with services.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    before = db.stat().st_size
    with services.sessions.begin() as s:
        s.execute(insert(ProcessedMessage), [
            {"key": f"k{i}", "replies": ["回复" * 200], "created_at": services.clock()} for i in range(3000)])
    deadline = time.monotonic() + 10
    while db.stat().st_size < before + 1_000_000 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert db.stat().st_size >= before + 1_000_000, "the WAL never reached the database file"
