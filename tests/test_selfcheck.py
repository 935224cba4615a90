"""Self-check end to end through the WeChat protocol, on a small test bank (tests/data/checklists)."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.services import build_services
from conftest import make_config
from storage.db import migrate
from storage.models import Hazard, SelfCheckRun
from wechat_peer import WeChatPeer

BANKS = Path(__file__).resolve().parent / "data" / "checklists"


@pytest.fixture
def sc_config(tmp_path):
    return make_config(tmp_path)


@pytest.fixture
def sc_app(sc_config, clock, recognizer):
    migrate(sc_config.database.url)
    app = create_app(services=build_services(sc_config, clock=clock, nlu=recognizer))
    yield app
    app.extensions["hazardbot"].services.close()


@pytest.fixture
def boss(sc_app):
    """A bound enterprise head of a high-risk enterprise (monthly self-checks), talking over WeChat."""
    from storage.invites import create_invite
    from storage.models import Enterprise, Unit

    services = sc_app.extensions["hazardbot"].services
    with services.sessions.begin() as s:
        town = Unit(name="青山湖镇", kind="town")
        s.add(town)
        s.flush()
        ent = Enterprise(name="青山化工有限公司", industry="危险化学品", town_id=town.id, risk_tier="high")
        s.add(ent)
        s.flush()
        code = create_invite(s, services.secret, role="enterprise_head", enterprise=ent, now=services.clock(),
                             ttl_days=7).code
    peer = WeChatPeer(sc_app.test_client())
    assert "绑定成功" in peer.send_text("o_boss", f"绑定 {code}").text
    return peer


def say(peer, text):
    return peer.send_text("o_boss", text).text


def test_full_run_with_numbers_text_synonyms_edit_and_followup(boss, sc_app):
    first = say(boss, "1")  # menu: 开始本期自查
    assert "2026年6月" in first and "（1/6）主要负责人是否带队" in first and "1. 是" in first
    assert "（2/6）" in say(boss, "没有")  # synonym of 否 → a hazard
    q3 = say(boss, "是")  # option text; makes the outsourcing follow-up relevant
    assert "（3/6）外包外租是否签订" in q3
    assert "（4/6）" in say(boss, "2")  # number → 否, a major hazard
    bad = say(boss, "-1")
    assert bad.startswith("不能小于 0") and "（4/6）" in bad  # error and question in one message
    assert "（5/6）" in say(boss, "三")
    assert "（6/6）" in say(boss, "跳过")  # optional date
    photo = boss.send("o_boss", {"MsgType": "image", "PicUrl": "http://x/p.jpg", "MediaId": "m1", "MsgId": "9001"})
    assert "已收到第 1 张照片" in photo.text
    summary = say(boss, "完成")
    assert "请核对" in summary and "发现问题 2 项" in summary and "1. 确认提交" in summary
    # Edit item 2: no more outsourcing, so item 3 and its hazard disappear.
    assert "原来的回答：是" in say(boss, "修改 2")
    summary = say(boss, "否")
    assert "请核对（共 5 题" in summary and "发现问题 1 项" in summary and "外包外租是否签订" not in summary
    done = say(boss, "1")
    assert "已提交2026年6月自查：发现问题 1 项" in done and "下次自查：2026年7月" in done
    assert "【一般隐患】自查发现：主要负责人是否带队" in done and "当场整改好了吗" in done
    assert "整改责任人" in say(boss, "2")
    assert "整改措施" in say(boss, "李四（安全主管）")
    assert "万元" in say(boss, "由主要负责人补带队检查一次")
    assert "整改期限" in say(boss, "0.5")
    past = say(boss, "2026-06-01")
    assert "已经过去了" in past and "整改期限" in past
    plan = say(boss, "6月30日")
    assert "日期：2026-06-30" in plan and "应急预案" in plan
    summary = say(boss, "安排专人每日巡查")
    assert "请核对" in summary and "2026-06-30" in summary
    final = say(boss, "1")
    assert "已记录 YH-202606-0001：限期 2026-06-30 前整改，责任人 李四（安全主管）" in final
    services = sc_app.extensions["hazardbot"].services
    with services.sessions() as s:
        run = s.scalars(select(SelfCheckRun)).one()
        assert run.status == "submitted" and run.answers["c_outsource"] == "no" and "c_outsource_deal" not in run.answers
        assert run.answers["c_photo"] == [{"media_id": "m1", "pic_url": "http://x/p.jpg"}]
        hz = s.scalars(select(Hazard)).one()
        assert (hz.level, hz.source, hz.status, hz.item_id, hz.deadline, hz.funds_wan) == (
            "一般", "企业自查", "待整改", "c_lead", "2026-06-30", 0.5)
        assert hz.clause == "测试方案 三、（一）1."
    # A second attempt in the same period offers to view or amend.
    again = say(boss, "1")
    assert "已于" in again and "1. 查看提交的内容" in again
    assert "发现问题 1 项" in say(boss, "1")


def test_a_question_about_the_question_gets_help_not_an_answer(boss, sc_app):
    say(boss, "1")
    say(boss, "是")
    say(boss, "否")
    helped = say(boss, "这个怎么填？")
    assert "可用命令" in helped and "（3/5）专兼职安全管理人员有几人" in helped
    assert "（4/5）" in say(boss, "2")


def test_back_at_first_question_and_required_cannot_be_skipped(boss):
    say(boss, "1")
    assert "已经是第一题了" in say(boss, "上一题")
    refused = say(boss, "跳过")
    assert "必须回答，不能跳过" in refused and "（1/6）" in refused
    say(boss, "是")
    back = say(boss, "上一题")
    assert "上一题原来的回答：是" in back and "（1/6）" in back


def test_three_bad_answers_explain_instead_of_repeating(boss):
    say(boss, "1")
    say(boss, "是")
    say(boss, "否")
    assert "（3/5）" in say(boss, "abc")
    say(boss, "def")
    stuck = say(boss, "ghi")
    assert "回答示例" in stuck and "1. 再试一次" in stuck and "3. 暂停" in stuck
    assert "（3/5）" in say(boss, "1")


def test_pause_restart_continue(boss, sc_config, clock, recognizer, sc_app):
    say(boss, "1")
    say(boss, "是")
    paused = say(boss, "暂停")
    assert "已暂停" in paused and "第 2 题" in paused
    sc_app.extensions["hazardbot"].services.close()
    # A new process on the same database.
    app2 = create_app(services=build_services(sc_config, clock=clock, nlu=recognizer))
    peer = WeChatPeer(app2.test_client())
    resumed = peer.send_text("o_boss", "继续").text
    assert "未完成的2026年6月自查" in resumed and "1. 继续" in resumed
    assert "（2/6）是否有外包外租" in peer.send_text("o_boss", "1").text
    app2.extensions["hazardbot"].services.close()


def test_cancel_needs_confirmation_and_submits_nothing(boss, sc_app):
    say(boss, "1")
    say(boss, "是")
    ask = say(boss, "取消")
    assert "确定取消吗" in ask
    assert "（2/6）" in say(boss, "2")  # changed their mind: back to the same question
    say(boss, "取消")
    assert "没有提交任何内容" in say(boss, "1")
    with sc_app.extensions["hazardbot"].services.sessions() as s:
        assert s.scalars(select(SelfCheckRun)).all() == []


def test_fixed_on_the_spot_closes_the_hazard(boss, sc_app):
    say(boss, "1")
    for answer in ("否", "否", "2", "跳过", "跳过"):
        reply = say(boss, answer)
    assert "请核对" in reply
    assert "当场整改好了吗" in say(boss, "确认提交")
    assert "简要说明" in say(boss, "1")
    assert "照片" in say(boss, "已补充带队检查记录")
    assert "请核对" in say(boss, "完成")
    final = say(boss, "1")
    assert "即查即改，已销号" in final
    with sc_app.extensions["hazardbot"].services.sessions() as s:
        hz = s.scalars(select(Hazard)).one()
        assert hz.status == "即查即改" and hz.fixed_on_spot and hz.closed_at is not None


def test_export_selfchecks_in_three_formats(boss, sc_app, sc_config, tmp_path, capsys):
    import csv
    import io
    import json

    from openpyxl import load_workbook

    from bot.cli import main

    say(boss, "1")
    for answer in ("是", "否", "2", "跳过", "跳过", "1"):
        say(boss, answer)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{sc_config.database.url}"\n[security]\nsecret_key = "test-secret"\n'
                   f'[server]\ninstance_dir = "{tmp_path / "i"}"\n[selfcheck]\nchecklists_dir = "{BANKS}"\n'
                   f'[selfcheck.banks]\n')
    assert main(["--config", str(cfg), "export", "selfchecks", "--format", "json", "--month", "2026-06"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data) == 1 and data[0]["enterprise"] == "青山化工有限公司" and data[0]["period"] == "2026-06"
    assert [i["answer"] for i in data[0]["items"]][:3] == ["是", "否", "2"]
    assert main(["--config", str(cfg), "export", "selfchecks", "--format", "csv", "--unit", "青山湖镇"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:3] == ["自查编号", "周期", "企业（项目）"] and len(rows) == 1 + 5
    out = tmp_path / "sc.xlsx"
    assert main(["--config", str(cfg), "export", "selfchecks", "--format", "xlsx", "--output", str(out)]) == 0
    ws = load_workbook(out).active
    assert ws["A1"].value.startswith("企业自查记录") and ws["A2"].value == "自查编号" and ws.max_row == 2 + 5
    assert main(["--config", str(cfg), "export", "selfchecks", "--month", "2026-13"]) == 1
    assert "月份格式" in capsys.readouterr().err
    assert main(["--config", str(cfg), "export", "selfchecks", "--month", "2026-05"]) == 0
    assert json.loads(capsys.readouterr().out) == []
