"""Whatever people send, the form engine never crashes, never reaches an impossible state, and never records an
answer the person did not give to the question they were asked."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.messages import IMAGE, LOCATION, TEXT, Incoming, Location
from handlers.forms.definition import UNSURE, load_forms
from handlers.forms.answers import is_unsure
from handlers.forms.runtime import COMMANDS, CONFIRM_NO, FormRunner

UNSURE_COMMANDS = {w for w, c in COMMANDS.items() if c == "unsure"}

FORMS = load_forms(Path(__file__).resolve().parent / "data" / "checklists") | load_forms(
    Path(__file__).resolve().parent.parent / "handlers" / "forms" / "defs")
MODES = {"ask", "stuck", "confirm_value", "summary", "edit_pick", "confirm_cancel"}
WORDS = ["1", "2", "3", "4", "0", "是", "否", "不涉及", "没有", "上一题", "返回", "跳过", "暂停", "继续", "取消", "进度",
         "帮助", "菜单", "完成", "确认提交", "修改", "修改 2", "修改 9", "月底", "6月30日", "2026-07-01", "三", "-5",
         "1 2", "abc", "", "   ", "🙂", "]]>", "<xml>", "99999999999", "不知道", "不知道啊", "说不好", "待核实",
         "3千", "两千块", "0.5万", "5000", "12月1日", "昨天", "前天", "改一下第2题", "算了", "确认", "重新填写",
         "嗯", "嗯？", "好的好的", "对对", "👌"]

message = st.one_of(
    st.sampled_from(WORDS).map(lambda t: ("text", t)),
    st.text(max_size=30).map(lambda t: ("text", t)),
    st.just(("image", "")),
    st.just(("location", "")),
)


def to_msg(kind: str, text: str, n: int) -> Incoming:
    now = datetime(2026, 6, 10, tzinfo=timezone.utc)
    if kind == "image":
        return Incoming(channel="sim", user_id="p", msg_key=str(n), kind=IMAGE, created_at=now, media_id=f"m{n}")
    if kind == "location":
        return Incoming(channel="sim", user_id="p", msg_key=str(n), kind=LOCATION, created_at=now,
                        location=Location(28.6, 115.9, "厂区"))
    return Incoming(channel="sim", user_id="p", msg_key=str(n), kind=TEXT, created_at=now, text=text)


def check_invariants(runner: FormRunner, state: dict, outcome: str, context: dict) -> None:
    form = runner.form
    assert state["mode"] in MODES
    relevant = set(runner._relevant(state["answers"], context))
    relevant_ids = {form.items[i].id for i in relevant}
    assert set(state["answers"]) <= relevant_ids, "an answer to an item that does not apply was kept"
    if state["mode"] in ("ask", "stuck"):
        assert runner.form.index(state["at"]) in relevant
    for item_id, value in state["answers"].items():
        item = form.item(item_id)
        if value is None:
            assert not item.required, f"required {item_id} skipped"
        elif value == UNSURE:
            assert runner.form.allow_unsure, f"{item_id} marked 待核实 in a form that does not allow it"
        elif item.type in ("yes_no", "choice"):
            assert value in {o.value for o in item.options}
        elif item.type == "multi":
            assert set(value) <= {o.value for o in item.options}
        elif item.type == "number":
            assert isinstance(value, (int, float))
            assert item.min is None or value >= item.min
        elif item.type == "date":
            date.fromisoformat(value)
    if outcome == "submitted":
        missing = [form.items[i].id for i in relevant if form.items[i].required and form.items[i].id not in state["answers"]]
        assert not missing, f"submitted without required {missing}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(form_id=st.sampled_from(sorted(FORMS)), level=st.sampled_from(["重大", "一般"]),
       messages=st.lists(message, max_size=40))
def test_random_conversations_keep_the_form_consistent(form_id, level, messages):
    runner = FormRunner(FORMS[form_id])
    context = {"_level": level} if "_level" in FORMS[form_id].context else {}
    result = runner.begin("开始", context=context)
    check_invariants(runner, result.state, result.outcome, context)
    for n, (kind, text) in enumerate(messages):
        result = runner.handle(result.state, to_msg(kind, text, n), date(2026, 6, 10))
        # A submission is confirmed by the flow that saves it; every other step must say something.
        assert result.replies or result.outcome == "submitted"
        assert all(isinstance(r, str) and r for r in result.replies)
        check_invariants(runner, result.state, result.outcome, context)
        if result.outcome in ("submitted", "cancelled"):
            break
        if result.outcome == "paused":
            result = runner.current_prompt(result.state)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(form_id=st.sampled_from(sorted(FORMS)), level=st.sampled_from(["重大", "一般"]),
       messages=st.lists(message, max_size=40))
def test_no_answer_is_recorded_that_was_not_given_to_its_question(form_id, level, messages):
    """An answer appears or changes only for the question the person was asked at that moment (answering it,
    or confirming the value it asked about); other answers only ever disappear, when they stop applying.
    An unusual amount is never kept without the person's confirmation."""
    runner = FormRunner(FORMS[form_id])
    context = {"_level": level} if "_level" in FORMS[form_id].context else {}
    result = runner.begin("开始", context=context)
    for n, (kind, text) in enumerate(messages):
        before = dict(result.state["answers"])
        asked, mode = result.state.get("at"), result.state["mode"]
        result = runner.handle(result.state, to_msg(kind, text, n), date(2026, 6, 10))
        after = result.state["answers"]
        changed = {k for k, v in after.items() if k not in before or before[k] != v}
        said = text.strip() if kind == "text" else ""
        if changed:
            assert changed == {asked} and mode in ("ask", "stuck", "confirm_value"), (changed, asked, mode, text)
            # Saying one does not know, or declining a value, is never an answer (an optional question may be
            # left empty by it, as 跳过 would).
            assert not (is_unsure(said) and said not in UNSURE_COMMANDS and after[asked] is not None), (asked, said)
            assert not (mode == "confirm_value" and said in CONFIRM_NO), (asked, said)
            item = runner.form.item(asked)
            value = after[asked]
            if item.plausible_max is not None and isinstance(value, (int, float)) and value > item.plausible_max:
                assert mode == "confirm_value", f"{value} kept for {asked} without a confirmation"
        if result.outcome in ("submitted", "cancelled"):
            break
        if result.outcome == "paused":
            result = runner.current_prompt(result.state)
