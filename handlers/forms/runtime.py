"""The form engine: walks any form definition with the conventions every flow shares.

The state is a plain dict (kept in the conversation or a draft), so a restart resumes mid-form. Everything
in it names items by id, and it records the definition's version: when a checklist changes between 暂停 and
继续, answers stay with their items, answers to items that were removed are dropped, the person is told, and
the next question is the first relevant one still unanswered.

Modes: ask (a question is open), stuck (three bad answers in a row), confirm_value (a value to keep only once
confirmed: an unusual amount, a date moved to next year), summary (confirm before submit), edit_pick (which
item to change), confirm_cancel. Nothing is recorded that the person did not say: an answer of uncertainty
gets the question explained and the choice to skip it or mark it 待核实 (where the form allows it).
"""
from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import dataclass
from datetime import date
from typing import Any

import cn2an

from ..conversation import BACK, CANCEL, HELP, MENU, RESUME, clean
from ..messages import TEXT, Incoming
from ..nlu.dates import DEFAULT_FESTIVALS, Festivals
from .answers import Parsed, display, ends_photos, parse_answer, says_yes
from .definition import MAY_BE_UNSURE, NONE_OF, SEEN, SINGLE_CHOICE, SOME, UNSURE, FormDef, Item
from .prompts import help_for, notice_text, stuck, unsure

# How a screen numbers its situations, so they are not mistaken for the numbers to reply with.
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮"
_SUB_NUMBER = re.compile(r"(?m)^(\d+)[.、．]")
_SUB_NUMBERED = r"（\1）"
COMMANDS: dict[str, str] = {
    **{w: "back" for w in BACK}, **{w: "cancel" for w in CANCEL}, **{w: "help" for w in HELP | MENU},
    **{w: "resume" for w in RESUME},
    "跳过": "skip", "跳过这题": "skip", "暂停": "pause", "稍后": "pause", "稍后再填": "pause", "先暂停": "pause",
    "进度": "progress",
    "待核实": "unsure", "标记待核实": "unsure", "先标记待核实": "unsure", "稍后再答": "unsure", "先标记": "unsure",
}
FULL_SUMMARY_MAX = 12  # longer forms list only the answers that flag a hazard, plus counts
MAX_BAD = 3
UPDATED = "（清单已更新：已答的题目都保留了，接着问还没答的题。）"
CONFIRM_NO = frozenset({"2", "不是", "不对", "重新填写", "重填", "重新填", "否", "改一下"})
_EDIT = re.compile(r"^(?:修改|改一下|改|更改|重填|重新填)?\s*第?\s*(\d{1,3}|[一二三四五六七八九十]{1,3})\s*[题项]?\s*(?:改一下|要改|修改|改)?$")
CONFIRM_CANCEL = "确定取消吗？已填的内容不会提交。\n1. 确定取消\n2. 继续填写"


@dataclass
class FormResult:
    state: dict[str, Any]
    replies: list[str]
    outcome: str = "asking"  # asking | submitted | cancelled | paused

    @property
    def answers(self) -> dict[str, Any]:
        return dict(self.state["answers"])


# A question about the question ("这题什么意思？") asks for help; it is not an answer.
_ASKING_HELP = re.compile(r"(怎么填|怎么写|怎么答|怎么回答|什么意思|啥意思|看不懂|不明白|不懂|指的是什么|是指什么)")


def _command(msg: Incoming) -> str | None:
    if msg.kind != TEXT:
        return None
    text = clean(msg.text)
    if text in COMMANDS:
        return COMMANDS[text]
    return "help" if len(text) <= 20 and _ASKING_HELP.search(text) else None


class FormRunner:
    def __init__(self, form: FormDef, *, submit_label: str = "确认提交", festivals: Festivals = DEFAULT_FESTIVALS) -> None:
        self.form = form
        self.festivals = festivals  # the lunar holidays deadlines such as 春节前 are read against
        self.submit_label = submit_label
        self._ids = {item.id: i for i, item in enumerate(form.items)}
        # For counting questions: a screen still to be answered counts as 都不存在, its situations once it opens them.
        self._screens_unopened = {item.id: NONE_OF for item in form.items if item.type == "screen"}

    # -- entry points -------------------------------------------------------------------------

    def begin(self, intro: str = "", answers: dict[str, Any] | None = None,
              context: dict[str, Any] | None = None, suggest: dict[str, Any] | None = None) -> FormResult:
        """Start the form. `context` holds values the flow knows (such as `_level`) for relevance rules;
        `suggest`, answers offered for questions (the person replies 是 to take one)."""
        # Answers given earlier (amending a submitted self-check) keep only what the items still offer: a run
        # answered before its bank was rewritten is asked those items again.
        kept = self._kept(answers or {})
        state: dict[str, Any] = {"form": self.form.id, "version": self.form.version, "answers": kept,
                                 "context": dict(context or {}), "at": None, "trail": [], "bad": 0, "mode": "ask",
                                 "back_to_summary": False}
        if suggest:
            state["suggest"] = dict(suggest)
        return self._advance(state, [intro] if intro else [])

    def current_prompt(self, state: dict[str, Any], lead: str = "") -> FormResult:
        """Show where the person is (used when resuming a paused form)."""
        state, notes = self._reconcile(state)
        lead = self._join(*notes, lead)
        if state["mode"] == "ask" and state["at"] is None:
            return self._advance(state, [lead] if lead else [])
        if state["mode"] in ("summary", "edit_pick"):
            return FormResult(state, [self._join(lead, self._summary(state))])
        state["mode"] = "ask"
        return FormResult(state, [self._join(lead, self._question(state))])

    def handle(self, state: dict[str, Any], msg: Incoming, today: date) -> FormResult:
        state, notes = self._reconcile(state)
        if notes:
            # The definition changed under this draft: say so and ask what is next, whatever was sent.
            return self.current_prompt(state, "\n".join(notes)) if state["mode"] != "confirm_cancel" else \
                FormResult(state, [self._join(*notes, CONFIRM_CANCEL)])
        mode = state.get("mode", "ask")
        cmd = _command(msg)
        if mode == "confirm_cancel":
            return self._confirm_cancel(state, msg)
        if cmd == "pause":
            return FormResult(state, [f"已暂停，填好的内容都保存了。发送「继续」从{self.where(state)}接着填。"], "paused")
        if cmd == "cancel":
            state["prev_mode"], state["mode"] = mode, "confirm_cancel"
            return FormResult(state, [CONFIRM_CANCEL])
        if mode == "confirm_value":
            return self._on_confirm_value(state, msg, cmd, today)
        if mode == "summary":
            return self._on_summary(state, msg, cmd)
        if mode == "edit_pick":
            return self._on_edit_pick(state, msg, cmd)
        if mode == "stuck":
            choice = clean(msg.text) if msg.kind == TEXT else ""
            if choice in ("1", "再试一次"):
                state["mode"], state["bad"] = "ask", 0
                return FormResult(state, [self._question(state)])
            if choice in ("2", "跳过"):
                cmd = "skip"
            elif choice in ("3",):
                return FormResult(state, [f"已暂停，填好的内容都保存了。发送「继续」从{self.where(state)}接着填。"],
                                  "paused")
            state["mode"] = "ask"
        return self._on_question(state, msg, cmd, today)

    def where(self, state: dict[str, Any]) -> str:
        """Where a saved state stopped, as a person reads it: "第 3 题" or "提交前的核对"."""
        state, _ = self._reconcile(state)
        if state.get("mode") in ("summary", "edit_pick"):
            return "提交前的核对"
        if state.get("at") is None:
            return "开头"
        n, _ = self._number(state)
        return f"第 {n} 题"

    # -- a changed definition -------------------------------------------------------------------

    def _open(self, state: dict[str, Any], screen: Item) -> FormResult:
        """Not sure whether any of a screen's situations exists: then each is asked, and each can be marked
        待核实 on its own."""
        state["answers"][screen.id] = SOME
        state["trail"].append(screen.id)
        return self._advance(state, ["好的，逐项确认。"])

    def _kept(self, answers: dict[str, Any]) -> dict[str, Any]:
        """Saved answers that still mean something to this definition. Situations answered one by one before a
        screen was put over them open that screen (存在), so what they recorded stays relevant and a hazard
        already flagged is never settled by a later 都不存在."""
        kept = {k: v for k, v in answers.items() if k in self._ids and _still_an_answer(self.form.items[self._ids[k]], v)}
        for item in self.form.items:
            if item.type == "screen" and item.id not in kept and any(c in kept for c in item.covers):
                kept[item.id] = SOME
        return kept

    def _reconcile(self, state: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """A copy of a saved state (the caller's is never changed), brought up to this definition; the notes
        tell the person what changed."""
        state = deepcopy(state)
        if "at" not in state:  # saved before states named items by id: positions into the same definition
            state = self._from_positions(state)
        if state.get("version") == self.form.version:
            return state, []
        answers = self._kept(state.get("answers", {}))
        state.update(version=self.form.version, answers=answers,
                     trail=[i for i in state.get("trail", []) if i in answers], bad=0)
        if state.get("at") not in self._ids:
            state["at"] = None
        suggest = state.get("suggest")
        if suggest:
            state["suggest"] = {k: v for k, v in suggest.items() if k in self._ids}
        self._prune(state)
        if state.get("mode") in ("summary", "edit_pick", "stuck"):
            state["mode"] = "ask"
        if state.get("mode") == "ask":
            state["at"] = None  # the first relevant question still unanswered, chosen by _advance
        return state, [UPDATED]

    def _from_positions(self, state: dict[str, Any]) -> dict[str, Any]:
        items = self.form.items
        same = state.get("version") == self.form.version
        pos = state.pop("pos", -1)
        trail = state.pop("trail", [])
        state["at"] = items[pos].id if same and isinstance(pos, int) and 0 <= pos < len(items) else None
        state["trail"] = [items[i].id for i in trail if same and isinstance(i, int) and 0 <= i < len(items)]
        return state

    # -- modes --------------------------------------------------------------------------------

    def _item(self, state: dict[str, Any]) -> Item:
        return self.form.items[self._ids[state["at"]]]

    def _on_question(self, state: dict[str, Any], msg: Incoming, cmd: str | None, today: date) -> FormResult:
        if state.get("at") is None:
            return self._advance(state, [])
        item = self._item(state)
        answers = state["answers"]
        if cmd == "back":
            if not state["trail"]:
                return FormResult(state, ["已经是第一题了。\n" + self._question(state)])
            state["at"], state["bad"] = state["trail"].pop(), 0
            prev = self._item(state)
            return FormResult(state, [f"上一题原来的回答：{display(prev, answers.get(prev.id))}\n" + self._question(state)])
        if cmd == "skip":
            if item.required:
                return FormResult(state, ["这一题必须回答，不能跳过。\n" + self._question(state)])
            answers[item.id] = None
            state["trail"].append(item.id)
            return self._advance(state, [])
        if cmd in ("progress", "resume"):
            lead = self._progress_line(state) if cmd == "progress" else ""
            return FormResult(state, [self._join(lead, self._question(state))])
        if cmd == "help":
            return FormResult(state, [help_for(item) + "\n" + self._question(state)])
        if cmd == "unsure" and item.type == "screen":
            return self._open(state, item)
        if cmd == "unsure":
            if not self.form.allow_unsure or item.type not in MAY_BE_UNSURE:
                return FormResult(state, ["这一题不能标记待核实，请回答或发送「暂停」稍后再填。\n" + self._question(state)])
            answers[item.id] = UNSURE
            state["trail"].append(item.id)
            return self._advance(state, [f"已标记待核实：{_short(item.text, 24)}"])
        if item.type == "photo" and msg.kind == TEXT and ends_photos(msg.text):
            photos = answers.get(item.id) or []
            if not photos and item.required:
                return FormResult(state, ["还没收到照片。请先发送至少一张照片。"])
            answers[item.id] = photos or None
            state["trail"].append(item.id)
            return self._advance(state, [f"已收到 {len(photos)} 张照片。"] if photos else [])
        suggested = state.get("suggest", {}).get(item.id)
        accepted = suggested is not None and msg.kind == TEXT and says_yes(msg.text)
        if isinstance(suggested, list) and accepted:
            parsed = Parsed([o.value for o in item.options if o.value in suggested])  # a preselection confirmed
        elif accepted:
            parsed = parse_answer(item, Incoming(**{**msg.__dict__, "text": str(suggested)}), today,
                                  festivals=self.festivals)
        else:
            parsed = parse_answer(item, msg, today, answers.get(item.id), festivals=self.festivals)
        if parsed.ok and item.constraint is not None and item.type != "photo":
            scope = {**answers, **state.get("context", {}), item.id: parsed.value}
            if not item.constraint.evaluate(scope, current=parsed.value):
                parsed = type(parsed)(error=item.constraint_message or "这个回答不符合要求。")
        if item.type == "screen" and parsed.unsure:
            return self._open(state, item)
        if parsed.unsure and not item.required and not (self.form.allow_unsure and item.type in MAY_BE_UNSURE):
            # Not known, and nothing here to look up later (a tip's enterprise): left empty, as 跳过 would.
            answers[item.id] = None
            state["trail"].append(item.id)
            return self._advance(state, ["好的，这一题先空着。"])
        if parsed.unsure:
            return FormResult(state, [unsure(item, self.form.allow_unsure) + "\n" + self._question(state)])
        if parsed.confirm:
            state.update(mode="confirm_value", pending={"value": parsed.value, "echo": parsed.echo})
            return FormResult(state, [parsed.confirm])
        if not parsed.ok:
            state["bad"] = state.get("bad", 0) + 1
            if state["bad"] >= MAX_BAD:
                state["mode"] = "stuck"
                return FormResult(state, [stuck(item)])
            return FormResult(state, [parsed.error + "\n" + self._question(state)])
        state["bad"] = 0
        if item.type == "photo":
            answers[item.id] = parsed.value
            n = len(parsed.value)
            return FormResult(state, [f"已收到第 {n} 张照片。继续发送，或回复「完成」。"])
        answers[item.id] = parsed.value
        state["trail"].append(item.id)
        return self._advance(state, [parsed.echo] if parsed.echo else [])

    def _on_confirm_value(self, state: dict[str, Any], msg: Incoming, cmd: str | None, today: date) -> FormResult:
        """Kept until answered: 1 keeps the value, 2 asks again, a new answer replaces it; nothing else does."""
        text = clean(msg.text) if msg.kind == TEXT else ""
        pending = state.get("pending") or {}
        if text == "1" or says_yes(text):
            item = self._item(state)
            state.pop("pending", None)
            state["mode"] = "ask"
            state["answers"][item.id] = pending.get("value")
            state["trail"].append(item.id)
            return self._advance(state, [pending["echo"]] if pending.get("echo") else [])
        if text in CONFIRM_NO or cmd in ("back", "resume"):
            state.pop("pending", None)
            state["mode"] = "ask"
            return FormResult(state, ["好的，请重新回答。\n" + self._question(state)])
        retry = parse_answer(self._item(state), msg, today, festivals=self.festivals)
        if retry.ok or retry.confirm:
            state.pop("pending", None)
            state["mode"] = "ask"
            return self._on_question(state, msg, None, today)
        return FormResult(state, ["请回复 1 确认，或 2 重新填写。"])

    def _on_summary(self, state: dict[str, Any], msg: Incoming, cmd: str | None) -> FormResult:
        text = clean(msg.text) if msg.kind == TEXT else ""
        if text in ("1", self.submit_label, "确认", "提交", "确认提交"):
            return FormResult(state, [], "submitted")
        edit = _EDIT.match(text)
        if edit and text not in ("2", "3"):
            return self._on_edit_pick(state, Incoming(**{**msg.__dict__, "text": edit.group(1)}), None)
        if text in ("2", "修改", "改", "改一下"):
            state["mode"] = "edit_pick"
            return FormResult(state, ["要修改第几题？请回复题号。"])
        if text == "3":
            state["prev_mode"], state["mode"] = "summary", "confirm_cancel"
            return FormResult(state, [CONFIRM_CANCEL])
        if cmd == "back" and state["trail"]:
            state["at"], state["mode"] = state["trail"].pop(), "ask"
            return FormResult(state, [self._question(state)])
        return FormResult(state, [self._summary(state)])

    def _on_edit_pick(self, state: dict[str, Any], msg: Incoming, cmd: str | None) -> FormResult:
        edit = _EDIT.match(clean(msg.text)) if msg.kind == TEXT else None
        text = edit.group(1) if edit else ""
        if text and not text.isdecimal():
            text = str(int(cn2an.cn2an(text, "smart")))
        relevant = self._asked(state["answers"], state.get("context"))
        if not (text.isdecimal() and 1 <= int(text) <= len(relevant)):
            state["mode"] = "edit_pick"
            return FormResult(state, [f"请回复要修改的题号（1–{len(relevant)}）。"])
        item = self.form.items[relevant[int(text) - 1]]
        state.update(at=item.id, mode="ask", back_to_summary=True, bad=0)
        return FormResult(state, [f"原来的回答：{display(item, state['answers'].get(item.id))}\n" + self._question(state)])

    def _confirm_cancel(self, state: dict[str, Any], msg: Incoming) -> FormResult:
        """Kept until answered: a stray reply asks again, so the next 1 or 2 means what this question said."""
        text = clean(msg.text) if msg.kind == TEXT else ""
        if text in ("1", "确定", "确定取消", "是", "是的", "取消", "对"):
            return FormResult(state, ["已取消，没有提交任何内容。"], "cancelled")
        if text in ("2", "继续", "继续填写", "否", "不", "不取消"):
            state["mode"] = state.pop("prev_mode", "ask")
            return self.current_prompt(state)
        return FormResult(state, ["请回复 1 或 2。" + CONFIRM_CANCEL])

    # -- walking ------------------------------------------------------------------------------

    def _relevant(self, answers: dict[str, Any], context: dict[str, Any] | None = None) -> list[int]:
        scope = {**answers, **(context or {})}
        return [i for i, item in enumerate(self.form.items)
                if item.relevant is None or item.relevant.evaluate(scope)]

    def _asked(self, answers: dict[str, Any], context: dict[str, Any] | None = None) -> list[int]:
        """The relevant questions, numbered as the summary numbers them (notices are shown, not asked)."""
        return [i for i in self._relevant(answers, context) if self.form.items[i].asks]

    def _prune(self, state: dict[str, Any]) -> None:
        """Answers to items that no longer apply are dropped, so nothing stale is submitted."""
        answers = state["answers"]
        for _ in range(len(self.form.items)):  # relevance may cascade
            keep = {self.form.items[i].id for i in self._relevant(answers, state.get("context"))}
            stale = [k for k in answers if k not in keep]
            if not stale:
                break
            for k in stale:
                del answers[k]
        state["trail"] = [i for i in state["trail"] if i in answers]

    def _advance(self, state: dict[str, Any], lead: list[str]) -> FormResult:
        while True:
            self._prune(state)
            answers = state["answers"]
            relevant = self._relevant(answers, state.get("context"))
            here = self._ids.get(state.get("at") or "", -1)
            unanswered = [i for i in relevant if self.form.items[i].id not in answers]
            pending = unanswered if state.get("back_to_summary") else \
                ([i for i in unanswered if i > here] or unanswered)
            if not pending or self.form.items[pending[0]].asks:
                break
            # A notice is shown once, with the question after it; marking it seen keeps it from coming back
            # (and from the trail, so 上一题 goes to the question before it).
            notice = self.form.items[pending[0]]
            answers[notice.id] = SEEN
            state["at"] = notice.id
            lead = [*lead, notice_text(notice)]
        if pending:
            state.update(at=self.form.items[pending[0]].id, mode="ask", bad=0)
            return FormResult(state, [self._join(*lead, self._question(state))])
        state.update(mode="summary", back_to_summary=False)
        return FormResult(state, [self._join(*lead, self._summary(state))])

    # -- texts --------------------------------------------------------------------------------

    def _countable(self, answers: dict[str, Any], context: dict[str, Any] | None) -> list[int]:
        """Items asked or that may still be asked: relevant now, or depending on an answer still to come. Counted
        this way a form's total never grows as it is answered (no "1/1" followed by "2/6")."""
        scope = {**answers, **(context or {})}
        possible: set[str] = set()
        out: list[int] = []
        for i, item in enumerate(self.form.items):
            if not item.asks:
                continue
            if item.relevant is None:
                counted = True
            else:
                waiting = any(ref not in scope and ref in possible for ref in item.relevant.references)
                counted = waiting or item.relevant.evaluate(scope)
            if counted:
                possible.add(item.id)
                out.append(i)
        return out

    def _number(self, state: dict[str, Any]) -> tuple[int, int]:
        # A scope still to be confirmed counts as preselected: the total is then near what will be asked, not every
        # section of every bank ("1/190" to a 机械 factory that will be asked 35).
        preselected = {k: v for k, v in state.get("suggest", {}).items() if isinstance(v, list)}
        countable = self._countable({**self._screens_unopened, **preselected, **state["answers"]}, state.get("context"))
        here = self._ids.get(state.get("at") or "", -1)
        n = countable.index(here) + 1 if here in countable else len(countable)
        return n, len(countable)

    def _question(self, state: dict[str, Any]) -> str:
        item = self._item(state)
        n, total = self._number(state)
        lines = [f"（{n}/{total}）{item.text}"]
        if item.type == "screen":
            # A clause's own numbered lines (1. 2. …) become （1）（2）: "1." and "2." are the replies offered below.
            lines += [f"{CIRCLED[i] if i < len(CIRCLED) else f'({i + 1})'}"
                      f"{_SUB_NUMBER.sub(_SUB_NUMBERED, self.form.item(c).clause_text)}"
                      for i, c in enumerate(item.covers)]
        if item.options:
            lines += [f"{i}. {o.label}" for i, o in enumerate(item.options, 1)]
        if item.type == "multi":
            lines.append("可多选：回复序号，用空格隔开，如 1 3；都没有回复「无」。")
        elif item.type == "photo":
            lines.append("请发送照片，可以连续发几张，发完回复「完成」。")
        elif item.type == "date":
            lines.append("例如：6月30日、月底、30天内、下周五。")
        elif item.type == "location":
            lines.append("请发送位置（输入框“+”→位置），或直接写地址。")
        suggested = state.get("suggest", {}).get(item.id)
        if isinstance(suggested, list):
            labels = [o.label for o in item.options if o.value in suggested]
            lines.append(f"按登记的行业已预选：{'、'.join(labels) if labels else '无'}"
                         "（回复「是」确认，或回复序号重新选择）")
        elif suggested is not None:
            label = next((o.label for o in item.options if o.value == suggested), str(suggested))
            other = "或回复其他序号" if item.options else "或直接发送您的写法"
            lines.append(f"推荐：{label}（回复「是」采用，{other}）")
        if not item.required:
            lines.append("（可回复「跳过」）")
        return "\n".join(lines)

    def _summary(self, state: dict[str, Any]) -> str:
        answers = state["answers"]
        relevant = self._asked(answers, state.get("context"))
        rows = []
        flagged = 0
        for n, i in enumerate(relevant, 1):
            item = self.form.items[i]
            value = answers.get(item.id)
            hazard = item.hazard_when and value in item.hazard_when
            flagged += bool(hazard)
            if len(relevant) <= FULL_SUMMARY_MAX or hazard or value == UNSURE:
                mark = "⚠" if hazard else ""
                rows.append(f"第{n}题 {_short(item.text)}：{display(item, value)}{mark}")
        head = f"请核对（共 {len(relevant)} 题" + (f"，发现问题 {flagged} 项）：" if self.form.kind == "selfcheck" else "）：")
        if len(relevant) > FULL_SUMMARY_MAX and not rows:
            rows.append("各项均符合要求。")
        tail = [f"1. {self.submit_label}", "2. 修改（或直接回复「修改 题号」，如「修改 3」）", "3. 取消"]
        return "\n".join([head, *rows, *tail])

    def _progress_line(self, state: dict[str, Any]) -> str:
        n, total = self._number(state)
        answered = sum(1 for k in state["answers"] if k in self._ids and self.form.items[self._ids[k]].asks)
        return f"进度：第 {n} 题，共 {total} 题，已答 {answered} 题。"

    @staticmethod
    def _join(*parts: str) -> str:
        return "\n".join(p for p in parts if p)


def _still_an_answer(item: Item, value: Any) -> bool:
    """Whether a saved answer still means something to the item as now defined. An item whose options changed
    (a yes_no rewritten as a situation: "yes" meant the hazard, now "exists" does) asks again rather than keep a
    value no option has, which would silently drop the hazard it recorded."""
    if value is None or value == UNSURE:
        return True
    values = {o.value for o in item.options}
    if item.type in SINGLE_CHOICE:
        return value in values
    if item.type == "multi":
        return isinstance(value, list) and all(v in values for v in value)
    if item.type == "notice":
        return value == SEEN
    return True


def _short(text: str, limit: int = 18) -> str:
    text = text.rstrip("？?")
    return text if len(text) <= limit else text[: limit - 1] + "…"
