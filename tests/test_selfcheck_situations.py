"""A self-check on a shipped bank of the standard's situations, end to end over WeChat: the scope comes
preselected from the registry's sector, 存在 files a hazard and 不存在 never does, 不知道 explains the clause
and offers 待核实, and 五落实 left for later keep the hazard 待整改, counted as 五落实未填 and reminded."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.services import build_services
from conftest import make_config
from handlers.forms.catalog import FormCatalog
from handlers.forms.definition import UNSURE
from scheduler.sweep import run_sweep
from storage.db import migrate
from storage.hazard_list import overview
from storage.models import Hazard, Outbox, SelfCheckRun, Unit
from storage.scope import Scope
from wechat_peer import WeChatPeer


@pytest.fixture
def gas_app(tmp_path, clock, recognizer):
    config = make_config(tmp_path, selfcheck={"checklists_dir": "", "always": [], "banks": {"城镇燃气": ["gas"]}})
    migrate(config.database.url)
    app = create_app(services=build_services(config, clock=clock, nlu=recognizer))
    yield app
    app.extensions["hazardbot"].services.close()


@pytest.fixture
def boss(gas_app):
    """The head of a 加气站 (registered sector 加气站), bound over WeChat."""
    from storage.invites import create_invite
    from storage.models import Enterprise, Unit

    services = gas_app.extensions["hazardbot"].services
    with services.sessions.begin() as s:
        town = Unit(name="青山湖镇", kind="town")
        s.add(town)
        s.flush()
        ent = Enterprise(name="青山加气站", industry="城镇燃气", sector="加气站", town_id=town.id, risk_tier="high")
        s.add(ent)
        s.flush()
        code = create_invite(s, services.secret, role="enterprise_head", enterprise=ent, now=services.clock(),
                             ttl_days=7).code
    peer = WeChatPeer(gas_app.test_client())
    assert "绑定成功" in peer.send_text("o_boss", f"绑定 {code}").text
    return peer


def say(peer, text):
    return peer.send_text("o_boss", text).text


def run_of(services) -> SelfCheckRun:
    with services.sessions() as s:
        return s.scalars(select(SelfCheckRun)).one()


def test_exists_files_a_hazard_absent_never_and_unsure_is_explained(boss, gas_app, clock):
    services = gas_app.extensions["hazardbot"].services
    gas = FormCatalog().form("gas")
    say(boss, "1")  # 开始自查: the scope question, 燃气厂站 preselected from the sector
    say(boss, "是")
    assert run_of(services).form_state["answers"]["gas_scope"] == ["station"]
    # A boss tapping the first option through the form: 1 is 存在, a hazard, on every question it answers;
    # answers of 不存在 in all their spellings in between file nothing.
    replies = {"gas4_1": "不存在", "gas4_2": "1", "gas4_3": "没有", "gas4_4": "2", "gas4_5": "不涉及",
               "gas5_1": "存在", "gas5_2": "无", "gas5_3": "否", "gas5_4": "不是"}
    for item_id, reply in replies.items():
        assert run_of(services).form_state["at"] == item_id
        say(boss, reply)
    # 不知道: the clause as published and the choice to mark it 待核实; nothing recorded until then.
    explained = say(boss, "不知道")
    assert gas.item("gas5_5").clause_text in explained
    assert "gas5_5" not in run_of(services).form_state["answers"]
    say(boss, "待核实")
    assert run_of(services).form_state["answers"]["gas5_5"] == UNSURE
    while run_of(services).form_state.get("mode") == "ask":
        say(boss, "2")
    say(boss, "1")  # 确认提交
    with services.sessions() as s:
        flagged = sorted(s.scalars(select(Hazard.item_id)))
        run = s.scalars(select(SelfCheckRun)).one()
    assert flagged == ["gas4_2", "gas5_1"]
    with services.sessions() as s:
        # Described in the standard's words, as the 重大隐患清单 shows them to staff.
        described = s.scalars(select(Hazard).where(Hazard.item_id == "gas4_2")).one()
        assert described.description == "自查发现：未建立安全风险分级管控制度" and described.level == "重大"
        assert described.clause == gas.item("gas4_2").clause
    assert sorted(k for k, v in run.answers.items() if v == "exists") == flagged
    assert run.answers["gas5_5"] == UNSURE and run.answers["gas4_5"] == "na"


def test_five_measures_left_for_later_stay_open_counted_and_reminded(boss, gas_app, clock):
    services = gas_app.extensions["hazardbot"].services
    say(boss, "1")
    say(boss, "是")
    say(boss, "存在")  # gas4_1
    say(boss, "存在")  # gas4_2
    while run_of(services).form_state.get("mode") == "ask":
        say(boss, "不存在")
    say(boss, "1")  # submitted: two hazards listed, the first one's follow-up asked
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Hazard).where(Hazard.status == "草稿")) == 2
    say(boss, "稍后补充")  # the first, left for later; the second is asked next
    with services.sessions() as s:
        assert sorted(s.scalars(select(Hazard.status))) == ["待整改", "草稿"]
    say(boss, "全部稍后补充")
    with services.sessions() as s:
        hazards = s.scalars(select(Hazard)).all()
        assert {h.status for h in hazards} == {"待整改"} and all(h.number for h in hazards)
        # Staff of the town see them as 五落实未填 on the back office's overview.
        town = s.scalars(select(Unit)).one()
        assert overview(s, Scope(town), clock.now.date(), services.tz).missing_five == 2
    # No reminder before selfcheck.five_measures_days (3) have passed; one per hazard on that day, once.
    for days, expected in ((1, 0), (3, 2), (3, 2), (4, 2)):
        clock.now = datetime(2026, 6, 10 + days, 3, 0, tzinfo=timezone.utc)  # 11:00, after send_hour
        with services.sessions.begin() as s:
            run_sweep(s, services.config, clock.now)
        with services.sessions() as s:
            assert s.scalar(select(func.count()).select_from(Outbox).where(Outbox.rule == "five_measures")) == expected
    # Filled through 整改进展, a hazard leaves 五落实未填.
    with services.sessions.begin() as s:
        first = s.scalars(select(Hazard).order_by(Hazard.id)).first()
        first.responsible, first.measures, first.plan = "张三", "加装联锁", "专人值守"
        first.funds_wan, first.deadline = 1.0, (clock.now + timedelta(days=10)).date().isoformat()
    with services.sessions() as s:
        assert overview(s, Scope(s.scalars(select(Unit)).one()), clock.now.date(), services.tz).missing_five == 1
