"""The engine: one incoming message in, the replies out, in one transaction.

dedup -> load the person and their conversation -> the open flow first, else a new request -> save.

What works the same everywhere lives here, so that a person learns it once:
- 菜单 shows the person's menu; inside a flow the flow is kept, and 继续 picks it up again.
- Inside a flow's numbered list or free-text question: 取消 leaves, 返回 goes back one question, 帮助 asks
  it again with what can be answered. (Forms answer these words themselves, question by question.)
- A reply a numbered list cannot use may be a new request ("逾期隐患" inside a picker): it is answered.
- Outside a flow: a number picks from the numbered choices just shown (or the menu), then commands with
  arguments, then the recogniser.
"""
from __future__ import annotations

import logging
import threading
from copy import deepcopy
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

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
from storage.conversations import Arrival, Conversations, Slot
from storage.dedup import DedupStore, message_key
from storage.domain import ROLE_LABELS
from storage.outcome import MessageWrites
from storage.prepared import without_begin

from . import metrics
from .services import Services

log = logging.getLogger(__name__)

# Events that never get an answer and are too frequent to record (WeCom reports location every 5 s).
SILENT_EVENTS = frozenset({"location", "view", "unsubscribe", "view_miniprogram", "enter_agent",
                           "templatesendjobfinish", "masssendjobfinish"})
UNSUPPORTED_TEXT = ("暂不支持{kind}消息。请发送文字；上报隐患或举报时也可以发送图片和位置。\n"
                    "发送「菜单」查看可以办理的事项。")
KIND_NAMES = {"voice": "语音", "video": "视频", "shortvideo": "小视频", "link": "链接", "file": "文件"}
REDACTED_TEXT = "（这条回复含只显示一次的查询码或邀请码，为安全不再重复显示，请看之前收到的那条消息。）"
ERROR_TEXT = "抱歉，系统刚才出了点问题，您的消息没有处理。请稍后再发一次。"
# When even the record of what was done cannot be read, nobody can say whether it was: say only that.
UNAVAILABLE_TEXT = "系统维护中，请稍后再发。"
# Outside any flow the conversation keeps, for the next message only: the numbered choices just shown
# (CHOICES_KEY) or a pager; and, until it is picked up or replaced, a flow the person left for the menu.
CHOICES_KEY = "choices"
SUSPENDED_KEY = "suspended"
MAX_ATTEMPTS = 5  # conflicts are one person's messages racing each other: a few retries settle them
# A reply a numbered list cannot use is taken as a new request when it names one (a command, a menu label)
# or the recogniser is this sure of it: leaving a list loses nothing, so the bar is moderate.
STRONG = 0.5
NOT_A_NEW_REQUEST = frozenset({"unknown", "reminder_ack", "menu"})
# WeChat's 48-hour customer-service window is what last_inbound_at is for: a minute's staleness does not
# matter, and writing the person's row on every message would.
INBOUND_RESOLUTION = timedelta(minutes=1)
LIST_HELP = "回复序号选择；发送「返回」回到上一步，「取消」退出，「菜单」查看其他事项。"
TEXT_HELP = "请直接回复文字；发送「返回」回到上一步，「取消」退出，「菜单」查看其他事项。"
_HANDLED = threading.local()  # the intent the message in this thread went to, for the metrics


class Engine:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.conversations = Conversations(services.engine.dialect)
        self.dedup = DedupStore(services.engine.dialect)
        self.writes = MessageWrites(services.engine.dialect)

    def handle(self, msg: Incoming) -> list[str]:
        if msg.kind == EVENT and msg.event in SILENT_EVENTS:
            return []
        key = message_key(self.services.secret, msg.channel, msg.user_id, msg.msg_key)
        _HANDLED.intent = ""
        reconnected = False
        for _ in range(MAX_ATTEMPTS):
            try:
                # A Core connection, not a Session: most messages need no ORM object (Context.session).
                with self.services.engine.begin() as conn:
                    arrival = self.conversations.arrive(conn, key, msg.channel, msg.user_id)
                    if arrival.stored is not None:
                        metrics.message(msg.channel, msg.kind, "retry")
                        return arrival.stored
                    replies, sensitive, seen = self._dispatch(conn, msg, arrival)
                    # A retry of a sensitive answer (a receipt code) gets a redacted copy from the database;
                    # a retry within this process is answered from memory by the Responder.
                    # One statement; on its own (no BEGIN, no COMMIT) when the handlers ran none (storage.outcome).
                    with without_begin(conn):
                        self.writes.write(conn, arrival.conversation, seen, key,
                                          [REDACTED_TEXT] if sensitive else replies, self.services.clock())
                metrics.message(msg.channel, msg.kind, _HANDLED.intent)
                return replies
            except (IntegrityError, StaleDataError):
                # A retry of this message, or another message of the same person, committed first:
                # start over from the committed state.
                continue
            except DBAPIError as exc:
                # The database dropped the connection (a restart, a failover): nothing was committed, or the
                # dedup record was and the next attempt finds it. Once, on a fresh connection.
                if exc.connection_invalidated and not reconnected:
                    reconnected = True
                    log.warning("database connection lost; retrying a %s message once", msg.kind)
                    continue
                log.exception("engine failed on a %s message from channel %s", msg.kind, msg.channel)
                metrics.engine_error(msg.channel)
                break
            except Exception:
                # Never the text: it may be a tip. The kind and channel are enough to find the bug.
                log.exception("engine failed on a %s message from channel %s", msg.kind, msg.channel)
                metrics.engine_error(msg.channel)
                break
        # Nothing of this attempt was written. A twin of this message (WeChat's retry on another worker) may
        # have been: then its reply is the answer, never "not processed".
        try:
            with self.services.engine.connect() as conn:
                stored = self.dedup.lookup(conn, key)
        except Exception:
            log.warning("dedup record unreadable after a failed message from channel %s", msg.channel)
            return [UNAVAILABLE_TEXT]
        return stored if stored is not None else [ERROR_TEXT]

    # -- one message ---------------------------------------------------------------------------

    def _dispatch(self, conn: Connection, msg: Incoming, arrival: Arrival) -> tuple[list[str], bool, int | None]:
        """The replies, whether they are sensitive, and the sender whose last-message time is due a write."""
        ctx = Context(conn, msg.channel, msg.user_id, arrival.sender, self.services.now(), self.services)
        try:
            replies = self._route(ctx, arrival.conversation, msg)
            ctx.flush()
        finally:
            ctx.close()
        seen = None
        if arrival.sender is not None and msg.kind != EVENT:
            now = self.services.clock()
            if arrival.last_inbound_at is None or now - arrival.last_inbound_at >= INBOUND_RESOLUTION:
                seen = arrival.sender.person_id
        return replies, ctx.sensitive, seen

    def _route(self, ctx: Context, conv: Slot, msg: Incoming) -> list[str]:
        if msg.kind == EVENT:
            return self._event(ctx, conv, msg)
        if msg.kind == UNSUPPORTED:
            return [UNSUPPORTED_TEXT.format(kind=KIND_NAMES.get(msg.raw_type, "这类"))]
        if conv.flow:
            intent = BY_NAME.get(conv.flow)
            if intent is not None and intent.flow is not None:
                return self._in_flow(ctx, conv, intent, msg)
            self._save(ctx, conv, None, Step.done())  # a flow this version no longer has
        if msg.kind in (IMAGE, LOCATION):
            what = "图片" if msg.kind == IMAGE else "位置"
            return [f"收到{what}。{what}需要在上报隐患、整改进展或举报的过程中发送，才会附到记录上。\n"
                    + render_menu(ctx.role)]
        return self._new_request(ctx, conv, msg)

    # -- inside a flow -------------------------------------------------------------------------

    def _in_flow(self, ctx: Context, conv: Slot, intent: Intent, msg: Incoming) -> list[str]:
        assert intent.flow is not None
        _HANDLED.intent = intent.name
        state = deepcopy(conv.state)
        word = command_word(msg.text) if msg.kind == TEXT else None
        if word == "menu":
            return self._suspend(ctx, conv, intent, state)
        question = asked(state)
        kind = question.get("kind", "form")
        if kind != "form" and word is not None:
            fallback = self._fallback(word, intent, state, question)
            if fallback is not None:
                return self._save(ctx, conv, intent.name, fallback)
        step = intent.flow.resume(ctx, state, msg)
        if step.unmatched and kind == "choice" and msg.kind == TEXT:
            new = self._strong_request(ctx, msg.text)
            if new is not None and new.name != intent.name:
                self._save(ctx, conv, None, Step.done())
                return self._start(ctx, conv, new, msg, {"memo": {}})
        return self._save(ctx, conv, intent.name, step)

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

    def _suspend(self, ctx: Context, conv: Slot, intent: Intent, state: dict[str, Any]) -> list[str]:
        """菜单 inside a flow: the menu, with the flow kept for 继续."""
        memo = {SUSPENDED_KEY: {"flow": intent.name, "state": state},
                CHOICES_KEY: [it.name for it in menu_items(ctx.role)]}
        self._save(ctx, conv, None, Step.stay(memo))
        return [f"「{intent.label}」先放一放，回复「继续」接着办。\n" + help_text(ctx)]

    def _strong_request(self, ctx: Context, text: str) -> Intent | None:
        command = command_intent(text, ctx.role) or menu_label_intent(ctx.role, text)
        if command is not None:
            return command if command.allows(ctx.role) else None
        result = self.services.nlu.recognize(text, today=ctx.today)
        intent = BY_NAME.get(result.intent)
        if (intent is None or intent.name in NOT_A_NEW_REQUEST or result.ambiguous or result.confidence < STRONG
                or not intent.allows(ctx.role)):
            return None
        return intent

    # -- a new request -------------------------------------------------------------------------

    def _new_request(self, ctx: Context, conv: Slot, msg: Incoming) -> list[str]:
        text = msg.text.strip()
        memo: dict[str, Any] = deepcopy(conv.state) if conv.state else {}
        suspended = memo.get(SUSPENDED_KEY)
        word = command_word(text)
        if suspended and word == "resume":
            return self._resume_suspended(ctx, conv, suspended, msg)
        if not text:
            return [help_text(ctx)]
        if word in ("cancel", "back"):
            self._keep_memo(ctx, conv, memo)
            return ["好的，现在没有正在办理的事项。\n" + render_menu(ctx.role)]
        choices: list[str] = list(memo.get(CHOICES_KEY, []))
        n = number_in(text, len(choices)) if choices else None
        intent = BY_NAME.get(choices[n - 1]) if n is not None else None
        intent = intent or menu_intent(ctx.role, text)
        if intent is not None:
            # Picked by its number: the number is not an argument (a "2" is no invite code).
            return self._start(ctx, conv, intent, replace(msg, text=""), {"memo": memo})
        intent = command_intent(text, ctx.role)
        args: dict[str, Any] = {"memo": memo}
        if intent is None:
            result = self.services.nlu.recognize(text, today=ctx.today)
            args["nlu"] = result
            allowed = [name for name, _ in result.candidates if name in BY_NAME and BY_NAME[name].allows(ctx.role)]
            if result.ambiguous and len(allowed) >= 2:
                options = allowed[:3]
                self._save(ctx, conv, None, Step.stay({**_kept(memo), CHOICES_KEY: options}))
                lines = ["您是想办哪一件？请回复序号："]
                lines += [f"{i}. {BY_NAME[name].label}" for i, name in enumerate(options, 1)]
                return ["\n".join(lines)]
            intent = BY_NAME.get(result.intent)
        if intent is None:
            self._keep_memo(ctx, conv, memo)
            return ["没太明白您的意思。\n" + render_menu(ctx.role)]
        return self._start(ctx, conv, intent, msg, args)

    def _resume_suspended(self, ctx: Context, conv: Slot, suspended: dict[str, Any], msg: Incoming) -> list[str]:
        intent = BY_NAME.get(suspended["flow"])
        if intent is None or intent.flow is None:
            self._save(ctx, conv, None, Step.done())
            return [help_text(ctx)]
        state = suspended["state"]
        question = asked(state)
        if question.get("kind", "form") != "form":
            return self._save(ctx, conv, intent.name, Step.stay(state, question["prompt"]))
        return self._save(ctx, conv, intent.name, intent.flow.resume(ctx, state, msg))

    def _event(self, ctx: Context, conv: Slot, msg: Incoming) -> list[str]:
        if msg.event == "subscribe":
            return ["欢迎使用隐患排查整治助手。\n" + help_text(ctx)]
        if msg.event == "click":
            intent = BY_NAME.get(msg.event_key.lower().removeprefix("hb_"))
            if intent is not None:
                return self._start(ctx, conv, intent, replace(msg, text=""), {"memo": {}})
            return [help_text(ctx)]
        return []

    def _start(self, ctx: Context, conv: Slot, intent: Intent, msg: Incoming, args: dict[str, Any]) -> list[str]:
        _HANDLED.intent = intent.name
        if not intent.allows(ctx.role):
            self._keep_memo(ctx, conv, args.get("memo") or {})
            if ctx.sender is None:
                return [f"「{intent.label}」需要先绑定身份。请发送「绑定 邀请码」，邀请码向镇街或部门工作人员索取。\n"
                        + render_menu(None)]
            return [f"「{intent.label}」不是{ROLE_LABELS[ctx.role or '']}可以办理的事项。\n" + render_menu(ctx.role)]
        if intent.answer is not None:
            step = intent.answer(ctx, msg, args)
            kept = _kept(args.get("memo") or {})
            if kept and step.state is None and not step.forget:
                step = replace(step, state=kept)
            elif kept and step.state is not None:
                step = replace(step, state={**kept, **step.state})
            return self._save(ctx, conv, None, step)
        assert intent.flow is not None
        step = intent.flow.start(ctx, msg if msg.kind == TEXT else replace(msg, text=""), args)
        return self._save(ctx, conv, intent.name, step)

    def _keep_memo(self, ctx: Context, conv: Slot, memo: dict[str, Any]) -> None:
        """The numbered choices were good for one message; a suspended flow stays until picked up or replaced."""
        kept = _kept(memo)
        self._save(ctx, conv, None, Step.stay(kept) if kept else Step.done())

    def _save(self, ctx: Context, conv: Slot, flow: str | None, step: Step) -> list[str]:
        state = step.state
        if step.forget or (state is None and not conv.exists):
            self.conversations.forget(conv)
        else:
            self.conversations.save(conv, flow if state is not None else None, state or {})
        replies = list(step.replies)
        if step.menu:
            menu = render_menu(ctx.role)
            replies = replies[:-1] + [replies[-1] + "\n" + menu] if replies else [menu]
        return replies


def _kept(memo: dict[str, Any]) -> dict[str, Any]:
    """What of the memo outlives the next message: a flow left for the menu."""
    return {SUSPENDED_KEY: memo[SUSPENDED_KEY]} if memo.get(SUSPENDED_KEY) else {}
