"""A verified tip becomes a hazard in staff's words: the enterprise reads the staff member's description, gets
a deadline and is asked for its 五落实 — and never sees the tip's text, in chat, in its list or in the Excel."""
from __future__ import annotations

import io
import zipfile
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from storage.models import Enterprise, Hazard, HazardEvent, Outbox, Person, Tip, Unit
from storage.tips import echo_of_tip
from wechat_peer import WeChatPeer

TIP_TEXT = "仓库里堆满了液化气罐，晚上还有人在旁边抽烟，老板说不用管"


@pytest.fixture
def world(services, client):
    with services.sessions.begin() as s:
        town = Unit(name="青山湖镇", kind="town")
        dept = Unit(name="应急管理局", kind="department", industries=["危险化学品"])
        s.add_all([town, dept])
        s.flush()
        chem = Enterprise(name="青山化工有限公司", industry="危险化学品", town_id=town.id, department_id=dept.id)
        s.add(chem)
        s.flush()
        s.add_all([Person(channel="wechat", external_id="o_boss", role="enterprise_head", enterprise_id=chem.id),
                   Person(channel="wechat", external_id="o_town", role="staff", unit_id=town.id),
                   Person(channel="wechat", external_id="o_dept", role="staff", unit_id=dept.id)])
        s.add(Tip(number="JB-202606-0001", receipt_hash="h", what=TIP_TEXT, enterprise_id=chem.id, unit_id=town.id,
                  received_on="2026-06-10", industry="危险化学品"))
    peer = WeChatPeer(client)
    return lambda who, text: peer.send_text(who, text).text


def the_hazard(services) -> Hazard | None:
    with services.sessions() as s:
        return s.scalars(select(Hazard)).one_or_none()


def test_staff_write_the_description_and_the_enterprise_never_reads_the_tip(services, world, client):
    say = world
    asked = say("o_town", "处理举报 JB-202606-0001 属实 重大 现场核实存在")
    assert "企业会看到" in asked and "推荐" in asked and "青山化工有限公司" in asked
    assert the_hazard(services) is None  # nothing decided yet
    # Copying the tip is refused, before anything is stored…
    refused = say("o_town", "仓库里堆满了液化气罐，晚上有人抽烟")
    assert "举报原文相同" in refused
    # …a description in the staff member's own words is taken, then the deadline.
    say("o_town", "二号仓库超量存放液化石油气钢瓶约40瓶，未设置可燃气体报警装置")
    summary = say("o_town", "6月30日")
    assert "请核对" in summary
    done = say("o_town", "1")
    assert "已列入隐患台账 YH-202606-0001" in done and "已通知企业（1 人）填写五落实" in done
    hz = the_hazard(services)
    assert hz is not None
    assert (hz.description, hz.deadline, hz.level, hz.source, hz.status) == (
        "二号仓库超量存放液化石油气钢瓶约40瓶，未设置可燃气体报警装置", "2026-06-30", "重大", "举报", "待整改")
    assert not hz.responsible  # the 五落实 are the enterprise's to give
    with services.sessions() as s:
        tip = s.scalars(select(Tip)).one()
        assert tip.status == "查证属实" and tip.major and tip.hazard_id == hz.id
        to_boss = [o.text for o in s.scalars(select(Outbox).where(Outbox.recipient == "o_boss"))]
        tip = SimpleNamespace(what=tip.what, enterprise=SimpleNamespace(name=tip.enterprise.name))
    assert len(to_boss) == 1 and "五落实" in to_boss[0] and "YH-202606-0001" in to_boss[0]

    # Everything the enterprise can see: the notice, its 整改进展 list, the hazard itself, the Excel list.
    seen = [*to_boss, say("o_boss", "隐患详情 YH-202606-0001"), say("o_boss", "整改进展")]
    for text in seen:
        assert echo_of_tip(text, tip) is None, text
        assert "抽烟" not in text and "老板" not in text and "JB-" not in text
    assert "YH-202606-0001" in seen[1]  # the hazard itself

    # The enterprise gives its 五落实; the deadline staff set stays.
    assert "填写五落实" in seen[2] or "待填五落实" in seen[2]
    say("o_boss", "1")  # the hazard
    say("o_boss", "1")  # 填写五落实
    for answer in ("张三（仓库主管）", "清退超量钢瓶，加装报警器", "2", "钢瓶区禁止明火，专人值守", "是"):
        last = say("o_boss", answer)
    assert "请核对" in last
    done = say("o_boss", "1")
    assert "已记录 YH-202606-0001 的五落实" in done
    hz = the_hazard(services)
    assert hz is not None
    assert (hz.responsible, hz.measures, hz.funds_wan, hz.deadline, hz.plan, hz.equipment_stopped) == (
        "张三（仓库主管）", "清退超量钢瓶，加装报警器", 2.0, "2026-06-30", "钢瓶区禁止明火，专人值守", True)
    with services.sessions() as s:
        actions = [e.action for e in s.scalars(select(HazardEvent).order_by(HazardEvent.id))]
    assert actions == ["登记", "五落实"]
    assert "待填五落实" not in say("o_boss", "整改进展")


def test_the_excel_ledger_holds_staff_words_not_the_tip(services, world, client, tmp_path):
    say = world
    say("o_town", "处理举报 JB-202606-0001 属实")
    say("o_town", "是")  # the neutral description offered
    say("o_town", "30天内")
    say("o_town", "1")
    hz = the_hazard(services)
    assert hz is not None and hz.description == "经现场核查，青山化工有限公司存在危险化学品方面安全隐患，需按期整改。"
    from datetime import date

    from bot.exports import HazardFilters, hazard_records, write_hazards  # the workbooks staff mail on

    with services.sessions() as s:
        records = hazard_records(s, HazardFilters(), services.tz)
    out = tmp_path / "ledger.xlsx"
    write_hazards(records, "xlsx", out, "隐患台账", "青山湖镇", date(2026, 6, 10), detailed=True)
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as book:
        xml = "".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    assert "经现场核查" in xml and "液化气罐" not in xml and "抽烟" not in xml


def test_cancelling_leaves_the_tip_undecided(services, world):
    say = world
    say("o_town", "处理举报 JB-202606-0001 属实")
    say("o_town", "取消")
    reply = say("o_town", "是")
    assert "状态没有改变" in reply or "已取消" in reply
    with services.sessions() as s:
        assert s.scalars(select(Tip)).one().status == "已受理"
    assert the_hazard(services) is None


def test_a_tip_about_an_unregistered_enterprise_is_decided_at_once(services, world):
    say = world
    with services.sessions.begin() as s:
        tip = s.scalars(select(Tip)).one()
        tip.enterprise_id, tip.enterprise_text = None, "路边一家小作坊"
    done = say("o_town", "处理举报 JB-202606-0001 属实")
    assert "查证属实" in done and "上报隐患" in done
    assert the_hazard(services) is None


def test_the_echo_rule():
    tip = SimpleNamespace(what=TIP_TEXT, enterprise=None)
    assert echo_of_tip("仓库里堆满了液化气罐", tip) == "仓库里堆满了液化气罐"
    assert echo_of_tip("仓库内液化气罐存放超量", tip) is None  # a few shared words are not a copy
    assert echo_of_tip("晚上，还有人在旁边抽烟！", tip) == "晚上还有人在旁边抽烟"  # punctuation does not hide it
