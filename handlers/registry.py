"""Which intents exist, who may use them, and which flow serves each."""
from __future__ import annotations

from storage.domain import ENTERPRISE_ROLES, STAFF_ROLES

from .base import Flow
from .bind import BindFlow
from .selfcheck import SelfCheckFlow

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
}

FLOWS: dict[str, Flow] = {"bind": BindFlow(), "selfcheck_start": SelfCheckFlow()}

# Commands with arguments ("绑定 7KQ2M-9XD4T") are syntax, not language: matched before any NLU.
COMMAND_PREFIXES: tuple[tuple[str, str], ...] = (
    ("绑定", "bind"), ("綁定", "bind"), ("邀请码", "bind"),
)
# "继续" outside any flow picks up the draft of the person's role (a paused self-check for enterprises).
RESUME_WORDS = frozenset({"继续", "继续填", "接着填"})
RESUME_INTENT = {"enterprise_head": "selfcheck_start", "safety_officer": "selfcheck_start"}


def command_intent(text: str, role: str | None = None) -> str | None:
    lowered = text.strip().lower()
    if lowered in RESUME_WORDS and role in RESUME_INTENT:
        return RESUME_INTENT[role]
    for prefix, intent in COMMAND_PREFIXES:
        if lowered.startswith(prefix):
            return intent
    return None
