"""A checklist or form edited under a saved draft: answers stay with their items, removed items drop their
answers, the person is told, and the next question is the first relevant one still unanswered — for a
self-check paused and continued, and for a hazard report and a tip whose form changed between two messages."""
from __future__ import annotations

import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.engine import Engine
from conftest import TEST_BANKS
from handlers.forms.catalog import FLOW_FORMS, FormCatalog
from handlers.messages import TEXT, Incoming
from storage.models import Hazard, SelfCheckRun, Tip

NEW_FIRST = '''
[[items]]
id = "c_new_first"
type = "yes_no"
allow_na = false
text = "新增：是否制定了有限空间作业审批制度？"
hazard_when = ["no"]
level = "一般"
clause = "测试方案 三、（一）9."
'''


def send(engine: Engine, user: str, text: str) -> str:
    stamp = datetime.now(timezone.utc)
    return "\n".join(engine.handle(Incoming(channel="sim", user_id=user, msg_key=f"{user}:{stamp.timestamp()}:{text}",
                                            kind=TEXT, created_at=stamp, text=text)))


def edited_banks(tmp_path: Path, edit) -> Path:  # noqa: ANN001
    folder = tmp_path / "banks-v2"
    shutil.copytree(TEST_BANKS, folder)
    path = folder / "campaign.toml"
    path.write_text(edit(path.read_text(encoding="utf-8").replace('version = "test.1"', 'version = "test.2"')),
                    encoding="utf-8")
    return folder


def insert_first(text: str) -> str:
    head, first, rest = text.partition("[[items]]")
    return head + NEW_FIRST.lstrip() + "\n" + first + rest


def remove_item(item_id: str):  # noqa: ANN201
    def edit(text: str) -> str:
        blocks = text.split("[[items]]")
        return "[[items]]".join(b for b in blocks if f'id = "{item_id}"' not in b)
    return edit


def move_last_to_front(text: str) -> str:
    head, *blocks = text.split("[[items]]")
    blocks = [blocks[-1].rstrip() + "\n\n", *blocks[:-1]]
    return head + "".join("[[items]]" + b for b in blocks)


@pytest.fixture
def boss(services, registry, invite):
    engine = Engine(services)
    assert "绑定成功" in send(engine, "boss", f"绑定 {invite('enterprise_head', enterprise=registry['enterprise'])}")
    return engine


def answers(services) -> dict:
    with services.sessions() as s:
        run = s.scalars(select(SelfCheckRun)).one()
        return dict(run.form_state["answers"])


def test_an_item_inserted_at_the_top_between_pause_and_continue(boss, services, tmp_path):
    send(boss, "boss", "开始自查")
    send(boss, "boss", "否")  # c_lead
    assert "（3/" in send(boss, "boss", "是")  # c_outsource
    send(boss, "boss", "暂停")
    services.forms = FormCatalog(edited_banks(tmp_path, insert_first))
    assert "未完成" in send(boss, "boss", "开始自查")  # the draft menu
    resumed = send(boss, "boss", "1")
    assert "清单已更新" in resumed and "新增：是否制定了有限空间作业审批制度" in resumed
    assert answers(services) == {"c_lead": "no", "c_outsource": "yes"}  # kept with their items
    # The next question is the first one still unanswered, not the one after the old position.
    assert "外包外租是否签订" in send(boss, "boss", "2")
    assert answers(services) == {"c_lead": "no", "c_outsource": "yes", "c_new_first": "no"}


def test_an_answered_item_removed_between_pause_and_continue(boss, services, tmp_path):
    send(boss, "boss", "开始自查")
    send(boss, "boss", "否")  # c_lead
    send(boss, "boss", "是")  # c_outsource
    send(boss, "boss", "暂停")
    services.forms = FormCatalog(edited_banks(tmp_path, remove_item("c_lead")))
    send(boss, "boss", "继续")
    resumed = send(boss, "boss", "1")
    assert "清单已更新" in resumed and "外包外租是否签订" in resumed
    assert answers(services) == {"c_outsource": "yes"}  # the removed item's answer is gone
    send(boss, "boss", "是")
    send(boss, "boss", "3")
    send(boss, "boss", "跳过")
    summary = send(boss, "boss", "完成")
    assert "请核对" in summary and "主要负责人是否带队" not in summary
    send(boss, "boss", "1")
    with services.sessions() as s:
        run = s.scalars(select(SelfCheckRun)).one()
        assert run.status == "submitted" and "c_lead" not in run.answers


def test_items_reordered_between_pause_and_continue(boss, services, tmp_path):
    send(boss, "boss", "开始自查")
    send(boss, "boss", "否")  # c_lead
    send(boss, "boss", "是")  # c_outsource
    send(boss, "boss", "暂停")
    services.forms = FormCatalog(edited_banks(tmp_path, move_last_to_front))
    send(boss, "boss", "继续")
    resumed = send(boss, "boss", "1")
    # c_photo moved to the front: it is the first item still unanswered.
    assert "清单已更新" in resumed and "公示牌" in resumed
    assert answers(services) == {"c_lead": "no", "c_outsource": "yes"}


def flow_forms_with(tmp_path: Path, name: str, edit) -> Path:  # noqa: ANN001
    folder = tmp_path / "defs-v2"
    shutil.copytree(FLOW_FORMS, folder)
    path = folder / f"{name}.toml"
    text = re.sub(r'version = "([^"]+)"', r'version = "\1-edited"', path.read_text(encoding="utf-8"), count=1)
    path.write_text(edit(text), encoding="utf-8")
    return folder


def conversation_answers(services) -> dict:
    from storage.models import Conversation

    with services.sessions() as s:
        return dict(s.scalars(select(Conversation)).one().state["form"]["answers"])


def test_a_hazard_report_keeps_its_answers_when_the_form_changes_mid_report(boss, services, tmp_path):
    send(boss, "boss", "上报隐患")
    assert "所属行业领域" in send(boss, "boss", "仓库灭火器过期")
    added = """[[items]]
id = "place"
type = "text"
text = "隐患在哪个部位？"

"""
    folder = flow_forms_with(tmp_path, "hazard_report", lambda t: t.replace("[[items]]", added + "[[items]]", 1))
    services.forms = FormCatalog(TEST_BANKS, folder)
    changed = send(boss, "boss", "1")  # meant for the industry question: not recorded, the form changed
    assert "清单已更新" in changed and "隐患在哪个部位" in changed
    assert "所属行业领域" in send(boss, "boss", "一号仓库")
    assert conversation_answers(services) == {"description": "仓库灭火器过期", "place": "一号仓库"}
    with services.sessions() as s:
        assert s.scalars(select(Hazard)).all() == []


def test_a_tip_keeps_its_answers_when_an_answered_item_is_removed(services, tmp_path):
    engine = Engine(services)
    send(engine, "tipster", "我要举报")
    send(engine, "tipster", "锅炉房旁边堆着几十桶油漆")
    assert "涉及哪家企业" in send(engine, "tipster", "青山湖镇工业园3号")
    folder = flow_forms_with(tmp_path, "tip", remove_item("where"))
    services.forms = FormCatalog(TEST_BANKS, folder)
    changed = send(engine, "tipster", "青山化工")  # not recorded: the form changed under it
    assert "清单已更新" in changed and "涉及哪家企业" in changed
    from storage.ephemeral import private_key

    # A tip's draft lives in the private store, never in the database.
    draft = services.private.get(private_key(services.secret, "draft", "sim", "tipster"))
    assert draft["state"]["form"]["answers"] == {"what": "锅炉房旁边堆着几十桶油漆"}
    with services.sessions() as s:
        assert s.scalars(select(Tip)).all() == []


# -- a bank rewritten into the standard's situations under a saved draft -------------------------------

BANK_V1 = '''
[form]
id = "bank"
version = "1"
title = "t"
kind = "selfcheck"

[[items]]
id = "b_license"
type = "yes_no"
allow_na = false
text = "是否存在未取得经营许可证从事经营的情况？"
hazard_when = ["yes"]
level = "重大"
clause = "c"

[[items]]
id = "b_plan"
type = "yes_no"
text = "是否制定了应急救援预案？"
hazard_when = ["no"]
level = "一般"
clause = "c"

[[items]]
id = "b_note"
type = "text"
required = false
text = "还有需要说明的吗？"
'''

BANK_V2 = '''
[form]
id = "bank"
version = "2"
title = "t"
kind = "selfcheck"

[[items]]
id = "b_scope"
type = "multi"
prefill = "sector"
text = "本单位经营以下哪些？"
options = [{ value = "station", label = "燃气厂站", synonyms = ["加气站"] }, { value = "bottle", label = "瓶装燃气" }]

[[items]]
id = "b_license"
type = "situation"
allow_na = false
text = "是否未取得燃气经营许可证就从事燃气经营活动？"
level = "重大"
clause = "《城镇燃气经营安全重大隐患判定标准》（建城规〔2023〕4号）第四条第（一）项"
clause_text = "未取得燃气经营许可证从事燃气经营活动"

[[items]]
id = "b_guidance"
type = "notice"
text = "其他严重违法违规的现实危险也判定为重大隐患，请另行上报。"

[[items]]
id = "b_plan"
type = "yes_no"
text = "是否制定了应急救援预案？"
hazard_when = ["no"]
level = "一般"
clause = "c"

[[items]]
id = "b_note"
type = "text"
required = false
text = "还有需要说明的吗？"
'''


def _bank(tmp_path: Path, name: str, text: str):  # noqa: ANN202
    from handlers.forms.definition import load_form

    path = tmp_path / name / "bank.toml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    return load_form(path)


def _msg(text: str) -> Incoming:
    return Incoming(channel="sim", user_id="u", msg_key=text, kind=TEXT, created_at=datetime.now(timezone.utc), text=text)


def test_a_draft_survives_its_bank_rewritten_into_situations_scope_and_notices(tmp_path):
    from datetime import date

    from handlers.forms.definition import sector_prefill
    from handlers.forms.runtime import FormRunner

    today = date(2026, 6, 10)
    v1, v2 = _bank(tmp_path, "v1", BANK_V1), _bank(tmp_path, "v2", BANK_V2)
    old = FormRunner(v1)
    state = old.begin().state
    state = old.handle(state, _msg("是"), today).state  # b_license: 是 meant the hazard in v1
    state = old.handle(state, _msg("是"), today).state  # b_plan: fine
    assert state["answers"] == {"b_license": "yes", "b_plan": "yes"}
    new = FormRunner(v2)
    resumed = new.current_prompt(state)
    # The answer v1 recorded for b_license is no option of the situation: asked again rather than kept as a
    # value that flags nothing; b_plan keeps its answer; the new scope question comes first.
    assert resumed.state["answers"] == {"b_plan": "yes"} and resumed.state["at"] == "b_scope"
    resumed.state["suggest"] = sector_prefill(v2, "加气站")
    result = new.handle(resumed.state, _msg("是"), today)  # the preselection confirmed
    assert result.state["answers"]["b_scope"] == ["station"] and result.state["at"] == "b_license"
    result = new.handle(result.state, _msg("存在"), today)
    assert result.state["at"] == "b_note"  # the notice was shown on the way, not asked
    result = new.handle(result.state, _msg("跳过"), today)
    assert result.state["mode"] == "summary"
    flagged = [i.id for i in v2.items if i.hazard_when and result.state["answers"].get(i.id) in i.hazard_when]
    assert flagged == ["b_license"]
    # Saved under v2 and opened again by v2, nothing is lost or asked twice.
    assert new.current_prompt(result.state).state["answers"] == result.state["answers"]
    # Amending a run submitted under v1 starts from its answers that v2's items still offer.
    amended = new.begin(answers={"b_license": "yes", "b_plan": "no", "b_gone": "yes"})
    assert amended.state["answers"] == {"b_plan": "no"} and amended.state["at"] == "b_scope"
