"""Each bank asks every situation (判定情形) of its standard, each cited by article and item: a lost or
mistyped item fails here. The expected lists are the standards' own structure (items per article), as
published; catch-all clauses that need professional judgement are shown as notices, not asked."""
from __future__ import annotations

import re

import pytest

from handlers.forms.catalog import FormCatalog

CN = "一 二 三 四 五 六 七 八 九 十 十一 十二 十三 十四 十五 十六 十七 十八 十九 二十".split()


def by_article(title: str, items_per_article: dict[int, int]) -> set[str]:
    """Citations for articles with items (第N条第（M）项), and for an article that is one situation (count 0)."""
    out: set[str] = set()
    for article, count in items_per_article.items():
        head = f"{title}第{CN[article - 1]}条"
        out |= {f"{head}第（{CN[i]}）项" for i in range(count)} if count else {head}
    return out


GONGMAO = "《工贸企业重大事故隐患判定标准》（应急管理部令第10号）"
WEIHUA = "《化工和危险化学品生产经营单位重大生产安全事故隐患判定标准（试行）》（安监总管三〔2017〕121号）"
GAS = "《城镇燃气经营安全重大隐患判定标准》（建城规〔2023〕4号）"
CONSTRUCTION = "《房屋市政工程生产安全重大事故隐患判定标准（2024版）》（建质规〔2024〕5号）"
FIRE_2017 = "GB 35181—2017《重大火灾隐患判定方法》"
FIREWORKS = "《烟花爆竹生产经营单位重大生产安全事故隐患判定标准（试行）》（安监总管三〔2017〕121号）"

EXPECTED = {
    # 第三至十三条 64 items, and 第十四条 (a failed or disabled safety device counts as missing).
    "gongmao": by_article(GONGMAO, {3: 3, 4: 8, 5: 13, 6: 8, 7: 7, 8: 7, 9: 2, 10: 2, 11: 10, 12: 2, 13: 2, 14: 0}),
    "weihua": {f"{WEIHUA}第（{CN[i]}）项" for i in range(20)},
    "gas": by_article(GAS, {4: 5, 5: 5, 6: 3, 7: 3, 8: 0, 9: 4}),
    # 51 listed items and 第十六条; 第十七条 is the catch-all, shown as a notice.
    "construction": by_article(CONSTRUCTION, {4: 5, 5: 4, 6: 4, 7: 3, 8: 9, 9: 5, 10: 2, 11: 4, 12: 2, 13: 7,
                                              14: 3, 15: 3, 16: 0}),
    # GB 35181-2025's text is pending; the 2017 第6章 direct elements 6.1-6.10, all of them.
    "fire": {f"{FIRE_2017}6.{n}" for n in range(1, 11)},
    # Low-confidence text (two unofficial sources); numbered in the order they give.
    "fireworks": {f"{FIREWORKS}第（{CN[i]}）项" for i in range(20)},
}
COUNTS = {"gongmao": 65, "weihua": 20, "gas": 21, "construction": 52, "fire": 10, "fireworks": 20}
NOTICES = {"gas": f"{GAS}第十条", "construction": f"{CONSTRUCTION}第十七条"}


@pytest.mark.parametrize("bank", sorted(EXPECTED))
def test_every_situation_of_the_standard_is_asked(bank):
    form = FormCatalog().form(bank)
    cited = {item.clause for item in form.items if item.type == "situation"}
    assert len(EXPECTED[bank]) == COUNTS[bank]
    assert sorted(EXPECTED[bank] - cited) == [], "situations not asked"
    assert sorted(cited - EXPECTED[bank]) == [], "citations that are not a situation of the standard"


@pytest.mark.parametrize("bank", sorted(EXPECTED))
def test_every_situation_carries_its_published_text_and_is_major(bank):
    form = FormCatalog().form(bank)
    for item in (i for i in form.items if i.type == "situation"):
        assert item.clause_text and item.level == "重大" and item.hazard_when == ("exists",), item.id
        # A plain question: no double negative ("是否不存在未…", "是否未…的情况不存在").
        assert not re.search(r"不存在未|没有不|非未", item.text), item.id


@pytest.mark.parametrize("bank,clause", sorted(NOTICES.items()))
def test_the_catch_all_clause_is_guidance_not_a_question(bank, clause):
    form = FormCatalog().form(bank)
    assert [i.clause for i in form.items if i.type == "notice" and i.clause == clause] == [clause]
    assert clause not in {i.clause for i in form.items if i.type == "situation"}


def test_each_bank_starts_with_a_scope_question_preselected_from_the_sector():
    catalog = FormCatalog()
    for bank in EXPECTED:
        first = next(i for i in catalog.form(bank).items if i.asks)
        assert (first.id.endswith("_scope"), first.type, first.prefill) == (True, "multi", "sector"), bank


def test_the_fire_bank_says_the_2025_text_is_pending_before_its_first_question():
    form = FormCatalog().form("fire")
    assert "GB 35181-2025" in form.note and "待" in form.note
    assert form.items[0].type == "notice" and "GB 35181-2025" in form.items[0].text
