"""Binding (绑定) and unbinding (解绑): who a WeChat user is to the bot.

绑定: a person sends an invite code and becomes an enterprise head, safety officer, staff or admin; someone
already bound is asked to confirm before the new code replaces the old binding. States: awaiting_code ·
confirm_rebind.
解绑: a person ends their own binding after one confirmation; staff end the binding of people they answer
for (an enterprise's people in their scope, their own unit's staff), picked from a list. States: pick · confirm.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from storage.invites import RedeemError, bound_as, check_invite, redeem, unbind
from storage.models import Enterprise, InviteCode, Person, Unit, bound
from storage.outbox import tell_admins
from storage.ratelimit import limiter_key
from storage.scope import scope_of

from .base import Context, Step
from .conversation import Option, ask, clean, numbered, pick
from .messages import TEXT, Incoming

_PREFIX = re.compile(r"^\s*(绑定|綁定|邀请码|bind|换绑|重新绑定)\s*[:：]?\s*", re.IGNORECASE)
ASK = "请发送工作人员给您的邀请码（10 位，如 7KQ2M-9XD4T）。发送「取消」退出。"
CONFIRM = [Option("yes", "确认", ("确认更换", "确认解绑", "是", "确定", "好")), Option("no", "取消", ("不", "不用了", "算了", "否"))]


def strip_prefix(text: str) -> str:
    return _PREFIX.sub("", text, count=1).strip()


def _state(state: dict[str, Any]) -> str:
    return str(state.get("at") or state.get("step") or "")


class BindFlow:
    name = "bind"

    def start(self, ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
        code_text = strip_prefix(msg.text) if msg.kind == TEXT else ""
        if code_text:
            return self._try(ctx, code_text, None)
        lead = (f"您现在是{bound_as(ctx.person)}。要更换绑定，请发送新的邀请码；要解除绑定请发送「解绑」。"
                if ctx.person is not None else "")
        return ask({"at": "awaiting_code"}, ASK, kind="text", lead=lead)

    def resume(self, ctx: Context, state: dict[str, Any], msg: Incoming) -> Step:
        text = msg.text.strip() if msg.kind == TEXT else ""
        if _state(state) == "confirm_rebind":
            chosen = pick(CONFIRM, text)
            if chosen is None:
                return Step(["请回复 1 确认更换，或 2 取消。"], state, unmatched=True)
            if chosen.value == "no":
                return Step(["好的，绑定没有变。"], menu=True)
            invite = ctx.session.get(InviteCode, state["invite"])
            if invite is None:
                return Step.done("这个邀请码已不存在，请重新索取。")
            return self._redeem(ctx, invite)
        if not text:
            return ask(state, "这里需要文字形式的邀请码。\n" + ASK, kind="text")
        return self._try(ctx, strip_prefix(text), state)

    def _try(self, ctx: Context, text: str, state: dict[str, Any] | None) -> Step:
        sec = ctx.services.config.security
        key = limiter_key(ctx.services.secret, "bind", ctx.channel, ctx.user_id)
        everyone = limiter_key(ctx.services.secret, "bind-all")
        limiter = ctx.services.limiter
        for verdict in (limiter.blocked(key, sec.bind_max_failures),
                        limiter.blocked(everyone, sec.bind_failures_per_hour)):
            if not verdict.allowed:
                minutes = max(1, (verdict.retry_after + 59) // 60)
                return Step.done(f"邀请码错误次数过多，请 {minutes} 分钟后再试。")
        try:
            invite = check_invite(ctx.session, ctx.services.secret, text, ctx.now)
        except RedeemError as exc:
            limiter.hit(key, sec.bind_window_minutes * 60)
            if limiter.hit(everyone, 3600) == sec.bind_failures_per_hour:
                tell_admins(ctx.session, f"【安全提醒】一小时内邀请码错误已达 {sec.bind_failures_per_hour} 次，"
                            "可能有人在猜测邀请码。绑定暂停到这一小时结束。", ctx.services.clock(),
                            f"bind-budget:{ctx.services.clock():%Y%m%d%H}")
            return ask(state or {"at": "awaiting_code"}, f"{exc}\n发送「取消」退出。", kind="text")
        limiter.reset(key)
        person = ctx.person
        if person is not None:
            same = (person.role, person.enterprise_id, person.unit_id) == (invite.role, invite.enterprise_id,
                                                                           invite.unit_id)
            if not same:
                return ask({"at": "confirm_rebind", "invite": invite.id},
                           f"您现在是{bound_as(person)}。改为{bound_as(invite)}吗？\n{numbered(CONFIRM)}")
        return self._redeem(ctx, invite)

    def _redeem(self, ctx: Context, invite: InviteCode) -> Step:
        try:
            result = redeem(ctx.session, invite, channel=ctx.channel, external_id=ctx.user_id, now=ctx.now)
        except RedeemError as exc:
            return Step.done(str(exc))
        person = result.person
        ctx.session.refresh(person)
        ctx.person = person
        head = "已更换绑定" if result.rebound else "绑定成功"
        return Step([f"{head}：{bound_as(person)}。"], menu=True)


# -- 解绑 ----------------------------------------------------------------------------------------------

class UnbindFlow:
    name = "unbind"

    def start(self, ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
        me = ctx.me()
        target = re.sub(r"^\s*(解绑|解除绑定|取消绑定)\s*", "", msg.text.strip()) if msg.kind == TEXT else ""
        if not target or me.role in ("enterprise_head", "safety_officer"):
            return ask({"at": "confirm", "person": me.id},
                       f"解除您的绑定（{bound_as(me)}）吗？解除后将收不到提醒，需要新的邀请码才能重新绑定。\n"
                       + numbered([Option("yes", "确认解绑"), Option("no", "取消")]))
        people = self._people(ctx, me, target)
        if not people:
            return Step.done(f"您负责的范围里没有「{target}」已绑定的人员。可以写企业名称，或写「本单位」。")
        options = [Option(str(p.id), f"{bound_as(p)}（{p.bound_at.astimezone(ctx.services.tz):%Y-%m-%d} 绑定）")
                   for p in people]
        return ask({"at": "pick", "people": [p.id for p in people]}, "要解除谁的绑定？请回复序号：\n" + numbered(options))

    def _people(self, ctx: Context, me: Person, target: str) -> list[Person]:
        scope = scope_of(me)
        query = select(Person).where(bound(), Person.id != me.id).order_by(Person.id).limit(9)
        if clean(target) in ("本单位", "同事", "本单位人员"):
            return list(ctx.session.scalars(query.where(Person.unit_id == me.unit_id, Person.enterprise_id.is_(None))))
        enterprises = select(Enterprise.id).where(scope.enterprises(), Enterprise.name.contains(target, autoescape=True))
        found = list(ctx.session.scalars(query.where(Person.enterprise_id.in_(enterprises))))
        if me.role == "admin":
            units = select(Unit.id).where(Unit.name.contains(target, autoescape=True))
            found += list(ctx.session.scalars(query.where(Person.enterprise_id.is_(None), Person.unit_id.in_(units))))
        return found[:9]

    def resume(self, ctx: Context, state: dict[str, Any], msg: Incoming) -> Step:
        text = msg.text.strip() if msg.kind == TEXT else ""
        if _state(state) == "pick":
            ids = state["people"]
            chosen = pick([Option(str(i), str(i)) for i in range(1, len(ids) + 1)], text)
            if chosen is None:
                return Step([f"请回复序号 1–{len(ids)}。"], state, unmatched=True)
            person = ctx.session.get(Person, ids[int(chosen.value) - 1])
            if person is None or person.unbound_at is not None:
                return Step.done("这个人员已经解除绑定了。")
            return ask({"at": "confirm", "person": person.id}, f"解除{bound_as(person)}的绑定吗？\n"
                       + numbered([Option("yes", "确认解绑"), Option("no", "取消")]), before=state)
        chosen = pick(CONFIRM, text)
        if chosen is None:
            return Step(["请回复 1 确认解绑，或 2 取消。"], state, unmatched=True)
        if chosen.value == "no":
            return Step(["好的，没有解绑。"], menu=True)
        person = ctx.session.get(Person, state["person"])
        if person is None or person.unbound_at is not None:
            return Step.done("这个人员已经解除绑定了。")
        me = ctx.me()
        if person.id != me.id and not _may_unbind(ctx, me, person):
            return Step.done("您不能解除这个人员的绑定。")
        label = bound_as(person)
        dropped = unbind(ctx.session, person, ctx.services.clock())
        if person.id == me.id:
            return Step.done(f"已解除绑定（{label}）。需要时向镇街或部门工作人员索取新的邀请码。")
        note = f"，{dropped} 条待发提醒已取消" if dropped else ""
        return Step.done(f"已解除{label}的绑定{note}。")


def _may_unbind(ctx: Context, me: Person, person: Person) -> bool:
    """Staff end the bindings of people they answer for; admins anyone's."""
    if me.role == "admin":
        return True
    if me.role != "staff":
        return False
    if person.enterprise is not None:
        return scope_of(me).covers(person.enterprise.town_id, person.enterprise.department_id)
    return person.unit_id == me.unit_id and person.role == "staff"
