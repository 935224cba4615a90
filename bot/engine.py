"""The engine: one incoming message in, the replies out, in one transaction.

dedup -> load the person and their conversation -> active flow first, else the intent -> save.
"""
from __future__ import annotations

import logging
from copy import deepcopy
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from handlers.base import Context, Step
from handlers.menu import help_text, menu_intent, render_menu
from handlers.intents import FLOWS, INTENT_LABELS, INTENT_ROLES, ONE_SHOTS, command_intent
from storage.domain import ROLE_LABELS

from storage.conversations import Arrival, Conversations, Slot
from storage.dedup import DedupStore, message_key
from handlers.messages import EVENT, IMAGE, LOCATION, TEXT, UNSUPPORTED, Incoming
from .services import Services

log = logging.getLogger(__name__)

# Events that never get an answer and are too frequent to record (WeCom reports location every 5 s).
SILENT_EVENTS = frozenset({"location", "view", "unsubscribe", "view_miniprogram", "enter_agent",
                           "templatesendjobfinish", "masssendjobfinish"})
UNSUPPORTED_TEXT = ("暂不支持{kind}消息。请发送文字；上报隐患或举报时也可以发送图片和位置。\n"
                    "发送「菜单」查看可以办理的事项。")
KIND_NAMES = {"voice": "语音", "video": "视频", "shortvideo": "小视频", "link": "链接", "file": "文件"}
REDACTED_TEXT = "（这条回复含举报查询码，为保护举报人不再重复显示。）"
ERROR_TEXT = "抱歉，系统刚才出了点问题，您的消息没有处理。请稍后再发一次。"
BUSY_TEXT = "系统正忙，请稍后再发一次。"
# Digits answer the numbered menu shown last; kept in the conversation outside any flow.
CHOICES_KEY = "choices"
MAX_ATTEMPTS = 3
# WeChat's 48-hour customer-service window is what last_inbound_at is for: a minute's staleness does not
# matter, and writing the person's row on every message would.
INBOUND_RESOLUTION = timedelta(minutes=1)


class Engine:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.conversations = Conversations(services.engine.dialect)
        self.dedup = DedupStore(services.engine.dialect)

    def handle(self, msg: Incoming) -> list[str]:
        if msg.kind == EVENT and msg.event in SILENT_EVENTS:
            return []
        key = message_key(self.services.secret, msg.channel, msg.user_id, msg.msg_key)
        for _ in range(MAX_ATTEMPTS):
            try:
                # A Core connection, not a Session: most messages need no ORM object (Context.session).
                with self.services.engine.begin() as conn:
                    arrival = self.conversations.arrive(conn, key, msg.channel, msg.user_id)
                    if arrival.stored is not None:
                        return arrival.stored
                    replies, sensitive = self._dispatch(conn, msg, arrival)
                    # A retry of a sensitive answer (a receipt code) gets a redacted copy from the database;
                    # a retry within this process is answered from memory by the Responder.
                    self.dedup.record(conn, key, [REDACTED_TEXT] if sensitive else replies, self.services.clock())
                return replies
            except (IntegrityError, StaleDataError):
                # A retry of this message, or another message of the same person, committed first:
                # start over from the committed state.
                continue
            except Exception:
                # Never the text: it may be a tip. The kind and channel are enough to find the bug.
                log.exception("engine failed on a %s message from channel %s", msg.kind, msg.channel)
                return [ERROR_TEXT]
        with self.services.engine.connect() as conn:
            stored = self.dedup.lookup(conn, key)
        return stored if stored is not None else [BUSY_TEXT]

    # -- one message ---------------------------------------------------------------------------

    def _dispatch(self, conn: Connection, msg: Incoming, arrival: Arrival) -> tuple[list[str], bool]:
        ctx = Context(conn, msg.channel, msg.user_id, arrival.sender, self.services.now(), self.services)
        try:
            replies = self._route(ctx, arrival.conversation, msg)
            ctx.flush()
        finally:
            ctx.close()
        # Written last: on SQLite the first write takes the database's write lock until the commit.
        if arrival.sender is not None and msg.kind != EVENT:
            now = self.services.clock()
            if arrival.last_inbound_at is None or now - arrival.last_inbound_at >= INBOUND_RESOLUTION:
                self.conversations.mark_seen(conn, arrival.sender.person_id, now)
        return replies, ctx.sensitive

    def _route(self, ctx: Context, conv: Slot, msg: Incoming) -> list[str]:
        if msg.kind == EVENT:
            return self._event(ctx, conv, msg)
        if msg.kind == UNSUPPORTED:
            return [UNSUPPORTED_TEXT.format(kind=KIND_NAMES.get(msg.raw_type, "这类"))]
        if conv.flow:
            flow = FLOWS.get(conv.flow)
            if flow is not None:
                step = flow.resume(ctx, deepcopy(conv.state), msg)
                self._save(ctx, conv, flow.name, step)
                return step.replies
            self._save(ctx, conv, None, Step.done())  # a flow this version no longer has
        if msg.kind in (IMAGE, LOCATION):
            what = "图片" if msg.kind == IMAGE else "位置"
            return [f"收到{what}。{what}需要在上报隐患、整改进展或举报的过程中发送，才会附到记录上。\n"
                    + render_menu(ctx.role)]
        return self._from_text(ctx, conv, msg)

    def _from_text(self, ctx: Context, conv: Slot, msg: Incoming) -> list[str]:
        text = msg.text.strip()
        # What the last one-shot answer left (a numbered choice, a pager) is good for this message only.
        memo: dict[str, Any] = deepcopy(conv.state) if conv.state else {}
        if memo:
            self._save(ctx, conv, None, Step.done())
        if not text:
            return [help_text(ctx.person)]
        choices: list[str] = list(memo.get(CHOICES_KEY, []))
        intent = _pick(choices, text) if choices else None
        intent = intent or menu_intent(ctx.role, text) or command_intent(text, ctx.role)
        args: dict[str, Any] = {"memo": memo}
        if intent is None:
            result = self.services.nlu.recognize(text, today=ctx.today)
            args["nlu"] = result
            allowed = [name for name, _ in result.candidates if self._allowed(ctx, name)]
            if result.ambiguous and len(allowed) >= 2:
                options = allowed[:3]
                self._save(ctx, conv, None, Step.stay({CHOICES_KEY: options}))
                lines = ["您是想办哪一件？请回复序号："]
                lines += [f"{i}. {INTENT_LABELS[name]}" for i, name in enumerate(options, 1)]
                return ["\n".join(lines)]
            intent = result.intent
        return self._start(ctx, conv, intent, msg, args)

    def _event(self, ctx: Context, conv: Slot, msg: Incoming) -> list[str]:
        if msg.event == "subscribe":
            return ["欢迎使用隐患排查整治助手。\n" + help_text(ctx.person)]
        if msg.event == "click":
            intent = msg.event_key.lower().removeprefix("hb_")
            if intent in INTENT_ROLES:
                return self._start(ctx, conv, intent, msg, {})
            return [help_text(ctx.person)]
        return []

    def _start(self, ctx: Context, conv: Slot, intent: str, msg: Incoming,
               args: dict[str, Any]) -> list[str]:
        if intent == "menu":
            return [help_text(ctx.person)]
        if intent not in INTENT_ROLES:  # unknown
            return ["没太明白您的意思。\n" + render_menu(ctx.role)]
        roles = INTENT_ROLES[intent]
        label = INTENT_LABELS[intent]
        if roles is not None and ctx.sender is None:
            return [f"「{label}」需要先绑定身份。请发送「绑定 邀请码」，邀请码向镇街或部门工作人员索取。\n"
                    + render_menu(None)]
        if roles is not None and ctx.role not in roles:
            return [f"「{label}」不是{ROLE_LABELS[ctx.role or '']}可以办理的事项。\n" + render_menu(ctx.role)]
        if intent in ONE_SHOTS:
            step = ONE_SHOTS[intent](ctx, msg, args)
            self._save(ctx, conv, None, step)
            return step.replies
        flow = FLOWS.get(intent)
        if flow is None:
            return [f"「{label}」功能暂未开通，开通后会在这里直接办理。\n" + render_menu(ctx.role)]
        step = flow.start(ctx, msg if msg.kind == TEXT else _blank(msg), args)
        self._save(ctx, conv, flow.name, step)
        return step.replies

    def _allowed(self, ctx: Context, intent: str) -> bool:
        if intent not in INTENT_ROLES:
            return False
        roles = INTENT_ROLES[intent]
        return roles is None or ctx.role in roles

    def _save(self, ctx: Context, conv: Slot, flow: str | None, step: Step) -> None:
        state = step.state
        if step.forget or (state is None and not conv.exists):
            self.conversations.forget(ctx.connection, conv)
            return
        self.conversations.save(ctx.connection, conv, flow if state is not None else None, state or {},
                                self.services.clock())


def _pick(choices: list[str], text: str) -> str | None:
    digits = text.rstrip(".、。")
    if digits.isdecimal() and 1 <= int(digits) <= len(choices):
        return choices[int(digits) - 1]
    return None


def _blank(msg: Incoming) -> Incoming:
    """A menu click starts a flow as if nothing had been typed."""
    from dataclasses import replace

    return replace(msg, text="")
