"""How long a self-check is for four typical enterprises: the banks their industry gets, the scope questions
preselected from their registered sector and confirmed, and 不存在 (or the answer that flags nothing) to every
other question. The README's question-count table is this test's output; the campaign's target is ≤ 40."""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from handlers.forms.catalog import FormCatalog
from handlers.forms.definition import ABSENT, NONE_OF, SEEN, FormDef, Item, sector_prefill
from handlers.forms.runtime import FormRunner
from handlers.messages import TEXT, Incoming
from storage.config import parse_config

TARGET = 40
PASSIVE_REPLY_BYTES = 2048  # WeChat's limit for a passive text reply
TYPICAL: list[tuple[Any, ...]] = [
    ("机械厂（有粉尘涉爆）", "工贸", "机械、粉尘涉爆"),
    ("危化品经营店", "危险化学品", "危化经营"),
    ("加气站", "城镇燃气", "加气站"),
    ("建筑工地", "房屋市政工程", "施工项目"),
    # The kinds of works under way are not in the registry (they change as the project goes): the head picks them.
    ("房建工地（基坑、模板支撑、脚手架、起重机械）", "房屋市政工程", "施工项目", {"c_scope": "1 2 3 4"}),
    ("烟花爆竹零售点", "烟花爆竹", "烟花爆竹零售"),
]


def _say(text: str) -> Incoming:
    return Incoming(channel="sim", user_id="u", msg_key=text, kind=TEXT, created_at=datetime.now(UTC), text=text)


def _benign(item: Item, suggested: Any) -> str:
    """The reply of an enterprise where nothing is wrong and nothing optional is done."""
    if item.type == "multi":
        return "是" if suggested is not None else "无"
    if item.type == "situation":
        return str([o.value for o in item.options].index(ABSENT) + 1)
    if item.type == "screen":
        return str([o.value for o in item.options].index(NONE_OF) + 1)
    if item.options:
        # A gate question (有/没有 危险作业) is answered with its last option, which opens nothing further.
        fine = [n for n, o in enumerate(item.options, 1) if o.value not in item.hazard_when and o.value != "na"]
        return str(fine[0] if item.hazard_when else len(item.options))
    if not item.required:
        return "跳过"
    return {"number": "0", "date": "月底", "text": "无"}.get(item.type, "无")


def walk(form: FormDef, sector: str, replies: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """The number of questions asked, and the answers submitted; `replies` overrides the benign answer."""
    replies = replies or {}
    runner = FormRunner(form)
    result = runner.begin(suggest=sector_prefill(form, sector))
    asked = 0
    longest = 0
    while result.state["mode"] == "ask":
        longest = max([longest, *(len(r.encode()) for r in result.replies)])
        item = form.item(result.state["at"])
        asked += 1
        assert asked <= len(form.items), "the walk does not end"
        reply = replies.get(item.id) or _benign(item, result.state.get("suggest", {}).get(item.id))
        result = runner.handle(result.state, _say(reply), date(2026, 6, 10))
    assert result.state["mode"] == "summary"
    assert max([longest, *(len(r.encode()) for r in result.replies)]) <= PASSIVE_REPLY_BYTES
    answers = {k: v for k, v in result.state["answers"].items() if v != SEEN}
    assert len(answers) == asked
    return asked, answers


def question_count(industry: str, sector: str, replies: dict[str, str] | None = None
                   ) -> tuple[list[str], int, dict[str, Any]]:
    banks = parse_config({}).selfcheck.banks_for(industry)
    form = FormCatalog().compose(banks)
    asked, answers = walk(form, sector, replies)
    return banks, asked, answers


@pytest.mark.parametrize("name,industry,sector,replies", [(*t, {})[:4] for t in TYPICAL])
def test_a_typical_enterprise_is_asked_at_most_forty_questions(name, industry, sector, replies):
    banks, asked, answers = question_count(industry, sector, replies)
    print(f"| {name} | {industry} | {sector} | {' + '.join(banks)} | {asked} |")
    assert asked <= TARGET, (name, asked)
    form = FormCatalog().compose(banks)
    flagged = [i for i in form.items if i.hazard_when and answers.get(i.id) in i.hazard_when]
    assert flagged == []  # answering 不存在 throughout flags nothing


def test_the_scope_comes_preselected_from_the_sector():
    _, _, answers = question_count("工贸", "机械、粉尘涉爆")
    assert set(answers["g_scope"]) >= {"machinery", "dust"}
    _, _, answers = question_count("城镇燃气", "加气站")
    assert answers["gas_scope"] == ["station"] and "fuel" in answers["f_scope"]


HEAVY_SITE = {"c_scope": "1 2 3 4"}


def test_a_section_answered_with_no_situation_present_costs_one_question():
    _, asked, answers = question_count("房屋市政工程", "施工项目", HEAVY_SITE)
    assert {"c_pit", "c_formwork", "c_scaffold", "c_crane"} <= set(answers)
    assert not any(k.startswith("c8_") for k in answers)  # settled by 都不存在, not asked one by one


def test_a_section_answered_present_asks_each_of_its_situations_and_flags_the_one_that_exists():
    _, settled, _ = question_count("房屋市政工程", "施工项目", HEAVY_SITE)
    banks, asked, answers = question_count("房屋市政工程", "施工项目", {**HEAVY_SITE, "c_crane": "存在", "c8_4": "1"})
    assert asked == settled + 9  # 第八条's nine situations, each asked
    form = FormCatalog().compose(banks)
    flagged = [i.id for i in form.items if i.hazard_when and answers.get(i.id) in i.hazard_when]
    assert flagged == ["c8_4"]


def test_not_sure_about_a_section_opens_it():
    _, settled, _ = question_count("房屋市政工程", "施工项目", HEAVY_SITE)
    _, asked, answers = question_count("房屋市政工程", "施工项目", {**HEAVY_SITE, "c_formwork": "不知道"})
    assert answers["c_formwork"] == "some" and asked == settled + 4


def test_every_section_opened_still_fits_each_reply_on_a_phone():
    """The longest path: every kind of works selected and every section opened; each reply stays under
    WeChat's passive-reply limit (walk checks it)."""
    opened = {"c_scope": "1 2 3 4 5 6 7 8 9", **{s: "1" for s in
              ("c_pit", "c_formwork", "c_scaffold", "c_crane", "c_confined", "c_tunnel")}}
    _, asked, answers = question_count("房屋市政工程", "施工项目", opened)
    print(f"every section opened: {asked}")
    assert all(f"c{n}_1" in answers for n in (5, 6, 7, 8, 11, 13))
