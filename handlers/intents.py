"""Which intents exist, who may use them, and which flow serves each."""
from __future__ import annotations

import re
from typing import Any, Callable

from storage.domain import ENTERPRISE_ROLES, STAFF_ROLES

from handlers.messages import Incoming

from . import hazards, pushes, reminders, reports, staff, tip, tips_staff
from .base import Context, Flow, Step
from .bind import BindFlow
from .selfcheck import SelfCheckFlow
from .tip import TipFlow

ANYONE = None
# Who may start each intent; ANYONE includes people who have not bound.
INTENT_ROLES: dict[str, frozenset[str] | None] = {
    "menu": ANYONE,
    "bind": ANYONE,
    "tip_submit": ANYONE,
    "tip_query": ANYONE,
    "reminder_ack": ANYONE,
    "selfcheck_start": ENTERPRISE_ROLES,
    "selfcheck_status": ENTERPRISE_ROLES | STAFF_ROLES,
    "hazard_report": ENTERPRISE_ROLES | STAFF_ROLES,
    "hazard_progress": ENTERPRISE_ROLES | STAFF_ROLES,
    "hazard_verify": STAFF_ROLES,
    "quota_query": STAFF_ROLES,
    "overdue_query": STAFF_ROLES,
    "unchecked_query": STAFF_ROLES,
    "stats_query": STAFF_ROLES,
    "report_generate": STAFF_ROLES,
    "dashboard_login": STAFF_ROLES,
    "next_page": STAFF_ROLES,
    "work_record": STAFF_ROLES,
    "tip_add": ANYONE,
    "tip_saved": ANYONE,
    "tip_inbox": STAFF_ROLES,
    "tip_detail": STAFF_ROLES,
    "tip_ask": STAFF_ROLES,
    "tip_handle": STAFF_ROLES,
    "hazard_supervise": STAFF_ROLES,
    "reminder_optout": ENTERPRISE_ROLES | STAFF_ROLES,
    "broadcast": STAFF_ROLES,
    "push_failures": frozenset({"admin"}),
    "push_resend": frozenset({"admin"}),
}

INTENT_LABELS = {
    "menu": "菜单和帮助",
    "bind": "绑定身份",
    "tip_submit": "匿名举报",
    "tip_query": "查询举报进展",
    "reminder_ack": "确认收到提醒",
    "selfcheck_start": "企业自查",
    "selfcheck_status": "自查记录",
    "hazard_report": "上报隐患",
    "hazard_progress": "整改进展",
    "hazard_verify": "核查销号",
    "quota_query": "本月还差几条",
    "overdue_query": "逾期隐患",
    "unchecked_query": "未自查企业",
    "stats_query": "统计",
    "report_generate": "调度表和隐患清单",
    "dashboard_login": "网页管理后台",
    "next_page": "翻页",
    "work_record": "登记典型案例/现场督导",
    "tip_add": "补充举报",
    "tip_saved": "保存查询码",
    "tip_inbox": "待处理举报",
    "tip_detail": "举报详情",
    "tip_ask": "向举报人提问",
    "tip_handle": "处理举报",
    "hazard_supervise": "挂牌督办",
    "reminder_optout": "退订提醒",
    "broadcast": "发布提醒",
    "push_failures": "发送失败的消息",
    "push_resend": "重发消息",
}

FLOWS: dict[str, Flow] = {
    "bind": BindFlow(), "selfcheck_start": SelfCheckFlow(), "tip_submit": TipFlow(),
    "hazard_report": hazards.HazardReportFlow(), "hazard_progress": hazards.ProgressFlow(),
    "hazard_verify": hazards.VerifyFlow(),
}

# Intents answered in one reply; a Step state they return (a pager) is kept outside any flow.
OneShot = Callable[[Context, Incoming, dict[str, Any]], Step]
ONE_SHOTS: dict[str, OneShot] = {
    "quota_query": staff.quota,
    "overdue_query": staff.overdue,
    "unchecked_query": staff.unchecked,
    "stats_query": staff.stats,
    "report_generate": reports.generate,
    "dashboard_login": reports.on_a_computer,
    "next_page": staff.next_page,
    "work_record": staff.record_work,
    "tip_query": tip.query,
    "tip_add": tip.add_info,
    "tip_saved": tip.saved,
    "tip_inbox": tips_staff.inbox,
    "tip_detail": tips_staff.detail,
    "tip_ask": tips_staff.ask,
    "tip_handle": tips_staff.handle,
    "hazard_supervise": hazards.supervise,
    "reminder_ack": reminders.acknowledge,
    "reminder_optout": reminders.opt_out,
    "broadcast": reminders.broadcast,
    "push_failures": pushes.failures,
    "push_resend": pushes.resend,
}

# Commands with arguments ("绑定 7KQ2M-9XD4T") are syntax, not language: matched before any NLU.
COMMAND_PREFIXES: tuple[tuple[str, str], ...] = (
    ("绑定", "bind"), ("綁定", "bind"), ("邀请码", "bind"),
    ("查询举报", "tip_query"), ("补充举报", "tip_add"), ("待处理举报", "tip_inbox"), ("举报详情", "tip_detail"),
    ("处理举报", "tip_handle"), ("提问 jb", "tip_ask"), ("提问jb", "tip_ask"),
    ("挂牌督办 yh", "hazard_supervise"), ("挂牌督办yh", "hazard_supervise"),
    ("核查 yh", "hazard_verify"), ("核查yh", "hazard_verify"), ("销号 yh", "hazard_verify"), ("销号yh", "hazard_verify"),
    ("整改进展 yh", "hazard_progress"), ("整改进展yh", "hazard_progress"),
    ("退订提醒", "reminder_optout"), ("发布提醒", "broadcast"),
    ("发送失败", "push_failures"), ("推送失败", "push_failures"), ("重发", "push_resend"),
)
EXACT_COMMANDS = {"已保存": "tip_saved", "保存了": "tip_saved", "已截图": "tip_saved", "收到": "reminder_ack",
                  "已收到": "reminder_ack", "收到了": "reminder_ack"}
# "继续" outside any flow picks up the draft of the person's role (a paused self-check for enterprises).
RESUME_WORDS = frozenset({"继续", "继续填", "接着填"})
RESUME_INTENT = {"enterprise_head": "selfcheck_start", "safety_officer": "selfcheck_start"}


PAGE_WORDS = frozenset({"下一页", "下页", "更多", "上一页", "上页"})
_WORK_RECORD = re.compile("^登记(" + "|".join(staff.WORK_KINDS) + ")")


def command_intent(text: str, role: str | None = None) -> str | None:
    lowered = text.strip().lower()
    if lowered in RESUME_WORDS and role in RESUME_INTENT:
        return RESUME_INTENT[role]
    if lowered in PAGE_WORDS:
        return "next_page"
    if lowered in EXACT_COMMANDS:
        return EXACT_COMMANDS[lowered]
    if _WORK_RECORD.match(lowered):
        return "work_record"
    for prefix, intent in COMMAND_PREFIXES:
        if lowered.startswith(prefix):
            return intent
    return None
