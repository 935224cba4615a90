"""What an answer means: uncertainty is never a 否, 不涉及 only where offered, amounts as people write them,
dates that passed, and the confirmations that keep an unusual value only when the person says so."""
from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from handlers.forms.answers import is_unsure, match_option, parse_answer
from handlers.forms.definition import SCREEN_OPTIONS, SITUATION_OPTIONS, UNSURE, YES_NO_OPTIONS, Item, load_forms
from handlers.forms.runtime import FormRunner
from handlers.messages import TEXT, Incoming

TODAY = date(2026, 6, 10)
DEFS = load_forms(Path(__file__).resolve().parents[2] / "handlers" / "forms" / "defs")
BANKS = load_forms(Path(__file__).resolve().parents[1] / "data" / "checklists")


def msg(text: str) -> Incoming:
    return Incoming(channel="sim", user_id="p", msg_key=text, kind=TEXT, created_at=datetime.now(UTC),
                    text=text)


@pytest.mark.parametrize("text", ["不知道", "不知道啊", "我也不清楚", "说不好", "这个不太确定", "没注意", "不晓得",
                                  "记不清了", "要问问"])
def test_uncertainty_is_recognised(text):
    assert is_unsure(text)


@pytest.mark.parametrize("text", ["不是", "没有", "不清楚原因，但是配电箱门坏了", "否"])
def test_answers_are_not_uncertainty(text):
    assert not is_unsure(text)


def test_uncertainty_is_never_an_answer():
    item = Item(id="x", type="yes_no", text="？", options=YES_NO_OPTIONS, hazard_when=("no",), level="一般")
    parsed = parse_answer(item, msg("不知道啊"), TODAY)
    assert parsed.unsure and not parsed.ok and parsed.value is None


@pytest.mark.parametrize("text,value", [("是的，已经做了", "yes"), ("没有，还没弄", "no"), ("不是", "no"), ("是", "yes"),
                                        ("2", "no"), ("有的", "yes"), ("不，没做", "no")])
def test_yes_no_replies(text, value):
    assert match_option(YES_NO_OPTIONS[:2], text).value == value  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["不知道啊", "不好说", "不涉及", "嗯", "啊是吗"])
def test_replies_that_name_no_option(text):
    assert match_option(YES_NO_OPTIONS[:2], text) is None


@pytest.mark.parametrize("options", [SITUATION_OPTIONS, SCREEN_OPTIONS], ids=["situation", "screen"])
@pytest.mark.parametrize("text", ["没有看懂", "没有时间，晚点再填", "没有人知道", "没有仔细看", "没看明白", "没空"])
def test_a_negation_about_the_person_is_no_answer_about_the_situation(options, text):
    # 没有 begins the "none present" answer, but these say the person did not understand or had no time.
    assert match_option(options, text) is None


@pytest.mark.parametrize("options", [SITUATION_OPTIONS, SCREEN_OPTIONS], ids=["situation", "screen"])
@pytest.mark.parametrize("text", ["没有", "没有，都正常", "没有的", "没有这种情况"])
def test_none_present_said_plainly(options, text):
    assert match_option(options, text) is options[1]


def test_not_applicable_only_where_offered():
    without = Item(id="x", type="yes_no", text="？", options=YES_NO_OPTIONS[:2])
    refused = parse_answer(without, msg("不涉及"), TODAY)
    assert not refused.ok and "没有「不涉及」选项" in refused.error
    assert parse_answer(Item(id="y", type="yes_no", text="？", options=YES_NO_OPTIONS), msg("不涉及"), TODAY).value == "na"


def test_visible_option_texts_and_short_forms():
    fix = DEFS["hazard_report"].item("fix")
    for text in ("已当场整改", "即查即改", "已整改完成", "当场整改了", "1"):
        assert match_option(fix.options, text).value == "now", text  # type: ignore[union-attr]
    assert match_option(fix.options, "需要限期整改").value == "later"  # type: ignore[union-attr]


@pytest.mark.parametrize("word", ["建筑", "工地", "建筑施工", "房屋市政"])
def test_industry_words_from_the_registry_vocabulary(word):
    industry = DEFS["hazard_report"].item("industry")
    assert match_option(industry.options, word).value == "房屋市政工程"  # type: ignore[union-attr]
    assert match_option(industry.options, "加油站").value == "危险化学品"  # type: ignore[union-attr]


FUNDS = DEFS["hazard_report"].item("funds")


@pytest.mark.parametrize("text,wan,echo", [("3千", 0.3, "3千元 = 0.3 万元"), ("三千元", 0.3, "三千元 = 0.3 万元"),
                                           ("两千块", 0.2, "两千块 = 0.2 万元"), ("五百块", 0.05, "五百块 = 0.05 万元"),
                                           ("2万", 2, ""), ("0.5万", 0.5, ""), ("1.2", 1.2, ""), ("0", 0, ""),
                                           ("大约3000元", 0.3, "3000元 = 0.3 万元"), ("三千", 0.3, "三千元 = 0.3 万元")])
def test_amounts_as_people_write_them(text, wan, echo):
    parsed = parse_answer(FUNDS, msg(text), TODAY)
    assert parsed.ok and parsed.value == pytest.approx(wan)
    assert parsed.echo == echo


@pytest.mark.parametrize("text", ["不用钱", "没花钱", "不花钱", "没有", "无", "免费", "没有资金投入", "一分钱都没花"])
def test_nothing_spent_is_zero_and_said_back(text):
    parsed = parse_answer(FUNDS, msg(text), TODAY)
    assert parsed.ok and parsed.value == 0 and parsed.echo == f"{text} = 0 万元"


def test_an_implausible_amount_is_confirmed_not_kept():
    parsed = parse_answer(FUNDS, msg("3000"), TODAY)
    assert not parsed.ok and parsed.confirm and parsed.value == 3000


def test_a_deadline_in_the_past_is_refused_with_the_day_understood():
    deadline = DEFS["hazard_report"].item("deadline")
    for text, day in (("昨天", "2026-06-09"), ("前天", "2026-06-08"), ("2026-06-01", "2026-06-01")):
        parsed = parse_answer(deadline, msg(text), TODAY)
        assert not parsed.ok and day in parsed.error and "已经过去了" in parsed.error


def test_a_month_day_just_passed_is_confirmed_as_next_year():
    deadline = DEFS["hazard_report"].item("deadline")
    parsed = parse_answer(deadline, msg("12月1日"), date(2026, 12, 2))
    assert not parsed.ok and parsed.value == "2027-12-01" and "是指 2027年12月1日 吗" in parsed.confirm
    relative = parse_answer(deadline, msg("下个月15号"), date(2026, 12, 2))
    assert relative.ok and relative.value == "2027-01-15"


def walk_to_funds(runner: FormRunner) -> dict:
    state = runner.begin("").state
    for text in ("仓库消防栓没水", "工贸", "一般", "完成", "2", "张三", "维修消防栓"):
        state = runner.handle(state, msg(text), TODAY).state
    assert state["at"] == "funds"
    return state


def test_declining_a_confirmation_records_nothing_and_asks_again():
    runner = FormRunner(DEFS["hazard_report"])
    state = walk_to_funds(runner)
    asked = runner.handle(state, msg("3000"), TODAY)
    assert asked.state["mode"] == "confirm_value" and "funds" not in asked.state["answers"]
    stray = runner.handle(asked.state, msg("嗯？"), TODAY)
    assert stray.state["mode"] == "confirm_value" and "funds" not in stray.state["answers"]
    again = runner.handle(stray.state, msg("2"), TODAY)
    assert again.state["at"] == "funds" and "funds" not in again.state["answers"] and "重新回答" in again.replies[0]
    fixed = runner.handle(again.state, msg("3000元"), TODAY)
    assert fixed.state["answers"]["funds"] == pytest.approx(0.3) and "3000元 = 0.3 万元" in fixed.replies[0]


@pytest.mark.parametrize("yes", ["1", "是", "嗯", "嗯嗯", "好的好的", "对。", "没问题", "👌"])
def test_confirming_keeps_the_value(yes):
    runner = FormRunner(DEFS["hazard_report"])
    asked = runner.handle(walk_to_funds(runner), msg("3000"), TODAY)
    kept = runner.handle(asked.state, msg(yes), TODAY)
    assert kept.state["answers"]["funds"] == 3000 and kept.state["at"] == "deadline"


@pytest.mark.parametrize("said,taken", [("是", True), ("嗯", True), ("好的", True), ("对对", True), ("可以的", True),
                                        ("确认。", True), ("嗯？", False), ("不是", False), ("不知道", False)])
def test_a_nod_takes_the_recommended_answer_and_a_question_does_not(said, taken):
    runner = FormRunner(DEFS["hazard_report"])
    state = runner.begin("", suggest={"industry": "工贸"}).state
    state = runner.handle(state, msg("仓库消防栓没水"), TODAY).state
    assert state["at"] == "industry"
    after = runner.handle(state, msg(said), TODAY).state
    assert (after["answers"].get("industry") == "工贸") is taken and (after["at"] == "level") is taken


def test_a_new_value_typed_at_a_confirmation_replaces_it():
    runner = FormRunner(DEFS["hazard_report"])
    asked = runner.handle(walk_to_funds(runner), msg("3000"), TODAY)
    assert runner.handle(asked.state, msg("0.5万"), TODAY).state["answers"]["funds"] == 0.5


def test_not_knowing_explains_and_marks_unsure_where_allowed():
    runner = FormRunner(BANKS["campaign"])
    state = runner.begin("").state
    explained = runner.handle(state, msg("不知道啊"), TODAY)
    assert explained.state["answers"] == {} and "待核实" in explained.replies[0] and "本月由主要负责人" in explained.replies[0]
    marked = runner.handle(explained.state, msg("待核实"), TODAY)
    assert marked.state["answers"] == {"c_lead": UNSURE}
    report = FormRunner(DEFS["hazard_report"])
    refused = report.handle(report.begin("").state, msg("待核实"), TODAY)
    assert "不能标记待核实" in refused.replies[0] and refused.state["answers"] == {}


def test_cancel_confirmation_survives_a_stray_reply():
    runner = FormRunner(DEFS["hazard_report"])
    state = runner.handle(runner.begin("").state, msg("仓库消防栓没水"), TODAY).state
    asking = runner.handle(state, msg("取消"), TODAY)
    stray = runner.handle(asking.state, msg("工贸"), TODAY)
    assert stray.state["mode"] == "confirm_cancel" and "industry" not in stray.state["answers"]
    done = runner.handle(stray.state, msg("1"), TODAY)
    assert done.outcome == "cancelled" and "industry" not in done.state["answers"]


def test_summary_edit_phrasings():
    runner = FormRunner(BANKS["campaign"])
    state = runner.begin("").state
    for text in ("是", "否", "3", "跳过", "完成"):
        state = runner.handle(state, msg(text), TODAY).state
    assert state["mode"] == "summary"
    for text in ("改一下第2题", "修改2", "修改 第2题", "第2题改一下", "改第二题"):
        edited = runner.handle(state, msg(text), TODAY)
        assert edited.state["at"] == "c_outsource", text


def test_summary_numbers_items_and_actions_differently():
    runner = FormRunner(BANKS["campaign"])
    state = runner.begin("").state
    for text in ("否", "否", "3", "跳过", "完成"):
        result = runner.handle(state, msg(text), TODAY)
        state = result.state
    summary = result.replies[0]
    assert "第1题 " in summary and "1. 确认提交" in summary
    assert not any(line.startswith("1. 主要") for line in summary.splitlines())


@pytest.mark.parametrize("text", ["嗯", "好的", "1", "ok", "👍", "已保存", "谢谢", "收到了"])
def test_a_nod_or_a_bare_number_is_no_answer_to_a_question_asking_for_words(text):
    place = Item(id="where", type="location", text="问题在什么地方？", required=False)
    name = Item(id="who", type="text", text="涉及哪家企业？", required=False)
    for item in (place, name):
        parsed = parse_answer(item, msg(text), TODAY)
        assert parsed.error and "跳过" in parsed.error, (item.id, text)
    assert parse_answer(place, msg("工业园3号厂房"), TODAY).value == {"label": "工业园3号厂房"}
    assert parse_answer(name, msg("华丰五金"), TODAY).value == "华丰五金"


@pytest.mark.parametrize("text", ["举报都三天了 怎么没动静", "地址在哪里填？", "这个要写吗"])
def test_a_question_is_no_place(text):
    place = Item(id="where", type="location", text="问题在什么地方？", required=False)
    parsed = parse_answer(place, msg(text), TODAY)
    assert parsed.error and "地点" in parsed.error and parsed.value is None


def test_a_stray_nod_in_the_middle_of_a_tip_is_not_recorded_as_its_place(wechat):
    """Through the signed webhook, as a busy person types: the nod is asked about again, the place comes
    next, and WeChat's retry of that message changes nothing."""
    assert "什么地方" in wechat.send_text("o_busy", "我要举报 厂里消防通道被货堵死了").text
    assert "用文字写明" in wechat.send_text("o_busy", "嗯").text
    nxt = wechat.send_text("o_busy", "城东工业园2号仓库", msg_id=9001).text
    assert "哪家企业" in nxt
    assert wechat.send_text("o_busy", "城东工业园2号仓库", msg_id=9001).text == nxt
    for reply in ("跳过", "6", "跳过"):
        summary = wechat.send_text("o_busy", reply).text
    assert "问题在什么地方：城东工业园2号仓库" in summary and "：嗯" not in summary


@pytest.mark.parametrize("not_known", ["不知道叫啥", "不知道", "不清楚是哪家"])
def test_not_knowing_an_optional_answer_of_a_tip_leaves_it_empty(not_known):
    runner = FormRunner(DEFS["tip"])
    state = runner.begin("").state
    for text in ("隔壁厂晚上偷偷电焊 没人看着", "城关镇工业园"):
        state = runner.handle(state, msg(text), TODAY).state
    assert state["at"] == "enterprise"
    after = runner.handle(state, msg(not_known), TODAY)
    assert after.state["at"] == "industry" and after.state["answers"]["enterprise"] is None


@pytest.mark.parametrize("none", ["没拍", "没有", "没有照片", "不方便发", "拍不了"])
def test_no_photo_to_send_ends_an_optional_photo_question(none):
    runner = FormRunner(DEFS["tip"])
    state = runner.begin("").state
    for text in ("隔壁厂晚上偷偷电焊 没人看着", "城关镇工业园", "跳过", "3"):
        state = runner.handle(state, msg(text), TODAY).state
    photo = runner.form.item(state["at"])
    assert photo.type == "photo" and not photo.required
    after = runner.handle(state, msg(none), TODAY)
    assert after.state["answers"][photo.id] is None and after.state["mode"] == "summary"
