"""Where a message goes: the flow in hand first, else a new request — and what works the same everywhere, so
that a person learns it once:
- 菜单 shows the person's menu; inside a flow the flow is kept, and 继续 picks it up again.
- Inside a flow's numbered list or free-text question: 取消 leaves, 返回 goes back one question, 帮助 asks
  it again with what can be answered. (Forms answer these words themselves, question by question.)
- A reply a numbered list cannot use may be a new request ("逾期隐患" inside a picker): it is answered.
- Outside a flow: a number picks from the numbered choices just shown (or the menu), then commands with
  arguments, then the recogniser.
A message that starts or continues an anonymous tip is private (Turn): its draft goes to the private store,
never to the conversation row. The engine (bot.engine) runs this inside the message's transaction.
"""
from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select

from handlers.base import Context, Step
from handlers.conversation import asked, command_word, go_back, number_in
from handlers.intents import (
    BY_NAME,
    Intent,
    command_intent,
    help_text,
    menu_intent,
    menu_items,
    menu_label_intent,
    render_menu,
)
from handlers.messages import EVENT, IMAGE, LOCATION, TEXT, UNSUPPORTED, Incoming
from handlers.nlu import NluResult, Situation
from storage.conversations import Conversations, Slot
from storage.domain import ENTERPRISE_ROLES, OPEN_STATES, ROLE_LABELS
from storage.ephemeral import Writes, version_of
from storage.housekeeping import TIP_DRAFT_RETENTION
from storage.models import Hazard, Person

from .services import Services

WELCOME_EVENTS = frozenset({"subscribe", "subscribe_scan", "scan"})
UNSUPPORTED_TEXT = ("暂不支持{kind}消息。请发送文字；上报隐患或举报时也可以发送图片和位置。\n"
                    "发送「菜单」查看可以办理的事项。")
KIND_NAMES = {"voice": "语音（没能识别出文字）", "video": "视频", "shortvideo": "小视频", "link": "链接", "file": "文件",
              "miniprogrampage": "小程序卡片", "bad_location": "坐标无效的位置"}
# Outside any flow the conversation keeps, for the next message only: the numbered choices just shown
# (CHOICES_KEY) or a pager; and, until it is picked up or replaced, a flow the person left for the menu.
CHOICES_KEY = "choices"
SUSPENDED_KEY = "suspended"
# A reply a numbered list cannot use is taken as a new request when it names one (a command, a menu label)
# or the recogniser is this sure of it: leaving a list loses nothing, so the bar is moderate.
STRONG = 0.5
NOT_A_NEW_REQUEST = frozenset({"unknown", "reminder_ack", "menu", "greeting"})
# Text nobody can place is answered with the likeliest things for this sender, numbered: a question beats a
# wrong guess, and a bare "not understood" helps nobody. First the recogniser's weak candidates, then these.
LIKELY = {
    None: ("tip_submit", "bind", "tip_query"),
    "enterprise_head": ("selfcheck_start", "hazard_report", "hazard_progress"),
    "safety_officer": ("selfcheck_start", "hazard_report", "hazard_progress"),
    "staff": ("quota_query", "hazard_report", "hazard_verify"),
    "admin": ("quota_query", "hazard_report", "hazard_verify"),
}
NOT_OFFERED = frozenset({"unknown", "menu", "greeting", "reminder_ack"})
# Started from free text, these read the words as their arguments only when typed as commands ("解绑 张三").
NO_ARGUMENTS = frozenset({"unbind"})
LIST_HELP = "回复序号选择；发送「返回」回到上一步，「取消」退出，「菜单」查看其他事项。"
TEXT_HELP = "请直接回复文字；发送「返回」回到上一步，「取消」退出，「菜单」查看其他事项。"


@dataclass
class Turn:
    """One message's private side — whether it is private, and what it writes to the private store — and the
    intent it went to (for the metrics)."""

    draft_key: str
    draft: dict[str, Any] | None  # the private flow it continues ({"flow", "state", "v"}), if any
    private: bool = False
    writes: Writes = field(default_factory=dict)
    intent: str = ""



class Router:
    def __init__(self, services: Services) -> None:
        self.services = services

    def route(self, ctx: Context, conv: Slot, msg: Incoming, turn: Turn) -> list[str]:
        """The replies to one message, its conversation's change recorded on `conv` and `turn`."""
        if turn.draft is not None:
            # Whatever it is, a message sent in the middle of a tip is the tipster's: it stays private.
            turn.private = True
        if msg.kind == EVENT:
            return self._event(ctx, conv, msg, turn)
        if msg.kind == UNSUPPORTED:
            return [UNSUPPORTED_TEXT.format(kind=KIND_NAMES.get(msg.raw_type, "这类"))]
        if turn.draft is not None:
            intent = BY_NAME.get(str(turn.draft.get("flow")))
            if intent is not None and intent.flow is not None:
                turn.private = True
                draft = Slot(msg.channel, msg.user_id, None, intent.name, dict(turn.draft.get("state") or {}))
                return self._in_flow(ctx, draft, intent, msg, turn)
        if conv.flow:
            intent = BY_NAME.get(conv.flow)
            if intent is not None and intent.flow is not None:
                return self._in_flow(ctx, conv, intent, msg, turn)
            self._save(ctx, conv, None, Step.done(), turn)  # a flow this version no longer has
        if msg.kind in (IMAGE, LOCATION):
            what = "图片" if msg.kind == IMAGE else "位置"
            return [f"收到{what}。{what}需要在上报隐患、整改进展或举报的过程中发送，才会附到记录上。\n"
                    + render_menu(ctx.role)]
        return self._new_request(ctx, conv, msg, turn)

    # -- inside a flow -------------------------------------------------------------------------

    def _in_flow(self, ctx: Context, conv: Slot, intent: Intent, msg: Incoming, turn: Turn) -> list[str]:
        assert intent.flow is not None
        turn.intent = intent.name
        state = deepcopy(conv.state)
        word = command_word(msg.text) if msg.kind == TEXT else None
        if word == "menu" and not intent.private:
            return self._suspend(ctx, conv, intent, state, turn)
        question = asked(state)
        kind = question.get("kind", "form")
        if kind != "form" and word is not None:
            fallback = self._fallback(word, intent, state, question)
            if fallback is not None:
                return self._save(ctx, conv, intent.name, fallback, turn)
        step = intent.flow.resume(ctx, state, msg)
        if step.unmatched and kind == "choice" and msg.kind == TEXT:
            new = self._strong_request(ctx, msg.text)
            if new is not None and new.name != intent.name:
                self._save(ctx, conv, None, Step.done(), turn)
                return self._start(ctx, conv, new, msg, {"memo": {}}, turn)
        return self._save(ctx, conv, intent.name, step, turn)

    def _fallback(self, word: str, intent: Intent, state: dict[str, Any], question: dict[str, Any]) -> Step | None:
        """取消, 返回, 帮助 and 继续 in a flow's list or free-text question: the same in every flow."""
        if word == "cancel":
            return Step([f"已取消「{intent.label}」。"], menu=True)
        if word == "back":
            return go_back(state) or Step([f"已取消「{intent.label}」。"], menu=True)
        if word in ("help", "resume"):
            footer = LIST_HELP if question["kind"] == "choice" else TEXT_HELP
            return Step.stay(state, question["prompt"] + ("\n" + footer if word == "help" else ""))
        return None

    def _suspend(self, ctx: Context, conv: Slot, intent: Intent, state: dict[str, Any], turn: Turn) -> list[str]:
        """菜单 inside a flow: the menu, with the flow kept for 继续."""
        memo = {SUSPENDED_KEY: {"flow": intent.name, "state": state},
                CHOICES_KEY: [it.name for it in menu_items(ctx.role)]}
        self._save(ctx, conv, None, Step.stay(memo), turn)
        return [f"「{intent.label}」先放一放，回复「继续」接着办。\n" + help_text(ctx)]

    def _strong_request(self, ctx: Context, text: str) -> Intent | None:
        command = command_intent(text, ctx.role) or menu_label_intent(ctx.role, text)
        if command is not None:
            return command if command.allows(ctx.role) else None
        result = self.services.nlu.recognize(text, today=ctx.today, role=ctx.role, situation=Situation(draft=True))
        intent = BY_NAME.get(result.intent)
        if (intent is None or intent.name in NOT_A_NEW_REQUEST or result.ambiguous or result.confidence < STRONG
                or not intent.allows(ctx.role)):
            return None
        return intent

    # -- a new request -------------------------------------------------------------------------

    def _new_request(self, ctx: Context, conv: Slot, msg: Incoming, turn: Turn) -> list[str]:
        text = msg.text.strip()
        memo: dict[str, Any] = deepcopy(conv.state) if conv.state else {}
        suspended = memo.get(SUSPENDED_KEY)
        word = command_word(text)
        if suspended and word == "resume":
            return self._resume_suspended(ctx, conv, suspended, msg, turn)
        if not text:
            return [help_text(ctx)]
        if word in ("cancel", "back"):
            self._keep_memo(ctx, conv, memo, turn)
            return ["好的，现在没有正在办理的事项。\n" + render_menu(ctx.role)]
        choices: list[str] = list(memo.get(CHOICES_KEY, []))
        n = number_in(text, len(choices)) if choices else None
        intent = BY_NAME.get(choices[n - 1]) if n is not None else None
        intent = intent or menu_intent(ctx.role, text)
        if intent is not None:
            # Picked by its number: the number is not an argument (a "2" is no invite code).
            return self._start(ctx, conv, intent, replace(msg, text=""), {"memo": memo}, turn)
        if text.strip("。.、 ").isdigit() and len(text) <= 3:
            # A number that picks nothing was meant for a menu: show the menu, not a guess at words.
            self._keep_memo(ctx, conv, memo, turn)
            return [f"没有序号 {text.strip('。.、 ')}。\n" + render_menu(ctx.role)]
        intent = command_intent(text, ctx.role) or menu_label_intent(ctx.role, text)
        args: dict[str, Any] = {"memo": memo}
        if intent is None:
            situation = Situation(open_hazards=lambda: self._open_hazards(ctx), draft=bool(suspended),
                                  tip_question=turn.draft is not None)
            result = self.services.nlu.recognize(text, today=ctx.today, role=ctx.role, situation=situation)
            args["nlu"] = result
            allowed = [name for name, _ in result.candidates if name in BY_NAME and BY_NAME[name].allows(ctx.role)]
            if result.ambiguous and len(allowed) >= 2:
                options = allowed[:3]
                self._save(ctx, conv, None, Step.stay({**_kept(memo), CHOICES_KEY: options}), turn)
                lines = ["您是想办哪一件？请回复序号："]
                lines += [f"{i}. {BY_NAME[name].label}" for i, name in enumerate(options, 1)]
                return ["\n".join(lines)]
            intent = BY_NAME.get(result.intent)
            if intent is None:
                return self._clarify(ctx, conv, memo, result, turn)
            if intent.name in NO_ARGUMENTS:
                msg = replace(msg, text="")
        if intent is None:
            self._keep_memo(ctx, conv, memo, turn)
            return ["没太明白您的意思。\n" + render_menu(ctx.role)]
        return self._start(ctx, conv, intent, msg, args, turn)

    def _open_hazards(self, ctx: Context) -> bool:
        """Whether the sender's enterprise has a hazard not yet closed: one indexed lookup, asked only when
        the recogniser needs it."""
        if ctx.sender is None or ctx.sender.role not in ENTERPRISE_ROLES:
            return False
        found = ctx.connection.execute(
            select(Hazard.id).join(Person, Person.enterprise_id == Hazard.enterprise_id)
            .where(Person.id == ctx.sender.person_id, Hazard.status.in_(OPEN_STATES)).limit(1)).first()
        return found is not None

    def _clarify(self, ctx: Context, conv: Slot, memo: dict[str, Any], result: NluResult, turn: Turn) -> list[str]:
        """Text the recogniser cannot place: the two or three likeliest things, answerable by number."""
        guesses = [name for name, _ in result.candidates] + list(LIKELY.get(ctx.role, LIKELY[None]))
        options: list[str] = []
        for name in guesses:
            intent = BY_NAME.get(name)
            if intent is not None and name not in NOT_OFFERED and intent.allows(ctx.role) and name not in options:
                options.append(name)
        options = options[:3]
        self._save(ctx, conv, None, Step.stay({**_kept(memo), CHOICES_KEY: options}), turn)
        lines = ["没太明白您的意思，您是想办下面哪一件？请回复序号："]
        lines += [f"{i}. {BY_NAME[name].label}" for i, name in enumerate(options, 1)]
        lines.append("都不是请换个说法，或发送「菜单」查看全部事项。")
        return ["\n".join(lines)]

    def _resume_suspended(self, ctx: Context, conv: Slot, suspended: dict[str, Any], msg: Incoming,
                          turn: Turn) -> list[str]:
        intent = BY_NAME.get(suspended["flow"])
        if intent is None or intent.flow is None:
            self._save(ctx, conv, None, Step.done(), turn)
            return [help_text(ctx)]
        state = suspended["state"]
        question = asked(state)
        if question.get("kind", "form") != "form":
            return self._save(ctx, conv, intent.name, Step.stay(state, question["prompt"]), turn)
        return self._save(ctx, conv, intent.name, intent.flow.resume(ctx, state, msg), turn)

    def _event(self, ctx: Context, conv: Slot, msg: Incoming, turn: Turn) -> list[str]:
        if msg.event in WELCOME_EVENTS:
            return ["欢迎使用隐患排查整治助手。\n" + help_text(ctx)]
        if msg.event == "click":
            intent = BY_NAME.get(msg.event_key.lower().removeprefix("hb_"))
            if intent is not None:
                return self._start(ctx, conv, intent, replace(msg, text=""), {"memo": {}}, turn)
            return [help_text(ctx)]
        return []

    def _start(self, ctx: Context, conv: Slot, intent: Intent, msg: Incoming, args: dict[str, Any],
               turn: Turn) -> list[str]:
        turn.intent = intent.name
        if not intent.allows(ctx.role):
            self._keep_memo(ctx, conv, args.get("memo") or {}, turn)
            if ctx.sender is None:
                return [f"「{intent.label}」需要先绑定身份。请发送「绑定 邀请码」，邀请码向镇街或部门工作人员索取。\n"
                        + render_menu(None)]
            return [f"「{intent.label}」不是{ROLE_LABELS[ctx.role or '']}可以办理的事项。\n" + render_menu(ctx.role)]
        if intent.private:
            turn.private = True
        if intent.answer is not None:
            step = intent.answer(ctx, msg, args)
            kept = _kept(args.get("memo") or {})
            if kept and step.state is None and not step.forget:
                step = replace(step, state=kept)
            elif kept and step.state is not None:
                step = replace(step, state={**kept, **step.state})
            return self._save(ctx, conv, None, step, turn)
        assert intent.flow is not None
        step = intent.flow.start(ctx, msg if msg.kind == TEXT else replace(msg, text=""), args)
        return self._save(ctx, conv, intent.name, step, turn)

    def _keep_memo(self, ctx: Context, conv: Slot, memo: dict[str, Any], turn: Turn) -> None:
        """The numbered choices were good for one message; a suspended flow stays until picked up or replaced."""
        kept = _kept(memo)
        self._save(ctx, conv, None, Step.stay(kept) if kept else Step.done(), turn)

    def _save(self, ctx: Context, conv: Slot, flow: str | None, step: Step, turn: Turn) -> list[str]:
        intent = BY_NAME.get(flow) if flow else None
        if turn.private and intent is not None and not intent.private and step.state is not None:
            # Left a private flow for an ordinary one: the draft goes, the new flow is kept as any other.
            if turn.draft is not None:
                turn.writes[turn.draft_key] = (None, 0.0)
            turn.private = False
        if turn.private:
            self._save_private(ctx, conv, intent, step, turn)
        elif step.forget or (step.state is None and not conv.exists):
            Conversations.forget(conv)
        else:
            Conversations.save(conv, flow if step.state is not None else None, step.state or {})
        replies = list(step.replies)
        if step.menu:
            menu = render_menu(ctx.role)
            replies = replies[:-1] + [replies[-1] + "\n" + menu] if replies else [menu]
        return replies

    def _save_private(self, ctx: Context, conv: Slot, intent: Intent | None, step: Step, turn: Turn) -> None:
        """A private flow's state goes to the private store; the database keeps no conversation for it."""
        if conv.exists:
            Conversations.forget(conv)
        if intent is not None and intent.private and step.state is not None and not step.forget:
            draft = {"flow": intent.name, "state": step.state, "v": version_of(turn.draft) + 1}
            turn.writes[turn.draft_key] = (draft, TIP_DRAFT_RETENTION.total_seconds())
        elif turn.draft is not None:
            turn.writes[turn.draft_key] = (None, 0.0)


def _kept(memo: dict[str, Any]) -> dict[str, Any]:
    """What of the memo outlives the next message: a flow left for the menu."""
    return {SUSPENDED_KEY: memo[SUSPENDED_KEY]} if memo.get(SUSPENDED_KEY) else {}
