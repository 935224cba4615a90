"""取消, 菜单/帮助, 返回 behave the same in every flow and every numbered list; a new request typed inside a list
is answered; 查看自查记录 says where the enterprise stands."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import Conversation, Enterprise, Hazard, Person, SelfCheckRun, Unit
from wechat_peer import WeChatPeer


@pytest.fixture
def say(services, client):
    with services.sessions.begin() as s:
        town = Unit(name="青山湖镇", kind="town")
        s.add(town)
        s.flush()
        ent = Enterprise(name="青山化工有限公司", industry="危险化学品", town_id=town.id, risk_tier="high")
        s.add(ent)
        s.flush()
        s.add_all([Person(channel="wechat", external_id="o_boss", role="enterprise_head", enterprise_id=ent.id),
                   Person(channel="wechat", external_id="o_clerk", role="staff", unit_id=town.id)])
        for n, (desc, deadline) in enumerate((("消防通道堆放杂物", "2026-06-01"), ("配电箱门损坏", "2026-07-01")), 1):
            s.add(Hazard(number=f"YH-202606-000{n}", enterprise_id=ent.id, level="一般", source="企业自查",
                         status="待整改", description=desc, deadline=deadline))
    peer = WeChatPeer(client)
    return lambda who, text: peer.send_text(who, text).text


def flow_of(services, who: str) -> str | None:
    with services.sessions() as s:
        conv = s.scalars(select(Conversation).where(Conversation.external_id == who)).one_or_none()
        return conv.flow if conv else None


def test_a_new_request_typed_inside_a_picker_is_answered(say, services):
    assert "要更新哪一条" in say("o_clerk", "整改进展")
    overdue = say("o_clerk", "逾期隐患")
    assert "逾期未整改的隐患" in overdue and "YH-202606-0001" in overdue
    assert flow_of(services, "o_clerk") is None


def test_menu_inside_a_list_keeps_the_flow_for_continue(say, services):
    say("o_boss", "整改进展")
    menu = say("o_boss", "菜单")
    assert "回复「继续」接着办" in menu and "1. 开始本期自查" in menu
    again = say("o_boss", "继续")
    assert "要更新哪一条" in again and flow_of(services, "o_boss") == "hazard_progress"
    assert "补充整改进展" in say("o_boss", "2")


def test_menu_numbers_after_the_menu_start_what_they_say(say, services):
    say("o_boss", "整改进展")
    say("o_boss", "菜单")
    assert "开始" in say("o_boss", "1") and flow_of(services, "o_boss") == "selfcheck_start"


def test_help_back_and_cancel_inside_a_list(say, services):
    say("o_boss", "整改进展")
    helped = say("o_boss", "帮助")
    assert "要更新哪一条" in helped and "「返回」回到上一步" in helped
    assert "补充整改进展" in say("o_boss", "1")
    back = say("o_boss", "返回")
    assert "要更新哪一条" in back
    assert "补充整改进展" in say("o_boss", "2")
    assert "已取消「整改进展」" in say("o_boss", "算了")
    assert flow_of(services, "o_boss") is None
    with services.sessions() as s:
        assert [e.status for e in s.scalars(select(Hazard))] == ["待整改", "待整改"]


def test_a_stray_reply_in_a_list_asks_again_and_changes_nothing(say, services):
    say("o_boss", "整改进展")
    again = say("o_boss", "7")
    assert "请回复序号 1–2" in again and flow_of(services, "o_boss") == "hazard_progress"
    assert "补充整改进展" in say("o_boss", "1")


def test_visible_option_text_works_in_a_list(say, services):
    say("o_boss", "整改进展 YH-202606-0002")
    assert "请写整改完成情况" in say("o_boss", "已整改完成")


def test_cancel_words_are_the_same_inside_a_form(say, services):
    say("o_boss", "上报隐患")
    assert "确定取消吗" in say("o_boss", "算了")
    assert "确定取消吗" in say("o_boss", "嗯？")  # a stray reply: the confirmation stays open
    assert "没有提交任何内容" in say("o_boss", "1")


def test_menu_inside_the_bind_prompt_and_continue(say, services):
    assert "邀请码" in say("o_new", "绑定")
    menu = say("o_new", "菜单")
    assert "「绑定身份」先放一放" in menu and "1. 匿名举报安全隐患" in menu
    assert "邀请码" in say("o_new", "继续")


# -- 查看自查记录 -----------------------------------------------------------------------------------

def test_selfcheck_record_not_started_draft_and_submitted(say, services):
    status = say("o_boss", "4")  # menu: 查看自查记录
    assert "本期（2026年6月，06月30日前）：还没有开始" in status
    say("o_boss", "开始自查")
    say("o_boss", "否")
    say("o_boss", "暂停")
    assert "填写中，停在第 2 题" in say("o_boss", "查看自查记录")
    with services.sessions.begin() as s:
        ent = s.scalars(select(Enterprise)).one()
        past = SelfCheckRun(enterprise_id=ent.id, period="2026-05", status="submitted", form_ids=["campaign"],
                            answers={}, submitted_at=services.clock())
        s.add(past)
        s.flush()
        s.add(Hazard(enterprise_id=ent.id, level="重大", source="企业自查", status="待整改", description="x",
                     selfcheck_run_id=past.id))
    record = say("o_boss", "查看自查记录")
    assert "· 2026-05：重大1 项" in record


def test_staff_asking_for_selfcheck_records_are_pointed_to_the_unchecked_list(say):
    assert "未自查企业" in say("o_clerk", "查看自查记录")
