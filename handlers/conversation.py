"""What every conversation shares: the words that work everywhere, numbered lists, and asking a question in a
named state so that the engine's fallbacks (取消, 返回, 帮助, 菜单) behave the same in every flow.

A flow keeps its state as a dict with "at" (the state's name) and its own values. `ask` adds what the engine
needs to fall back on: the prompt shown (帮助 shows it again), the kind of answer expected, and the state
before (返回 goes back to it). Kinds:
- "choice": a numbered list. Cheap to leave: a reply that is not one of its choices may be a new request.
- "text": a free answer (a note, a reason, a name).
- "form": the form engine's own question, which handles 上一题/跳过/暂停/取消/帮助 itself.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .base import Step

Kind = Literal["choice", "text", "form"]
ASK_KEY = "_ask"  # reserved in every flow state

CANCEL = frozenset({"取消", "退出", "算了", "不办了", "不弄了", "不要了", "不填了", "结束"})
BACK = frozenset({"返回", "上一步", "上一题", "后退", "返回上一步"})
HELP = frozenset({"帮助", "?", "？", "help", "怎么弄", "怎么办", "不会", "看不懂"})
MENU = frozenset({"菜单", "主菜单", "目录", "功能", "menu", "首页"})
RESUME = frozenset({"继续", "继续填", "接着填", "接着来", "继续吧", "接着做"})
_TRIM = re.compile(r"^[\s，,。.!！~～]+|[\s，,。.!！~～吧啊呀哈]+$")
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def clean(text: str) -> str:
    """A short reply without the punctuation and filler people add ("取消吧。", "２．")."""
    return _TRIM.sub("", text.translate(_FULLWIDTH).strip()).lower()


def command_word(text: str) -> str | None:
    """"cancel", "back", "help", "menu" or "resume" when the whole message is one of those words."""
    word = clean(text)
    for name, words in (("cancel", CANCEL), ("back", BACK), ("help", HELP), ("menu", MENU), ("resume", RESUME)):
        if word in words:
            return name
    return None


def number_in(text: str, count: int) -> int | None:
    """The 1-based choice a reply names: "2", "２", "2.", "第2个", "二", "选2" — within 1..count."""
    word = clean(text).rstrip("、.")
    m = re.fullmatch(r"(?:选|第)?(\d{1,3}|[一二两三四五六七八九十])(?:个|项|条|号|题)?", word)
    if m is None:
        return None
    raw = m.group(1)
    n = int(raw) if raw.isdigit() else _CN_DIGITS[raw]
    return n if 1 <= n <= count else None


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    words: tuple[str, ...] = ()  # what else people call it ("即查即改" for "已当场整改（即查即改）")


def pick(options: Sequence[Option], text: str) -> Option | None:
    """The option a reply names: its number, its label or one of its words, or the one label that contains
    the reply (at least two characters). None when nothing or more than one option matches."""
    n = number_in(text, len(options))
    if n is not None:
        return options[n - 1]
    word = clean(text)
    if not word:
        return None
    for opt in options:
        if word == opt.label.lower() or word == opt.value.lower() or word in (w.lower() for w in opt.words):
            return opt
    if len(word) >= 2:
        hits = [o for o in options if word in o.label.lower() or any(word in w.lower() for w in o.words)]
        if len(hits) == 1:
            return hits[0]
    return None


def numbered(options: Sequence[Option]) -> str:
    return "\n".join(f"{i}. {o.label}" for i, o in enumerate(options, 1))


def ask(state: dict[str, Any], prompt: str, *, kind: Kind = "choice", before: dict[str, Any] | None = None,
        lead: str = "") -> Step:
    """Stay in `state` (its "at" names the state) asking `prompt`; `before` is the state 返回 goes back to."""
    back: list[dict[str, Any]] = []
    if before is not None:
        earlier = asked(before)
        back = list(earlier.get("back", []))
        if earlier:
            back.append({"state": _bare(before), "prompt": earlier["prompt"], "kind": earlier["kind"]})
    state = {**_bare(state), ASK_KEY: {"prompt": prompt, "kind": kind, "back": back[-5:]}}
    return Step.stay(state, "\n".join(p for p in (lead, prompt) if p))


def asked(state: dict[str, Any]) -> dict[str, Any]:
    """What `ask` recorded of the question now open ({} for a state that never asked)."""
    return dict(state.get(ASK_KEY) or {})


def go_back(state: dict[str, Any]) -> Step | None:
    """The question before this one, asked again; None at the first question."""
    stack = asked(state).get("back", [])
    if not stack:
        return None
    top = stack[-1]
    restored = {**top["state"], ASK_KEY: {"prompt": top["prompt"], "kind": top["kind"], "back": stack[:-1]}}
    return Step.stay(restored, top["prompt"])


def _bare(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k != ASK_KEY}
