"""Whatever people send, the form engine never crashes and never reaches an impossible state."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.messages import IMAGE, LOCATION, TEXT, Incoming, Location
from handlers.forms.definition import load_forms
from handlers.forms.runtime import FormRunner

FORMS = load_forms(Path(__file__).resolve().parent / "data" / "checklists") | load_forms(
    Path(__file__).resolve().parent.parent / "handlers" / "forms" / "defs")
MODES = {"ask", "stuck", "summary", "edit_pick", "confirm_cancel"}
WORDS = ["1", "2", "3", "4", "0", "是", "否", "不涉及", "没有", "上一题", "返回", "跳过", "暂停", "继续", "取消", "进度",
         "帮助", "菜单", "完成", "确认提交", "修改", "修改 2", "修改 9", "月底", "6月30日", "2026-07-01", "三", "-5",
         "1 2", "abc", "", "   ", "🙂", "]]>", "<xml>", "99999999999"]

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
