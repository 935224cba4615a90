"""The hazard ledger in chat, end to end through the WeChat protocol."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import Enterprise, Hazard, HazardEvent, Outbox, Person, Unit
from wechat_peer import WeChatPeer


@pytest.fixture
def people(services, client):
    with services.sessions.begin() as s:
        town, far = Unit(name="青山湖镇", kind="town"), Unit(name="湖东街道", kind="town")
        dept = Unit(name="应急管理局", kind="department", industries=["危险化学品"])
        s.add_all([town, far, dept])
        s.flush()
        chem = Enterprise(name="青山化工有限公司", industry="危险化学品", town_id=town.id, department_id=dept.id,
                          risk_tier="high")
        s.add_all([chem, Enterprise(name="东湖化工厂", industry="危险化学品", town_id=far.id)])
        s.flush()
        s.add_all([Person(channel="wechat", external_id="o_boss", role="enterprise_head", enterprise_id=chem.id,
                          unit_id=town.id),
                   Person(channel="wechat", external_id="o_town", role="staff", unit_id=town.id),
                   Person(channel="wechat", external_id="o_dept", role="staff", unit_id=dept.id),
                   Person(channel="wechat", external_id="o_far", role="staff", unit_id=far.id)])
    peer = WeChatPeer(client)
    return lambda who, text: peer.send_text(who, text).text, peer


def report_major(say, nod: str = "是") -> str:
    assert "请描述隐患" in say("o_boss", "2")  # enterprise menu: 上报隐患
    industry = say("o_boss", "一号仓库可燃气体报警器损坏")
    assert "所属行业领域" in industry and "推荐：危险化学品" in industry
    assert "隐患等级" in say("o_boss", nod)  # the registry's industry, taken with a nod
    assert "照片" in say("o_boss", "1")
    assert "当场整改" in say("o_boss", "完成")
    assert "责任人" in say("o_boss", "2")
    say("o_boss", "张三（设备主管）")
    say("o_boss", "更换报警器并联网")
    assert "整改期限" in say("o_boss", "2")
    say("o_boss", "6月30日")
    assert "停用" in say("o_boss", "一号仓库暂停收发货，专人巡查")
    summary = say("o_boss", "是")
    assert "请核对" in summary
    return say("o_boss", "1")


@pytest.mark.parametrize("nod", ["是", "嗯", "好的好的"])
def test_enterprise_reports_a_major_hazard_and_the_department_is_told(people, services, nod):
    say, _ = people
    done = report_major(say, nod)
    assert "已登记 YH-202606-0001（重大隐患，企业自查）：限期 2026-06-30 前整改，责任人 张三（设备主管）" in done
    assert "双报告" in done
    with services.sessions() as s:
        hz = s.scalars(select(Hazard)).one()
        assert (hz.status, hz.industry, hz.funds_wan, hz.equipment_stopped) == ("待整改", "危险化学品", 2.0, True)
        told = s.scalars(select(Outbox)).all()
        assert [(o.recipient, "双报告·发现" in o.text) for o in told] == [("o_dept", True)]
        # The number is given at the end of the message: the notice queued before it names it all the same.
        assert hz.number == "YH-202606-0001" and hz.number in told[0].text


def test_staff_pick_enterprises_only_in_their_scope(people, services):
    say, _ = people
    assert "哪家企业" in say("o_town", "5")
    assert "没有找到「东湖化工厂」" in say("o_town", "东湖化工厂")  # another town's enterprise
    assert "企业：青山化工有限公司" in say("o_town", "青山化")
    say("o_town", "消防通道堆放杂物")
    say("o_town", "是")
    say("o_town", "2")  # 一般
    say("o_town", "完成")
    assert "简要说明" in say("o_town", "1")  # fixed on the spot
    say("o_town", "已清理")
    assert "即查即改，已销号" in say("o_town", "1")
    with services.sessions() as s:
        hz = s.scalars(select(Hazard)).one()
        assert (hz.source, hz.status, hz.level) == ("部门检查", "即查即改", "一般")


def test_progress_claim_send_back_and_close(people, services):
    say, peer = people
    report_major(say)
    listing = say("o_boss", "3")  # 更新整改进展: the one open hazard is named, with what can be done with it
    assert "YH-202606-0001" in listing and "申请核查销号" in listing and "要更新哪一条" not in listing
    assert "请写整改完成情况" in say("o_boss", "2")
    assert "请用文字写明情况" in say("o_boss", "1")  # a number meant for a list is no account of the work
    photo = peer.send("o_boss", {"MsgType": "image", "PicUrl": "http://x/a.jpg", "MediaId": "m9", "MsgId": "42"})
    assert "第 1 张" in photo.text
    assert "已申请核查销号" in say("o_boss", "新报警器已安装")
    assert "没有找到您单位负责的隐患" in say("o_far", "核查 YH-202606-0001")
    assert "1. 核查通过" in say("o_dept", "核查 YH-202606-0001")
    assert "退回的原因" in say("o_dept", "2")
    assert "已退回整改中" in say("o_dept", "报警器未接入监控平台")
    with services.sessions() as s:
        assert any("被退回：报警器未接入监控平台" in o.text and o.recipient == "o_boss"
                   for o in s.scalars(select(Outbox)))
    assert "不是「已整改待核查」" in say("o_dept", "销号 YH-202606-0001")
    say("o_boss", "整改进展 YH-202606-0001")
    say("o_boss", "2")
    say("o_boss", "已接入监控平台")
    say("o_town", "销号 YH-202606-0001")
    assert "已销号" in say("o_town", "1")
    with services.sessions() as s:
        actions = [e.action for e in s.scalars(select(HazardEvent).order_by(HazardEvent.id))]
        assert actions == ["登记", "申请销号", "退回", "申请销号", "销号"]
        assert s.scalars(select(Hazard)).one().closed_at is not None


def test_supervised_listing_sets_the_progress_deadline(people):
    say, _ = people
    report_major(say)
    assert "用法" in say("o_dept", "挂牌督办 YH-202606-0001")
    assert "没有找到您单位负责的隐患" in say("o_far", "挂牌督办 YH-202606-0001 县级 县安委办〔2026〕12号")
    done = say("o_dept", "挂牌督办 YH-202606-0001 县级 县安委办〔2026〕12号")
    assert "2026-07-10 前须有实质性进展（30 天）" in done
    listed = say("o_town", "挂牌督办")
    assert "YH-202606-0001" in listed and "县级督办" in listed and "2026-07-10" in listed


def test_bad_input_gets_one_line_and_writes_nothing(people, services):
    say, peer = people
    say("o_boss", "2")
    photo = peer.send("o_boss", {"MsgType": "image", "PicUrl": "http://x/a.jpg", "MediaId": "m1", "MsgId": "43"})
    assert photo.text.startswith("这一题需要文字回答") and "请描述隐患" in photo.text
    empty = say("o_boss", "\u3000")
    assert empty.startswith("回答不能为空") and "请描述隐患" in empty
    assert "确定取消吗" in say("o_boss", "取消")
    assert "没有提交任何内容" in say("o_boss", "1")
    assert "「核查销号」不是企业主要负责人可以办理的事项" in say("o_boss", "核查 YH-202606-0001")
    with services.sessions() as s:
        assert s.scalars(select(Hazard)).all() == []


def test_industry_is_suggested_from_the_description_when_the_registry_has_none(people, services):
    say, _ = people
    with services.sessions.begin() as s:
        town = s.scalars(select(Unit).where(Unit.name == "青山湖镇")).one()
        s.add(Enterprise(name="湖滨综合商贸", industry="其他", town_id=town.id))
    say("o_town", "5")
    say("o_town", "湖滨综合商贸")
    asked = say("o_town", "后院建筑工地脚手架没有连墙件，塔吊司机无证作业")
    assert "推荐：房屋市政工程" in asked


def test_a_hazard_described_with_the_request_is_not_asked_again(people, services):
    say, _ = people
    first = say("o_boss", "上报隐患 一号仓库可燃气体报警器损坏")
    assert "已记下隐患描述：一号仓库可燃气体报警器损坏" in first and "所属行业领域" in first
    assert "推荐：危险化学品" in first  # the registry's industry offered at once
    # Staff name the enterprise first; the description they gave is still kept.
    asked = say("o_town", "发现一个隐患，消防通道被货物堵死了")
    assert "哪家企业" in asked
    assert "已记下隐患描述：消防通道被货物堵死了" in say("o_town", "青山化工")


def test_progress_told_with_the_request_is_kept_not_asked_again(people, services):
    say, _ = people
    report_major(say)
    told = say("o_boss", "报警器已经换新的了 也接入了监控平台")
    assert "YH-202606-0001" in told and "已记下您说的：报警器已经换新的了 也接入了监控平台" in told
    assert "已申请核查销号" in say("o_boss", "2")  # no second request for what was already said
    with services.sessions() as s:
        claim = s.scalars(select(HazardEvent).where(HazardEvent.action == "申请销号")).one()
        assert claim.note == "报警器已经换新的了 也接入了监控平台"
        assert s.scalars(select(Hazard)).one().status == "已整改待核查"


@pytest.mark.parametrize("text,kept", [
    ("整改进展", ""), ("更新整改进展", ""), ("3", ""), ("整改进展 YH-202606-0001", ""),
    ("货已经全部挪走了 通道通了", "货已经全部挪走了 通道通了"), ("YH-202606-0001 整改了一半", "整改了一半"),
    ("更新一下进展：灭火器已经换新的了", "灭火器已经换新的了"),
    ("我的隐患整改进展怎么更新", ""), ("整改进展在哪里填？", ""), ("灭火器换了吗", "")])
def test_only_an_account_of_the_work_is_kept_from_the_request(text, kept):
    from handlers.hazards import progress_said

    assert progress_said(text) == kept
