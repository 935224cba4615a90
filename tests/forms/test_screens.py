"""A screen over a section's situations: one question where nothing is wrong, each situation asked where
something may be, and a draft answered one by one before the screen existed keeps what it flagged."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from handlers.forms.catalog import FormCatalog
from handlers.forms.checks import validate_directory
from handlers.forms.definition import EXISTS, SOME
from handlers.forms.runtime import FormRunner
from handlers.messages import TEXT, Incoming

HEAD = '[form]\nid = "f"\nversion = "1"\ntitle = "t"\nkind = "selfcheck"\n\n'
CLAUSE = "《测试标准》（测试〔2024〕1号）第一条第（{n}）项"


def situation(item_id: str, n: str, extra: str = "") -> str:
    return (f'[[items]]\nid = "{item_id}"\ntype = "situation"\ntext = "是否{item_id}？"\n'
            f'clause = "{CLAUSE.format(n=n)}"\nclause_text = "{item_id}。"\nlevel = "重大"\n{extra}\n')


def screen(item_id: str, covers: list[str], extra: str = "") -> str:
    ids = ", ".join(f'"{c}"' for c in covers)
    return f'[[items]]\nid = "{item_id}"\ntype = "screen"\ntext = "以下情形有没有？"\ncovers = [{ids}]\n{extra}\n'


def problems(tmp_path: Path, body: str) -> list[str]:
    (tmp_path / "f.toml").write_text(HEAD + body, encoding="utf-8")
    return [p.reason for p in validate_directory(tmp_path)]


def test_a_well_formed_screen_loads(tmp_path):
    assert problems(tmp_path, screen("s", ["a", "b"]) + situation("a", "一") + situation("b", "二")) == []


def test_what_a_screen_may_cover_is_checked(tmp_path):
    body = (situation("early", "一") + screen("s", ["early", "a", "q", "ghost"], 'level = "重大"')
            + screen("t", ["a", "b"]) + situation("a", "二", 'relevant = "${early} = \'exists\'"')
            + '[[items]]\nid = "q"\ntype = "yes_no"\ntext = "q？"\n\n' + situation("b", "三"))
    found = problems(tmp_path, body)
    assert "covers early, which is asked before the screen" in found
    assert "covers q, which is not a situation" in found
    assert "covers unknown item ghost" in found
    assert "covers a, which s already covers" in found
    assert any(r.startswith("covered by screen s") for r in found)  # its relevance comes from the screen
    assert any(r.startswith("a screen flags nothing itself") for r in found)


def _say(text: str) -> Incoming:
    return Incoming(channel="sim", user_id="u", msg_key=text, kind=TEXT, created_at=datetime.now(UTC),
                    text=text)


def test_the_screen_lists_each_situation_in_its_published_words():
    form = FormCatalog().compose(["construction"])
    runner = FormRunner(form)
    result = runner.handle(runner.begin().state, _say("4"), date(2026, 6, 10))  # 起重机械
    assert result.state["at"] != "c_crane"
    while result.state["at"] != "c_crane":
        result = runner.handle(result.state, _say("2"), date(2026, 6, 10))
    prompt = result.replies[-1]
    for item_id in form.item("c_crane").covers:
        assert form.item(item_id).clause_text in prompt
    assert len(prompt.encode()) <= 2048


def test_a_draft_answered_one_by_one_before_the_screen_keeps_its_hazard():
    """Saved under the previous version of the bank, which asked 第八条's situations one by one: 第（四）项 was
    answered 存在. The screen now over them is opened, so the hazard stays and the rest are asked, never
    settled by a 都不存在 given later."""
    form = FormCatalog().compose(["construction"])
    runner = FormRunner(form)
    saved = {"form": form.id, "version": "construction@2024.2", "answers": {"c_scope": ["crane"], "c8_4": EXISTS},
             "context": {}, "at": "c8_5", "trail": ["c_scope", "c8_4"], "bad": 0, "mode": "ask",
             "back_to_summary": False}
    result = runner.current_prompt(saved)
    assert result.state["answers"]["c_crane"] == SOME
    assert result.state["answers"]["c8_4"] == EXISTS
    covered = form.item("c_crane").covers
    unanswered = [i for i in covered if i not in result.state["answers"]]
    assert unanswered and all(i in covered for i in unanswered)  # still to be asked, one by one


def test_a_clause_with_numbered_lines_does_not_look_like_the_replies():
    form = FormCatalog().compose(["construction"])
    runner = FormRunner(form)
    result = runner.handle(runner.begin().state, _say("1"), date(2026, 6, 10))  # 基坑
    while result.state["at"] != "c_pit":
        result = runner.handle(result.state, _say("2"), date(2026, 6, 10))
    prompt = result.replies[-1]
    numbered = [line for line in prompt.splitlines() if re.match(r"[0-9]+[.、．]", line)]
    assert numbered == ["1. 存在其中一项或几项（逐项确认）", "2. 以上情形都不存在"]
    assert "（3）基坑底部出现管涌或突涌" in prompt  # c5_4's own list, renumbered
