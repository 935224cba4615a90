"""The intent table: every thing a person can ask the bot for, one record each.

Menus, role checks, command matching, dispatch and the recogniser's list of intents are all derived from
this table, so an intent cannot be registered in part. To add one: write its flow or one-shot answer in a
module of its own, then add its record here.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from storage.domain import ENTERPRISE_ROLES, STAFF_ROLES

from . import backoffice, hazards, pushes, reminders, reports, selfcheck, staff, tip, tips_staff
from .base import Context, Flow, OneShot, Step
from .bind import BindFlow, UnbindFlow
from .dispatch_fill import DispatchFillFlow
from .hazards import HazardReportFlow, ProgressFlow, VerifyFlow
from .invites import InviteFlow
from .menu import EXAMPLES, who
from .messages import Incoming
from .selfcheck import SelfCheckFlow
from .tip import TipFlow

VISITOR = "none"  # the menu key (and recogniser role) of someone not bound to anything
ANYONE = None
ADMINS = frozenset({"admin"})
BOUND = ENTERPRISE_ROLES | STAFF_ROLES


@dataclass(frozen=True)
class MenuEntry:
    roles: frozenset[str]  # menu keys: VISITOR or a role
    position: int  # the number a person sends
    label: str


@dataclass(frozen=True)
class Intent:
    name: str
    label: str  # what it is called in prompts and refusals
    roles: frozenset[str] | None  # who may use it; ANYONE: bound or not
    flow: Flow | None = None  # a conversation with states …
    answer: OneShot | None = None  # … or one reply
    commands: tuple[str, ...] = ()  # typed with arguments, matched as prefixes ("核查 yh…"), lower case
    words: tuple[str, ...] = ()  # whole messages that mean it, for the roles that may use it ("继续")
    pattern: re.Pattern[str] | None = None  # whole messages of this shape, likewise ("YH-202606-0001")
    menu: tuple[MenuEntry, ...] = ()
    nlu: bool = False  # the recogniser may pick it from free text
    # An anonymous tip's: nothing of such a message may name its sender in the database (see bot.engine).
    private: bool = False

    def allows(self, role: str | None) -> bool:
        return self.roles is None or role in self.roles


def on(roles: str | Iterable[str], position: int, label: str) -> MenuEntry:
    return MenuEntry(frozenset([roles] if isinstance(roles, str) else roles), position, label)


def show_menu(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    return Step.done(help_text(ctx))


def greet(ctx: Context, msg: Incoming, args: dict[str, Any]) -> Step:
    """你好 / 在吗: a short welcome and what this person can do, numbered."""
    return Step.done("您好，我是隐患排查整治助手。\n" + render_menu(ctx.role))


ENTERPRISE_MENU = ENTERPRISE_ROLES
STAFF_MENU = frozenset({"staff", "admin"})

INTENTS: tuple[Intent, ...] = (
    Intent("greeting", "问候", ANYONE, answer=greet, nlu=True),
    Intent("menu", "菜单和帮助", ANYONE, answer=show_menu, nlu=True,
           menu=(on(VISITOR, 3, "帮助"), on(ENTERPRISE_MENU, 6, "帮助"), on("staff", 9, "帮助"), on("admin", 10, "帮助"))),
    Intent("bind", "绑定身份", ANYONE, flow=BindFlow(), commands=("绑定", "綁定", "邀请码", "bind", "换绑", "重新绑定"),
           nlu=True, menu=(on(VISITOR, 2, "绑定身份（企业或工作人员，需邀请码）"),)),
    Intent("unbind", "解除绑定", BOUND, flow=UnbindFlow(), commands=("解绑", "解除绑定", "取消绑定"), nlu=True),
    Intent("invite_create", "生成邀请码", STAFF_ROLES, flow=InviteFlow(),
           commands=("生成邀请码", "邀请码生成", "发邀请码", "要邀请码", "新邀请码", "给我邀请码", "邀请"), nlu=True),
    Intent("tip_submit", "匿名举报", ANYONE, flow=TipFlow(), nlu=True, private=True,
           menu=(on(VISITOR, 1, "匿名举报安全隐患"), on(ENTERPRISE_MENU, 5, "匿名举报"))),
    Intent("tip_query", "查询举报进展", ANYONE, answer=tip.query, commands=("查询举报",), nlu=True, private=True),
    Intent("tip_add", "补充举报", ANYONE, answer=tip.add_info, commands=("补充举报",), private=True),
    Intent("tip_saved", "保存查询码", ANYONE, answer=tip.saved, words=("已保存", "保存了", "已截图"), private=True),
    Intent("reminder_ack", "确认收到提醒", ANYONE, answer=reminders.acknowledge, words=("收到", "已收到", "收到了"),
           nlu=True),
    Intent("selfcheck_start", "企业自查", ENTERPRISE_ROLES, flow=SelfCheckFlow(), words=("继续", "继续填", "接着填"),
           nlu=True, menu=(on(ENTERPRISE_MENU, 1, "开始本期自查"),)),
    Intent("selfcheck_status", "自查记录", BOUND, answer=selfcheck.status, nlu=True,
           menu=(on(ENTERPRISE_MENU, 4, "查看自查记录"),)),
    Intent("hazard_report", "上报隐患", BOUND, flow=HazardReportFlow(), nlu=True,
           menu=(on(ENTERPRISE_MENU, 2, "上报隐患"), on(STAFF_MENU, 5, "登记检查发现的隐患"))),
    Intent("hazard_progress", "整改进展", BOUND, flow=ProgressFlow(), commands=("整改进展 yh", "整改进展yh"), nlu=True,
           menu=(on(ENTERPRISE_MENU, 3, "更新整改进展"),)),
    Intent("hazard_verify", "核查销号", STAFF_ROLES, flow=VerifyFlow(),
           commands=("核查 yh", "核查yh", "销号 yh", "销号yh"), nlu=True, menu=(on(STAFF_MENU, 6, "核查销号"),)),
    Intent("hazard_supervise", "挂牌督办", STAFF_ROLES, answer=hazards.supervise,
           commands=("挂牌督办 yh", "挂牌督办yh")),
    Intent("quota_query", "本月还差几条", STAFF_ROLES, answer=staff.quota, nlu=True,
           menu=(on(STAFF_MENU, 1, "本月还差几条"),)),
    Intent("overdue_query", "逾期隐患", STAFF_ROLES, answer=staff.overdue, nlu=True,
           menu=(on(STAFF_MENU, 2, "逾期隐患"),)),
    Intent("unchecked_query", "未自查企业", STAFF_ROLES, answer=staff.unchecked, nlu=True,
           menu=(on(STAFF_MENU, 3, "未自查企业"),)),
    Intent("stats_query", "统计", STAFF_ROLES, answer=staff.stats, nlu=True, menu=(on(STAFF_MENU, 4, "本月统计"),)),
    Intent("next_page", "翻页", STAFF_ROLES, answer=staff.next_page, words=("下一页", "下页", "更多", "上一页", "上页")),
    Intent("work_record", "登记典型案例/现场督导", STAFF_ROLES, answer=staff.record_work,
           commands=tuple(f"登记{word}" for word in staff.WORK_KINDS)),
    Intent("report_generate", "调度表和隐患清单", STAFF_ROLES, answer=reports.generate, nlu=True,
           menu=(on(STAFF_MENU, 7, "生成调度表/隐患清单"),)),
    Intent("dashboard_login", "网页管理后台", STAFF_ROLES, answer=backoffice.login_link, nlu=True),
    Intent("hazard_detail", "隐患详情", BOUND, answer=backoffice.detail,
           commands=("详情 yh", "详情yh", "查看 yh", "查看yh"), pattern=backoffice.DETAIL_PATTERN, nlu=True),
    Intent("enterprise_hazards", "企业的隐患", STAFF_ROLES, answer=backoffice.enterprise_hazards,
           pattern=backoffice.ENTERPRISE_PATTERN),
    Intent("dispatch_fill", "填报调度表", STAFF_ROLES, flow=DispatchFillFlow(),
           commands=("填报调度表", "填写调度表", "调度表填报", "填调度表"), nlu=True),
    Intent("tip_inbox", "待处理举报", STAFF_ROLES, answer=tips_staff.inbox, commands=("待处理举报",), nlu=True,
           menu=(on(STAFF_MENU, 8, "待处理举报"),)),
    Intent("tip_detail", "举报详情", STAFF_ROLES, answer=tips_staff.detail, commands=("举报详情",)),
    Intent("tip_ask", "向举报人提问", STAFF_ROLES, answer=tips_staff.ask, commands=("提问 jb", "提问jb")),
    Intent("tip_handle", "处理举报", STAFF_ROLES, flow=tips_staff.VerdictFlow(), commands=("处理举报",)),
    Intent("tip_transfer", "转办举报", STAFF_ROLES, answer=tips_staff.transfer, commands=("转办",)),
    Intent("reminder_optout", "退订提醒", BOUND, answer=reminders.opt_out, commands=("退订提醒",)),
    Intent("broadcast", "发布提醒", STAFF_ROLES, answer=reminders.broadcast, commands=("发布提醒",)),
    Intent("push_failures", "发送失败的消息", ADMINS, answer=pushes.failures, commands=("发送失败", "推送失败"),
           menu=(on("admin", 9, "发送失败的消息"),)),
    Intent("push_resend", "重发消息", ADMINS, answer=pushes.resend, commands=("重发",)),
)

BY_NAME: dict[str, Intent] = {intent.name: intent for intent in INTENTS}
RECOGNISED = tuple(intent.name for intent in INTENTS if intent.nlu)  # what the recogniser chooses among


def menu_items(role: str | None) -> list[Intent]:
    """The numbered menu of a role (or of a visitor), in position order."""
    key = role or VISITOR
    entries = sorted((entry.position, intent) for intent in INTENTS for entry in intent.menu if key in entry.roles)
    return [intent for _, intent in entries]


def menu_label(intent: Intent, role: str | None) -> str:
    key = role or VISITOR
    return next(entry.label for entry in intent.menu if key in entry.roles)


def render_menu(role: str | None, title: str = "请回复序号或直接说要办的事：") -> str:
    lines = [title] + [f"{i}. {menu_label(it, role)}" for i, it in enumerate(menu_items(role), 1)]
    return "\n".join(lines)


def help_text(ctx: Context) -> str:
    """Who the person is, their menu, and what they might type."""
    return f"{who(ctx.person)}\n{render_menu(ctx.role)}\n{EXAMPLES.get(ctx.role, EXAMPLES[None])}"


def menu_intent(role: str | None, text: str) -> Intent | None:
    """The intent behind a bare menu number such as "2" or "２."."""
    from .conversation import number_in

    items = menu_items(role)
    n = number_in(text, len(items))
    return items[n - 1] if n is not None else None


def menu_label_intent(role: str | None, text: str) -> Intent | None:
    """The menu item whose label (or the intent's own label) is exactly what was typed ("逾期隐患")."""
    from .conversation import clean

    word = clean(text)
    for intent in menu_items(role):
        if word in (clean(menu_label(intent, role)), clean(intent.label)):
            return intent
    # The name of a thing this person may do, though not on their menu (整改进展 from staff), starts it —
    # of the things free text may start (a command's name alone, such as 挂牌督办, is left to the recogniser).
    for intent in INTENTS:
        if intent.nlu and intent.allows(role) and word == clean(intent.label):
            return intent
    return None


_SPACES = re.compile(r"\s+")


def command_intent(text: str, role: str | None) -> Intent | None:
    """Commands are syntax, not language: matched before any recognition. Whole-message words count for the
    roles that may use them; prefixes with arguments for anyone (a refusal then says who may)."""
    lowered = _SPACES.sub(" ", text.strip().lower())
    for intent in INTENTS:
        if (lowered in intent.words or (intent.pattern is not None and intent.pattern.match(text.strip()))) \
                and intent.allows(role):
            return intent
    best: Intent | None = None
    length = 0
    for intent in INTENTS:
        for prefix in intent.commands:
            if lowered.startswith(prefix) and len(prefix) > length:
                best, length = intent, len(prefix)
    return best
