"""Binding (绑定): a person sends an invite code and becomes an enterprise head, officer, staff or admin.

States: start -> awaiting_code -> done. "绑定 CODE" binds in one message.
"""
from __future__ import annotations

import re
from typing import Any

from handlers.messages import TEXT, Incoming
from storage.domain import ROLE_LABELS
from storage.invites import RedeemError, redeem_invite
from storage.ratelimit import limiter_key

from .base import Context, Step

_PREFIX = re.compile(r"^\s*(绑定|綁定|邀请码|bind)\s*[:：]?\s*", re.IGNORECASE)
_CANCEL = {"取消", "退出", "算了", "不绑了"}
ASK = "请发送工作人员给您的邀请码（10 位，如 7KQ2M-9XD4T）。发送「取消」退出。"


def strip_prefix(text: str) -> str:
    return _PREFIX.sub("", text, count=1).strip()


class BindFlow:
    name = "bind"

    def start(self, ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
        code_text = strip_prefix(msg.text) if msg.kind == TEXT else ""
        if code_text:
            return self._try(ctx, code_text)
        return Step.stay({"step": "awaiting_code"}, ASK)

    def resume(self, ctx: Context, state: dict[str, Any], msg: Incoming) -> Step:
        if msg.kind != TEXT or not msg.text.strip():
            return Step.stay(state, "这里需要文字形式的邀请码。\n" + ASK)
        text = msg.text.strip()
        if text in _CANCEL:
            return Step(["已取消绑定。"], menu=True)
        if text in {"帮助", "菜单", "?", "？"}:
            return Step.stay(state, "邀请码由镇街或部门工作人员生成，只能使用一次，7 天内有效。\n" + ASK)
        return self._try(ctx, strip_prefix(text), state)

    def _try(self, ctx: Context, text: str, state: dict[str, Any] | None = None) -> Step:
        sec = ctx.services.config.security
        key = limiter_key(ctx.services.secret, "bind", ctx.channel, ctx.user_id)
        limiter = ctx.services.limiter
        verdict = limiter.blocked(key, sec.bind_max_failures)
        if not verdict.allowed:
            minutes = max(1, (verdict.retry_after + 59) // 60)
            return Step.done(f"邀请码错误次数过多，请 {minutes} 分钟后再试。")
        try:
            result = redeem_invite(
                ctx.session, ctx.services.secret, text=text, channel=ctx.channel,
                external_id=ctx.user_id, now=ctx.now,
            )
        except RedeemError as exc:
            limiter.hit(key, sec.bind_window_minutes * 60)
            return Step.stay(state or {"step": "awaiting_code"}, f"{exc}\n发送「取消」退出。")
        limiter.reset(key)
        person = result.person
        ctx.session.refresh(person)
        ctx.person = person
        place = person.enterprise.name if person.enterprise else (person.unit.name if person.unit else "")
        head = "已更换绑定" if result.rebound else "绑定成功"
        return Step([f"{head}：{place + ' ' if place else ''}{ROLE_LABELS[person.role]}。"], menu=True)
