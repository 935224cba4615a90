"""Conversations as people had them in the trials, through the WeChat protocol: what was sent, then what the
ledger holds. Each test is one defect that was seen; the ledger must hold only what people said."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from storage.models import Conversation, Enterprise, Hazard, InviteCode, Person, SelfCheckRun, Tip, TipEvent, Unit
from wechat_peer import WeChatPeer


@pytest.fixture
def world(services, client, invite):
    with services.sessions.begin() as s:
        town, other = Unit(name="青山湖镇", kind="town"), Unit(name="应急管理局", kind="department")
        s.add_all([town, other])
        s.flush()
        chem = Enterprise(name="青山化工有限公司", industry="危险化学品", town_id=town.id, risk_tier="high")
        s.add(chem)
        s.flush()
        s.add_all([Person(channel="wechat", external_id="o_boss", role="enterprise_head", enterprise_id=chem.id),
                   Person(channel="wechat", external_id="o_clerk", role="staff", unit_id=town.id)])
        ids = {"town": town.id, "dept": other.id, "chem": chem.id}
    peer = WeChatPeer(client)

    def say(who: str, *texts: str) -> str:
        return [peer.send_text(who, t).text for t in texts][-1]

    say.ids = ids  # type: ignore[attr-defined]
    return say


def hazards(services) -> list[Hazard]:
    with services.sessions() as s:
        return list(s.scalars(select(Hazard).order_by(Hazard.id)))


def answers(services) -> dict:
    with services.sessions() as s:
        return dict(s.scalars(select(SelfCheckRun)).one().form_state["answers"])


def test_not_knowing_is_not_a_no(world, services):
    world("o_boss", "开始自查")
    reply = world("o_boss", "不知道啊")
    assert "待核实" in reply and "（1/" in reply
    assert answers(services) == {}
    world("o_boss", "待核实", "否", "3", "跳过", "完成", "1")
    assert hazards(services) == []  # 待核实 files nothing; 否 on 外包外租 means none to check


def test_not_applicable_is_refused_where_the_item_does_not_offer_it(world, services):
    world("o_boss", "开始自查", "是")
    reply = world("o_boss", "不涉及")  # 是否有外包外租 offers no 不涉及
    assert "没有「不涉及」选项" in reply and "外包外租" in reply
    assert answers(services) == {"c_lead": "yes"}


def report_until_funds(world) -> None:
    for text in ("上报隐患", "仓库消防栓没水", "是", "2", "完成", "2", "张三", "维修消防栓"):
        world("o_boss", text)


def test_funds_written_as_people_write_them(world, services):
    report_until_funds(world)
    assert "3千元 = 0.3 万元" in world("o_boss", "3千")
    world("o_boss", "6月30日", "专人值守", "1")
    assert [h.funds_wan for h in hazards(services)] == [pytest.approx(0.3)]


def test_thirty_million_is_not_kept_without_asking(world, services):
    report_until_funds(world)
    assert "确认吗" in world("o_boss", "3000")
    assert "重新回答" in world("o_boss", "2")
    world("o_boss", "两千块", "6月30日", "专人值守", "1")
    assert [h.funds_wan for h in hazards(services)] == [pytest.approx(0.2)]


def test_a_passed_month_day_is_confirmed_and_yesterday_is_refused(world, services, clock):
    clock.now = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)
    report_until_funds(world)
    world("o_boss", "1")
    refused = world("o_boss", "昨天")
    assert "2026-12-01 已经过去了" in refused
    asked = world("o_boss", "12月1日")
    assert "是指 2027年12月1日 吗" in asked
    world("o_boss", "2", "12月31日", "专人值守", "1")
    assert [h.deadline for h in hazards(services)] == ["2026-12-31"]


def test_cancel_then_a_stray_reply_then_one_cancels(world, services):
    world("o_boss", "上报隐患", "仓库消防栓没水")
    assert "确定取消吗" in world("o_boss", "取消")
    assert "确定取消吗" in world("o_boss", "嗯")
    assert "没有提交任何内容" in world("o_boss", "1")
    assert hazards(services) == []
    with services.sessions() as s:
        assert s.scalars(select(Conversation).where(Conversation.external_id == "o_boss")).one().flow is None


def test_the_bind_menu_number_asks_for_the_code(world):
    assert "请发送工作人员给您的邀请码" in world("o_new", "2")


def test_unbind_and_invites_are_their_own_requests(world, services):
    assert "解除您的绑定" in world("o_boss", "解绑")
    assert "好的，没有解绑" in world("o_boss", "2")
    asked = world("o_clerk", "生成邀请码")
    assert "给谁生成邀请码" in asked
    code_reply = world("o_clerk", "1", "青山化工")
    assert "邀请码（青山化工有限公司 企业主要负责人" in code_reply
    made = world("o_clerk", "邀请 青山化工 安全员")
    assert "企业安全管理员" in made
    with services.sessions() as s:
        roles = sorted(i.role for i in s.scalars(select(InviteCode)))
        assert roles == ["enterprise_head", "safety_officer"]
    code = code_reply.split("\n")[1]
    assert "绑定成功：青山化工有限公司 企业主要负责人" in world("o_newboss", f"绑定 {code}")


def test_a_clerk_unbinds_someone_they_answer_for(world, services):
    listing = world("o_clerk", "解绑 青山化工")
    assert "要解除谁的绑定" in listing and "企业主要负责人" in listing
    world("o_clerk", "1")
    assert "已解除青山化工有限公司 企业主要负责人的绑定" in world("o_clerk", "1")
    # The person's next message comes from an unbound visitor.
    assert "您还没有绑定身份" in world("o_boss", "菜单")
    with services.sessions() as s:
        gone = s.scalars(select(Person).where(Person.role == "enterprise_head")).one()
        assert gone.unbound_at is not None and gone.external_id != "o_boss"


def test_rebinding_to_another_enterprise_asks_first(world, services, invite):
    with services.sessions.begin() as s:
        s.add(Enterprise(name="湖畔家具厂", industry="工贸", town_id=world.ids["town"]))  # type: ignore[attr-defined]
        s.flush()
        other = s.scalars(select(Enterprise).where(Enterprise.name == "湖畔家具厂")).one().id
    code = invite("enterprise_head", enterprise=other)
    asked = world("o_boss", f"绑定 {code}")
    assert "您现在是青山化工有限公司 企业主要负责人。改为湖畔家具厂 企业主要负责人吗" in asked
    assert "好的，绑定没有变" in world("o_boss", "2")
    with services.sessions() as s:
        boss = s.scalars(select(Person).where(Person.external_id == "o_boss")).one()
        assert boss.enterprise.name == "青山化工有限公司"
    world("o_boss", f"绑定 {code}")
    assert "已更换绑定：湖畔家具厂" in world("o_boss", "1")


def test_transfer_a_tip_to_another_unit(world, services):
    with services.sessions.begin() as s:
        s.add(Tip(number="JB-202606-0001", receipt_hash="h", what="x", unit_id=world.ids["town"],  # type: ignore[attr-defined]
                  received_on="2026-06-10"))
    done = world("o_clerk", "转办 JB-202606-0001 应急管理局 属危化经营，请核查")
    assert "已转办应急管理局" in done
    with services.sessions() as s:
        tip = s.scalars(select(Tip)).one()
        event = s.scalars(select(TipEvent)).one()
        assert tip.unit_id == world.ids["dept"]  # type: ignore[attr-defined]
        assert (event.action, event.note) == ("转办", "属危化经营，请核查")
    assert "没有找到您单位负责的举报" in world("o_clerk", "举报详情 JB-202606-0001")


def test_option_texts_and_the_word_for_building_sites(world, services):
    world("o_clerk", "上报隐患", "青山化工", "围墙边脚手架缺连墙件")
    assert "隐患等级" in world("o_clerk", "建筑")
    world("o_clerk", "一般", "完成")
    assert "简要说明" in world("o_clerk", "即查即改")
    summary = world("o_clerk", "已加固", )
    assert "请核对" in summary
    assert "原来的回答" in world("o_clerk", "改一下第3题")
    world("o_clerk", "一般", "1")
    assert [(h.industry, h.status) for h in hazards(services)] == [("房屋市政工程", "即查即改")]


def test_a_shared_self_check_draft_says_who_started_it(world, services, invite):
    world("o_boss", "开始自查", "是", "暂停")
    code = invite("safety_officer", enterprise=world.ids["chem"])  # type: ignore[attr-defined]
    world("o_officer", f"绑定 {code}")
    menu = world("o_officer", "开始自查")
    assert "由青山化工有限公司 企业主要负责人于" in menu and "开始" in menu
