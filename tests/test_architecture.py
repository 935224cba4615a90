"""The seams new work plugs into: one channel registry per process, housekeeping that runs without traffic,
and the one home of each rule (双报告 for every source, the tip's history)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import create_app
from scheduler.runner import HOUSEKEEPING_MINUTES, Jobs, build_scheduler
from storage.housekeeping import DEDUP_RETENTION, LATE_REPLY_RETENTION, TIP_DRAFT_RETENTION
from storage.models import Conversation, Enterprise, Hazard, Outbox, Person, ProcessedMessage, Tip, TipEvent, Unit
from wechat_peer import WeChatPeer


def test_an_embedded_process_holds_one_api_client_per_account(services, monkeypatch):
    """The app, its push worker and the embedded scheduler share the registry's clients: a second client of
    the same account would fetch its own access token and invalidate the first one's (40001)."""
    import wechatpy
    import wechatpy.enterprise

    made: list[str] = []
    for cls, name in ((wechatpy.WeChatClient, "wechat"), (wechatpy.enterprise.WeChatClient, "wecom")):
        original = cls.__init__

        def counting(self, *args, _original=original, _name=name, **kwargs):  # noqa: ANN001
            made.append(_name)
            _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__init__", counting)
    from bot.services import build_services

    svc = build_services(services.config, clock=services.clock, nlu=services.nlu)
    app = create_app(services=svc)
    jobs = Jobs(svc, svc.channels.senders())
    build_scheduler(jobs)
    hb = app.extensions["hazardbot"]
    assert sorted(made) == ["wechat", "wecom"]
    wechat_client = svc.channels.channels["wechat"].client
    assert hb.pushes._sender._senders["wechat"].client is wechat_client
    assert jobs.sender._senders["wechat"].client is wechat_client
    assert svc.downloaders["wechat"].__closure__[0].cell_contents is wechat_client
    hb.responder.shutdown()
    svc.close()


def test_the_scheduler_runs_housekeeping_at_start_and_every_few_minutes(services):
    scheduler = build_scheduler(Jobs(services, {}))
    job = scheduler.get_job("housekeeping")
    assert job is not None and job.trigger.interval == timedelta(minutes=HOUSEKEEPING_MINUTES)
    assert {j.id for j in scheduler.get_jobs()} == {"sweep", "deliver", "housekeeping"}


def test_housekeeping_keeps_its_promises_with_no_traffic(services, clock):
    """Nobody writes to the bot: dedup records, undeliverable late replies and old settled pushes still go."""
    now = clock.now
    with services.sessions.begin() as s:
        s.add_all([ProcessedMessage(key="old", replies=["x"], created_at=now - DEDUP_RETENTION - timedelta(seconds=1)),
                   ProcessedMessage(key="new", replies=["x"], created_at=now - timedelta(minutes=1)),
                   Outbox(channel="wechat", recipient="o_late", text="迟到的回复", status="pending", reply=True,
                          created_at=now - LATE_REPLY_RETENTION - timedelta(minutes=1)),
                   Outbox(channel="wechat", recipient="o_a", text="old", status="sent",
                          created_at=now - timedelta(days=services.config.scheduler.outbox_keep_days + 1)),
                   Outbox(channel="wechat", recipient="o_b", text="pending", status="pending",
                          created_at=now - timedelta(days=400))])
    Jobs(services, {}).housekeeping()
    with services.sessions() as s:
        assert s.scalars(select(ProcessedMessage.key)).all() == ["new"]
        assert s.scalars(select(Outbox.text)).all() == ["pending"]


def test_a_tip_draft_expires_from_the_private_store():
    from storage.ephemeral import MemoryEphemeral

    now = [0.0]
    store = MemoryEphemeral(clock=lambda: now[0])
    assert store.swap("draft:x", 0, {"draft:x": ({"flow": "tip_submit", "state": {}, "v": 1},
                                               TIP_DRAFT_RETENTION.total_seconds())})
    now[0] = TIP_DRAFT_RETENTION.total_seconds() - 1
    assert store.get("draft:x") is not None
    now[0] = TIP_DRAFT_RETENTION.total_seconds() + 1
    assert store.get("draft:x") is None


def test_the_memory_stores_are_bounded():
    from storage.ephemeral import MemoryEphemeral

    store = MemoryEphemeral(max_items=100)
    for n in range(1000):
        store.put(f"k{n}", n, 60)
    assert len(store) == 100 and store.get("k999") == 999 and store.get("k0") is None


@pytest.fixture
def world(services, client):
    """An enterprise supervised by a department, its head, staff of the town and of the department."""
    with services.sessions.begin() as s:
        town = Unit(name="青山湖镇", kind="town")
        dept = Unit(name="应急管理局", kind="department", industries=["危险化学品"])
        s.add_all([town, dept])
        s.flush()
        chem = Enterprise(name="青山化工有限公司", industry="危险化学品", town_id=town.id, department_id=dept.id,
                          risk_tier="high")
        s.add(chem)
        s.flush()
        s.add_all([Person(channel="wechat", external_id="o_boss", role="enterprise_head", enterprise_id=chem.id),
                   Person(channel="wechat", external_id="o_town", role="staff", unit_id=town.id),
                   Person(channel="wechat", external_id="o_dept", role="staff", unit_id=dept.id)])
    peer = WeChatPeer(client)
    return lambda who, text: peer.send_text(who, text).text


def told_department(services) -> list[str]:
    with services.sessions() as s:
        return [o.text for o in s.scalars(select(Outbox).where(Outbox.recipient == "o_dept"))]


def test_a_major_hazard_found_by_self_check_is_reported_to_the_department(services, world):
    say = world
    with services.sessions.begin() as s:
        s.execute(Enterprise.__table__.update().values(industry="危险化学品"))
    say("o_boss", "开始自查")
    for answer in ("2", "1", "2", "1", "跳过", "完成", "1"):  # the test bank: 外包外租未签协议 is a 重大 hazard
        last = say("o_boss", answer)
    assert "接下来逐项安排整改" in last
    # The first finding (一般) fixed on the spot; the second (重大) with its five essentials.
    for answer in ("1", "跳过", "完成", "1"):
        say("o_boss", answer)
    for answer in ("2", "李四", "签订协议", "0", "6月30日", "暂停外包作业", "是", "1"):
        last = say("o_boss", answer)
    assert "已按“双报告”告知监管部门（1 人）" in last
    notices = told_department(services)
    assert len(notices) == 1 and "双报告·发现" in notices[0] and "外包外租" in notices[0]


def test_a_verified_major_tip_is_reported_to_the_department_and_keeps_its_history(services, world, client):
    say = world
    with services.sessions.begin() as s:
        ent = s.scalars(select(Enterprise)).one()
        town = s.scalars(select(Unit).where(Unit.kind == "town")).one()
        s.add(Tip(number="JB-202606-0001", receipt_hash="h", what="仓库里堆满了液化气罐", enterprise_id=ent.id,
                  unit_id=town.id, received_on="2026-06-10"))
    assert "已标记为核查中" in say("o_town", "处理举报 JB-202606-0001 核查中")
    assert "企业会看到" in say("o_town", "处理举报 JB-202606-0001 属实 重大 现场核实存在")
    say("o_town", "是")  # the neutral description offered
    say("o_town", "6月30日")
    done = say("o_town", "1")
    assert "已列入隐患台账 YH-202606-0001" in done and "双报告" in done
    with services.sessions() as s:
        hz = s.scalars(select(Hazard)).one()
        assert (hz.source, hz.level, hz.status) == ("举报", "重大", "待整改")
        events = [(e.action, e.from_status, e.to_status) for e in s.scalars(select(TipEvent).order_by(TipEvent.id))]
        assert events == [("核查中", "已受理", "核查中"), ("属实", "核查中", "查证属实")]
        # Never the person who did it.
        assert s.scalar(select(func.count()).select_from(Outbox).where(Outbox.recipient == "o_town")) == 0
    notices = told_department(services)
    assert len(notices) == 1 and "双报告·发现" in notices[0]


def test_tip_transitions_refuse_what_the_table_does_not_allow(services, world):
    say = world
    with services.sessions.begin() as s:
        dept = s.scalars(select(Unit).where(Unit.kind == "department")).one()
        s.add(Tip(number="JB-202606-0002", receipt_hash="h2", what="x", unit_id=dept.id, received_on="2026-06-10"))
    assert "不能奖励" in say("o_dept", "处理举报 JB-202606-0002 奖励 3000")
    assert "需要写明理由" in say("o_dept", "处理举报 JB-202606-0002 不属实")
    assert "没有找到您单位负责的举报" in say("o_town", "处理举报 JB-202606-0002 核查中")
    say("o_dept", "处理举报 JB-202606-0002 不属实 现场无此情况")
    assert "不能核查中" in say("o_dept", "处理举报 JB-202606-0002 核查中")
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(TipEvent)) == 1
