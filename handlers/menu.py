"""菜单/帮助: who the person is and what they might type; the numbered menu itself comes from the intent table
(handlers.intents.render_menu)."""
from __future__ import annotations

from storage.domain import ROLE_LABELS
from storage.models import Person

EXAMPLES = {
    None: "例如：「我要匿名举报」「绑定 7KQ2M-9XD4T」",
    "staff": "例如：「本月还差几条」「有哪些隐患逾期了」",
    "admin": "例如：「本月还差几条」「有哪些隐患逾期了」",
    "enterprise_head": "例如：「开始本月自查」「上报一条隐患」",
    "safety_officer": "例如：「开始本月自查」「上报一条隐患」",
}


def who(person: Person | None) -> str:
    if person is None:
        return "您还没有绑定身份。"
    place = person.enterprise.name if person.enterprise else (person.unit.name if person.unit else "")
    return f"您是{place + ' ' if place else ''}{ROLE_LABELS.get(person.role, person.role)}。"
