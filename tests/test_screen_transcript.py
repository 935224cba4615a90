"""A construction site's head answers the self-check's screens as a phone would: every message a signed,
安全模式-encrypted /wechat callback. What counts is what the draft and the submitted run hold: 2 at a screen
settles its situations (none of them asked, none recorded as anything else), 1 or 不知道 opens them one by one,
WeChat's retry of a callback is handled once, and a stray reply at a screen records nothing."""
from __future__ import annotations

from typing import Any

import pytest
from conftest import make_config
from sqlalchemy import select
from wechat_peer import Reply, WeChatPeer, message_xml

from bot.app import create_app
from bot.services import build_services
from handlers.forms.catalog import FormCatalog
from storage.db import migrate
from storage.models import Enterprise, Hazard, SelfCheckRun, Unit

HEAD = "o_site_head"
FORM = FormCatalog().compose(["construction"])
PIT = FORM.item("c_pit")  # the first screen a site with 基坑 reaches: six situations of 第五条 and 第十四条
PIT_COVERS = list(PIT.covers)
SCAFFOLD_COVERS = list(FORM.item("c_scaffold").covers)
# Before c_pit: the scope (基坑 and 脚手架 chosen), then 第四条's five situations, each answered 2 (不存在).
BEFORE_PIT = ["c4_1", "c4_2", "c4_3", "c4_4", "c4_5"]


@pytest.fixture
def site(tmp_path, clock, recognizer):
    """The shipped construction bank alone (as tests/test_selfcheck_situations.py does for gas), so the first
    screen comes after seven questions; a 房屋市政工程 project whose head binds over WeChat."""
    from storage.invites import create_invite

    config = make_config(tmp_path, selfcheck={"checklists_dir": "", "always": [],
                                              "banks": {"房屋市政工程": ["construction"]}})
    migrate(config.database.url)
    app = create_app(services=build_services(config, clock=clock, nlu=recognizer))
    services = app.extensions["hazardbot"].services
    with services.sessions.begin() as s:
        town = Unit(name="青山湖镇", kind="town")
        s.add(town)
        s.flush()
        ent = Enterprise(name="青山湖安置房二期项目", industry="房屋市政工程", sector="施工项目", town_id=town.id,
                         risk_tier="high")
        s.add(ent)
        s.flush()
        code = create_invite(s, services.secret, role="enterprise_head", enterprise=ent, now=services.clock(),
                             ttl_days=7).code
    peer = WeChatPeer(app.test_client(), mode="safe")
    assert "绑定成功" in peer.send_text(HEAD, f"绑定 {code}").text
    yield peer, services
    app.extensions["hazardbot"].responder.shutdown()
    services.close()


def say(peer: WeChatPeer, text: str, msg_id: int | None = None) -> Reply:
    reply = peer.send_text(HEAD, text, msg_id=msg_id)
    assert reply.status == 200, (text, reply.status, reply.raw[:200])
    return reply


def draft(services) -> dict[str, Any]:
    """The one self-check's saved form state, as the next message will find it."""
    with services.sessions() as s:
        run = s.scalars(select(SelfCheckRun)).one()
        assert run.status == "draft"
        return dict(run.form_state)


def submitted(services) -> SelfCheckRun:
    with services.sessions() as s:
        run = s.scalars(select(SelfCheckRun)).one()
        s.expunge(run)
        return run


def flagged(services) -> list[tuple[str, str, str]]:
    with services.sessions() as s:
        return [(h.item_id, h.level, h.description) for h in s.scalars(select(Hazard).order_by(Hazard.id))]


def reach_pit(peer: WeChatPeer, services) -> dict[str, Any]:
    say(peer, "开始自查")
    assert draft(services)["at"] == "c_scope"
    say(peer, "1 3")  # 基坑（槽）、边坡工程 and 脚手架工程
    for item_id in BEFORE_PIT:
        assert draft(services)["at"] == item_id
        say(peer, "2")
    state = draft(services)
    assert state["at"] == "c_pit" and state["mode"] == "ask"
    assert state["answers"] == {"c_scope": ["pit", "scaffold"], **{i: "absent" for i in BEFORE_PIT}}
    return state


def finish_with_absent(peer: WeChatPeer, services) -> None:
    """2 (不存在 / 以上情形都不存在) to every question left, then 1 (确认提交) at the summary."""
    for _ in range(len(FORM.items)):
        if draft(services)["mode"] != "ask":
            break
        say(peer, "2")
    assert draft(services)["mode"] == "summary"
    say(peer, "1")
    assert submitted(services).status == "submitted"


# -- 1. 以上情形都不存在 -------------------------------------------------------------------------------

def test_two_at_the_screen_settles_all_its_situations_and_the_next_question_is_another_item(site):
    peer, services = site
    reach_pit(peer, services)
    reply = say(peer, "2").text
    state = draft(services)
    assert state["answers"]["c_pit"] == "none"
    # None of the six was asked or recorded one by one: the screen's 都不存在 stands for them all.
    assert not set(PIT_COVERS) & set(state["answers"])
    assert state["at"] == "c_scaffold" and state["mode"] == "ask"
    assert state["trail"][-1] == "c_pit"
    assert FORM.item("c_scaffold").text in reply and FORM.item("c5_1").text not in reply
    finish_with_absent(peer, services)
    run = submitted(services)
    assert run.answers["c_pit"] == run.answers["c_scaffold"] == "none"
    assert not set(PIT_COVERS + SCAFFOLD_COVERS) & set(run.answers)
    assert all(v in ("absent", "none", "seen") or k == "c_scope" for k, v in run.answers.items()), run.answers
    assert flagged(services) == []


# -- 2. 存在其中一项或几项 / 不知道 -------------------------------------------------------------------------

@pytest.mark.parametrize("opening", ["1", "不知道"])
def test_one_or_not_knowing_opens_the_situations_one_by_one_and_only_the_one_present_is_a_hazard(site, opening):
    peer, services = site
    reach_pit(peer, services)
    assert FORM.item("c5_1").text in say(peer, opening).text  # ① asked next, on its own
    state = draft(services)
    assert state["answers"]["c_pit"] == "some"
    assert not set(PIT_COVERS) & set(state["answers"])  # opening records nothing for the situations themselves
    present = "c5_3"  # 深基坑、高边坡（一级、二级）施工未进行第三方监测
    for item_id in PIT_COVERS:
        state = draft(services)
        assert state["at"] == item_id
        say(peer, "存在" if item_id == present else "2")
        assert draft(services)["answers"][item_id] == ("exists" if item_id == present else "absent")
    assert draft(services)["at"] == "c_scaffold"  # the section done, the next screen
    finish_with_absent(peer, services)
    run = submitted(services)
    assert run.answers["c_pit"] == "some"
    assert {i: run.answers[i] for i in PIT_COVERS} == {i: ("exists" if i == present else "absent") for i in PIT_COVERS}
    assert flagged(services) == [(present, "重大", "自查发现：" + FORM.item(present).clause_text.rstrip("；"))]


# -- 3. WeChat's retries ------------------------------------------------------------------------------

def post_twice_identically(peer: WeChatPeer, text: str, msg_id: int) -> tuple[Reply, Reply]:
    """One callback and WeChat's retry of it: the same URL (timestamp, nonce, signatures) and the same bytes."""
    query, body = peer.signed_request(message_xml(HEAD, {"MsgType": "text", "Content": text, "MsgId": str(msg_id)}))
    return peer.post_request(query, body), peer.post_request(query, body)


@pytest.mark.parametrize("how", ["identical request", "same MsgId, signed afresh"])
def test_a_retried_callback_at_the_screen_moves_the_self_check_once(site, how):
    peer, services = site
    reach_pit(peer, services)
    if how == "identical request":
        first, retry = post_twice_identically(peer, "1", msg_id=5_000_001)
    else:
        first, retry = say(peer, "1", msg_id=5_000_001), say(peer, "1", msg_id=5_000_001)
    assert first.status == retry.status == 200
    state = draft(services)
    # Handled twice, the second 1 would have answered ① (c5_1) 存在 and moved on to c5_2.
    assert state["answers"] == {"c_scope": ["pit", "scaffold"], **{i: "absent" for i in BEFORE_PIT}, "c_pit": "some"}
    assert state["at"] == "c5_1"
    assert state["trail"].count("c_pit") == 1
    assert FORM.item("c5_1").text in first.text
    # The project's convention (tests/test_webhook_auth.py): the retry is answered with the same reply.
    assert retry.text == first.text
    # The next message, a new one, is the answer to ①.
    say(peer, "2")
    state = draft(services)
    assert state["answers"]["c5_1"] == "absent" and state["at"] == "c5_2"


# -- 4. A stray reply at the screen -------------------------------------------------------------------

@pytest.mark.parametrize("stray", ["好的", "3", "今天工地在浇混凝土"])
def test_a_stray_reply_at_the_screen_records_nothing_and_asks_it_again(site, stray):
    peer, services = site
    before = reach_pit(peer, services)["answers"]
    reply = say(peer, stray).text
    state = draft(services)
    assert state["answers"] == before and "c_pit" not in state["answers"]
    assert state["at"] == "c_pit" and state["mode"] == "ask"
    assert "没看懂这个回答" in reply and PIT.text in reply  # refused, and the screen asked again
    say(peer, "2")  # the real answer afterwards is taken
    assert draft(services)["answers"]["c_pit"] == "none"


def test_three_stray_replies_then_one_means_try_again_not_present(site):
    """After the third stray reply the stuck menu's 1 is 再试一次: it must not be read as 存在 at the screen."""
    peer, services = site
    before = reach_pit(peer, services)["answers"]
    for stray in ("好的", "3", "今天工地在浇混凝土"):
        last = say(peer, stray).text
    assert "1. 再试一次" in last
    state = draft(services)
    assert state["mode"] == "stuck" and state["answers"] == before
    say(peer, "1")
    state = draft(services)
    assert state["mode"] == "ask" and state["at"] == "c_pit" and state["answers"] == before
    say(peer, "1")
    state = draft(services)
    assert state["answers"]["c_pit"] == "some" and state["at"] == "c5_1"


@pytest.mark.parametrize("stray", ["没有看懂", "没有时间，晚点再填"])
def test_saying_one_has_not_understood_or_has_no_time_is_not_none_of_them(site, stray):
    peer, services = site
    before = reach_pit(peer, services)["answers"]
    say(peer, stray)
    state = draft(services)
    assert "c_pit" not in state["answers"] and state["answers"] == before
    assert state["at"] == "c_pit"
