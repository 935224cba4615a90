"""The kinds of push (reminder rules and notices): what each is called where people read it, and which can be
refused. Kept apart from the outbox's records so that configuration can check rule names without loading the
database layer.
"""
from __future__ import annotations

# What each reminder rule is called where people read it (「发送失败」, 退订提醒, notices).
RULE_LABELS = {
    "selfcheck_due": "自查提醒", "hazard_deadline": "整改期限提醒", "hazard_overdue": "逾期提醒",
    "overdue_escalation": "逾期升级", "listing_progress": "挂牌督办进展", "monthly_report": "调度表报送",
    "quota_shortfall": "指标提醒", "new_tips": "举报提醒", "year_end": "年终总结", "broadcast": "重点时段提醒",
    "campaign_phase": "专项整治阶段提醒", "holiday_eve": "节前提醒", "push_failed": "推送异常通知", "security": "安全提醒",
    "five_measures": "五落实提醒",
}
# Legal and campaign deadlines cannot be refused; these can ("退订提醒 X").
OPTIONAL_RULES = frozenset({"quota_shortfall", "new_tips", "broadcast", "holiday_eve"})
# The rule of the notice that tells admins about failed pushes; its own failures tell nobody.
FAILURE_NOTICE = "push_failed"
