"""Template messages (模板消息) and subscription notices (订阅通知): what each keyword field of a reminder holds.

A reminder reaches someone who has not written within 48 hours only as one of these. Since 2023-05-04 WeChat
shows no first line and no remark, no colour and no emoji, and at most 20 characters of each keyword field
(longer text is cut without notice). So a reminder is reduced to short fields — its title, the hazard number,
the deadline, the start of its text — and the whole text sits behind the message's link (/notice/<token>,
bot/notices.py). 订阅通知 (`/cgi-bin/message/subscribe/bizsend`) is the other way a 服务号 may write first: the
person must have subscribed (long-term subscriptions are granted to public-service accounts such as a
government's); its fields follow the same 20-character rule.

In config each rule names its template and what each of the template's keywords holds:
    [scheduler.templates.hazard_deadline]
    id = "…"                     # the template id from 公众号后台
    kind = "template"            # or "subscribe"
    fields = { thing1 = "title", character_string2 = "number", time3 = "deadline", thing4 = "=请按期完成整改" }
A value is one of SOURCES, or "=" and fixed text. A bare id (`hazard_deadline = "…"`) means the fields of
SHORTHAND_FIELDS.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .push_kinds import RULE_LABELS

KINDS = ("template", "subscribe")
# WeChat shows this many characters of a keyword field (thing, character_string …).
FIELD_MAX = 20
# Keyword types with a shorter limit or a format of their own (订阅通知 参数类型; the template library uses the
# same names).
TYPE_MAX = {"phrase": 5, "name": 10, "car_number": 8, "character_string": 20, "thing": 20, "number": 20}
DATE_TYPES = ("time", "date")
# What a rule's reminder offers to its template's fields.
SOURCES = {
    "title": "提醒名称（如 整改期限提醒）",
    "number": "隐患编号",
    "deadline": "期限（日期）",
    "period": "自查周期",
    "summary": "提醒正文的开头（放不下的部分在消息链接里）",
}
SHORTHAND_FIELDS = {"thing1": "title", "thing2": "summary"}
KEY = re.compile(r"^([a-z_]+?)(\d{1,2})$")


@dataclass(frozen=True)
class TemplateSpec:
    id: str
    kind: str = "template"
    fields: dict[str, str] = field(default_factory=lambda: dict(SHORTHAND_FIELDS))


def _key_type(key: str) -> str:
    match = KEY.match(key)
    return match.group(1) if match else ""


def parse(rule: str, raw: Any) -> tuple[TemplateSpec | None, list[str]]:
    """One rule's template from config, or the problems that stop it (each a line naming the key)."""
    where = f"scheduler.templates.{rule}"
    problems: list[str] = []
    if rule not in RULE_LABELS:
        close = difflib.get_close_matches(rule, sorted(RULE_LABELS), n=1, cutoff=0.6)
        hint = f"（是不是「{close[0]}」？）" if close else f"；可用的有：{'、'.join(sorted(RULE_LABELS))}"
        return None, [f"[scheduler.templates] 里没有「{rule}」这种提醒{hint}"]
    if isinstance(raw, str):
        return (TemplateSpec(raw.strip()), []) if raw.strip() else (None, [f"{where} 的模板 id 是空的"])
    if not isinstance(raw, dict):
        return None, [f"{where} 应当是模板 id，或写成 {{ id = \"…\", kind = \"template\", fields = {{ … }} }}"]
    unknown = sorted(set(raw) - {"id", "kind", "fields"})
    if unknown:
        problems.append(f"{where} 里没有「{'、'.join(unknown)}」；可用的有：id、kind、fields")
    template_id, kind, fields_ = raw.get("id", ""), raw.get("kind", "template"), raw.get("fields", SHORTHAND_FIELDS)
    if not isinstance(template_id, str) or not template_id.strip():
        problems.append(f"{where}.id：缺少模板 id")
    if kind not in KINDS:
        problems.append(f"{where}.kind 应为 template（模板消息）或 subscribe（订阅通知），现在是 {kind!r}")
    if not isinstance(fields_, dict) or not fields_:
        problems.append(f"{where}.fields 应当是一个表，如 {{ thing1 = \"title\", time2 = \"deadline\" }}")
        fields_ = {}
    for key, source in fields_.items():
        problems.extend(_field_problems(f"{where}.fields.{key}", key, source))
    if problems:
        return None, problems
    return TemplateSpec(template_id.strip(), kind, {str(k): str(v) for k, v in fields_.items()}), []


def _field_problems(where: str, key: str, source: Any) -> list[str]:
    kind = _key_type(key)
    if not kind:
        return [f"{where}：关键词应写成公众号后台里的名字（如 thing1、time2、character_string3）"]
    if not isinstance(source, str):
        return [f"{where} 应为文字：{'、'.join(SOURCES)} 之一，或以 = 开头的固定文字"]
    if source.startswith("="):
        text, limit = source[1:], TYPE_MAX.get(kind, FIELD_MAX)
        if not text:
            return [f"{where}：固定文字是空的"]
        if len(text) > limit:
            return [f"{where}：固定文字「{text}」有 {len(text)} 个字，微信只显示前 {limit} 个字"]
        if kind in DATE_TYPES:
            return [f"{where}：{kind} 类关键词只能填日期（deadline），不能填固定文字"]
        return []
    if source not in SOURCES:
        close = difflib.get_close_matches(source, list(SOURCES), n=1, cutoff=0.5)
        return [f"{where}：没有「{source}」这项内容" + (f"（是不是「{close[0]}」？）" if close else "")
                + f"；可用的有：{'、'.join(SOURCES)}，或以 = 开头的固定文字"]
    if kind in DATE_TYPES and source != "deadline":
        return [f"{where}：{kind} 类关键词只能填 deadline"]
    if source == "deadline" and kind not in DATE_TYPES and kind not in ("thing", "character_string"):
        return [f"{where}：deadline 应放在 time 或 date 类关键词里"]
    return []


def fit(text: str, limit: int = FIELD_MAX) -> str:
    """Text as WeChat will show it: whole when it fits, else cut with an ellipsis (the rest is behind the link)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _as_date(value: str) -> str:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return f"{day.year}年{day.month}月{day.day}日"


def fill(spec: TemplateSpec, values: dict[str, Any], text: str, today: date) -> dict[str, dict[str, str]]:
    """The message's data: each keyword field filled from the reminder, none longer than WeChat shows. A date
    field of a reminder without a deadline shows the day it is sent (WeChat refuses an empty one)."""
    offered = {**{k: str(v) for k, v in values.items() if v}, "summary": text}
    data: dict[str, dict[str, str]] = {}
    for key, source in spec.fields.items():
        kind = _key_type(key)
        if source.startswith("="):
            value = source[1:]
        elif kind in DATE_TYPES:
            value = _as_date(offered.get(source, "") or today.isoformat())
        else:
            value = offered.get(source, "") or "—"
        data[key] = {"value": value if kind in DATE_TYPES else fit(value, TYPE_MAX.get(kind, FIELD_MAX))}
    return data
