"""The numbered menus, one per role, and the help text around them."""
from __future__ import annotations

from storage.domain import ROLE_LABELS
from storage.models import Person

# (intent, label). The number a person sends is the position in this list.
MENUS: dict[str | None, list[tuple[str, str]]] = {
    None: [
        ("tip_submit", "匿名举报安全隐患"),
        ("bind", "绑定身份（企业或工作人员，需邀请码）"),
        ("menu", "帮助"),
    ],
    "enterprise_head": [
        ("selfcheck_start", "开始本期自查"),
        ("hazard_report", "上报隐患"),
        ("hazard_progress", "更新整改进展"),
        ("selfcheck_status", "查看自查记录"),
        ("tip_submit", "匿名举报"),
        ("menu", "帮助"),
    ],
    "staff": [
        ("quota_query", "本月还差几条"),
        ("overdue_query", "逾期隐患"),
        ("unchecked_query", "未自查企业"),
        ("stats_query", "本月统计"),
        ("hazard_report", "登记检查发现的隐患"),
        ("hazard_verify", "核查销号"),
        ("report_generate", "生成调度表/隐患清单"),
        ("tip_inbox", "待处理举报"),
        ("menu", "帮助"),
    ],
}
MENUS["safety_officer"] = MENUS["enterprise_head"]
MENUS["admin"] = MENUS["staff"][:-1] + [("push_failures", "发送失败的消息"), ("menu", "帮助")]


def menu_items(role: str | None) -> list[tuple[str, str]]:
    return MENUS.get(role, MENUS[None])


def render_menu(role: str | None, title: str = "请回复序号或直接说要办的事：") -> str:
    lines = [title]
    lines += [f"{i}. {label}" for i, (_, label) in enumerate(menu_items(role), 1)]
    return "\n".join(lines)


def who(person: Person | None) -> str:
    if person is None:
        return "您还没有绑定身份。"
    place = person.enterprise.name if person.enterprise else (person.unit.name if person.unit else "")
    return f"您是{place + ' ' if place else ''}{ROLE_LABELS.get(person.role, person.role)}。"


def help_text(person: Person | None) -> str:
    examples = {
        None: "例如：「我要匿名举报」「绑定 7KQ2M-9XD4T」",
        "staff": "例如：「本月还差几条」「有哪些隐患逾期了」",
        "admin": "例如：「本月还差几条」「有哪些隐患逾期了」",
    }.get(person.role if person else None, "例如：「开始本月自查」「上报一条隐患」")
    return f"{who(person)}\n{render_menu(person.role if person else None)}\n{examples}"


def menu_intent(role: str | None, text: str) -> str | None:
    """The intent behind a bare menu number such as "2" or "２."."""
    digits = text.strip().rstrip(".、。").translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if not digits.isdecimal():
        return None
    items = menu_items(role)
    n = int(digits)
    return items[n - 1][0] if 1 <= n <= len(items) else None
