"""生成邀请码 / 邀请 企业 角色: staff and admins create invite codes in chat, within their scope; the code is
shown once (and kept out of the dedup record, like a receipt code).

States: role (which role) · enterprise (which enterprise, for an enterprise role) · choose (similar names).
"""
from __future__ import annotations

import re
from typing import Any

from storage.domain import ENTERPRISE_ROLES, ROLE_LABELS
from storage.invites import InviteError, create_invite
from storage.models import Enterprise, Person, Unit
from storage.scope import scope_of

from .base import Context, Step
from .conversation import Option, ask, numbered, pick
from .lookup import find_enterprise
from .messages import TEXT, Incoming

_COMMAND = re.compile(r"^\s*(?:帮我|给我|请)?(?:生成|发|开|要|新建|新)?(?:一个|个|几个)?(?:邀请码|邀请)(?:生成)?\s*[:：]?\s*")
_ROLE_WORDS = (
    ("safety_officer", ("安全管理员", "安全员", "安全主管", "安全管理人员")),
    ("enterprise_head", ("主要负责人", "负责人", "老板", "厂长", "总经理", "经理", "法人", "项目经理")),
    ("staff", ("工作人员", "同事", "本单位", "专干", "办事员")),
    ("admin", ("管理员",)),
)


def _roles_for(person: Person) -> list[Option]:
    roles = ["enterprise_head", "safety_officer", "staff"] + (["admin"] if person.role == "admin" else [])
    return [Option(r, ROLE_LABELS[r] if r != "staff" else "本单位工作人员") for r in roles]


def _role_in(text: str) -> tuple[str | None, str]:
    """The role a request names, and the text without that word (the enterprise's name, if any)."""
    for role, words in _ROLE_WORDS:
        for word in words:
            if word in text:
                return role, text.replace(word, " ").strip(" ，,的")
    return None, text.strip(" ，,的")


class InviteFlow:
    name = "invite_create"

    def start(self, ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
        rest = _COMMAND.sub("", msg.text if msg.kind == TEXT else "", count=1)
        role, name = _role_in(rest)
        state: dict[str, Any] = {"at": "role", "role": role, "name": name}
        if role is None:
            return self._ask_role(ctx, state)
        return self._after_role(ctx, state)

    def _ask_role(self, ctx: Context, state: dict[str, Any]) -> Step:
        return ask({**state, "at": "role"}, "给谁生成邀请码？请回复序号：\n" + numbered(_roles_for(ctx.me())))

    def _after_role(self, ctx: Context, state: dict[str, Any], before: dict[str, Any] | None = None) -> Step:
        me = ctx.me()
        role = state["role"]
        if role == "admin" and me.role != "admin":
            return Step.done("只有管理员可以生成管理员邀请码。")
        if role in ENTERPRISE_ROLES:
            if state.get("name"):
                return self._enterprise(ctx, state, state["name"])
            return ask({**state, "at": "enterprise"}, "哪家企业（项目）？请写企业名称，写一部分也可以。", kind="text",
                       before=before)
        if role == "staff" and me.unit is None:
            return Step.done("您的账号没有所属单位，不能生成工作人员邀请码。")
        return self._create(ctx, role, None, me.unit if role == "staff" else None)

    def _enterprise(self, ctx: Context, state: dict[str, Any], text: str) -> Step:
        found = find_enterprise(ctx, scope_of(ctx.me()), text)
        if found.chosen is not None:
            return self._create(ctx, state["role"], ctx.session.get(Enterprise, found.chosen[0]), None)
        if not found.similar:
            return Step([f"您负责的企业里没有找到「{text}」。请核对名称后重新输入，或发送「取消」。"],
                        {**state, "at": "enterprise"}, unmatched=True)
        options = [Option(str(eid), name) for eid, name in found.similar]
        return ask({**state, "at": "choose", "names": [list(c) for c in found.similar]},
                   "找到几家相近的企业，请回复序号：\n" + numbered(options), before=state)

    def resume(self, ctx: Context, state: dict[str, Any], msg: Incoming) -> Step:
        text = msg.text.strip() if msg.kind == TEXT else ""
        at = state.get("at")
        if at == "role":
            chosen = pick(_roles_for(ctx.me()), text)
            if chosen is None:
                role, _ = _role_in(text)
                chosen = next((o for o in _roles_for(ctx.me()) if o.value == role), None)
            if chosen is None:
                return Step(["请回复序号选择角色。"], state, unmatched=True)
            return self._after_role(ctx, {**state, "role": chosen.value}, before=state)
        if at == "choose":
            chosen = pick([Option(str(eid), name) for eid, name in state["names"]], text)
            if chosen is not None:
                return self._create(ctx, state["role"], ctx.session.get(Enterprise, int(chosen.value)), None)
            if text and not text.isdecimal():
                return self._enterprise(ctx, state, text)
            return Step([f"请回复序号 1–{len(state['names'])}，或重新输入企业名称。"], state, unmatched=True)
        if not text:
            return ask(state, "请用文字写企业名称。", kind="text")
        return self._enterprise(ctx, state, text)

    def _create(self, ctx: Context, role: str, enterprise: Enterprise | None, unit: Unit | None) -> Step:
        days = ctx.services.config.security.invite_ttl_days
        try:
            invite = create_invite(ctx.session, ctx.services.secret, role=role, now=ctx.services.clock(),
                                   ttl_days=days, enterprise=enterprise, unit=unit,
                                   note=f"由 {ctx.me().id} 号用户在对话中生成")
        except InviteError as exc:
            return Step.done(str(exc))
        ctx.sensitive = True  # the code is shown once: a retry of this message gets a redacted copy
        until = invite.expires_at.astimezone(ctx.services.tz)
        label = ROLE_LABELS[role]
        return Step.done(f"邀请码（{invite.target} {label}，{until:%m月%d日 %H:%M} 前有效，只能用一次）：\n"
                         f"{invite.code}\n请单独转发给本人，让对方在这里发送「绑定 {invite.code}」。"
                         "这条消息只显示这一次。")
