"""Turning what a person sent into an answer of an item's type, or a one-line reason why not."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from handlers.messages import IMAGE, LOCATION, TEXT, Incoming

from .definition import Item, Option

_SEPARATORS = re.compile(r"[\s,，、;；和及+]+")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
MAX_TEXT = 500
DONE_WORDS = frozenset({"完成", "好了", "好", "没有了", "就这些", "发完了", "ok", "OK"})


@dataclass(frozen=True)
class Parsed:
    value: Any = None
    error: str = ""
    echo: str = ""  # what the bot understood, when it is worth saying (dates)

    @property
    def ok(self) -> bool:
        return not self.error


def _norm(text: str) -> str:
    table = str.maketrans("０１２３４５６７８９．，：", "0123456789.,:")
    return text.strip().translate(table).rstrip("。.!！")


def match_option(options: tuple[Option, ...], text: str) -> Option | None:
    t = _norm(text)
    if t.isdecimal() and 1 <= int(t) <= len(options):
        return options[int(t) - 1]
    lowered = t.lower()
    for opt in options:
        if lowered == opt.label.lower() or lowered == opt.value.lower():
            return opt
    for opt in options:
        if any(lowered == s.lower() for s in opt.synonyms):
            return opt
    # "是的，已经做了" → 是: a reply that starts with exactly one option's label or synonym.
    hits = [opt for opt in options
            if any(lowered.startswith(w.lower()) for w in (opt.label, *opt.synonyms) if len(w) >= 1)]
    return hits[0] if len(hits) == 1 else None


def parse_answer(item: Item, msg: Incoming, today: date, current: Any = None) -> Parsed:
    kind = item.type
    if kind == "photo":
        if msg.kind == IMAGE:
            photos = list(current or [])
            if len(photos) >= item.max_photos:
                return Parsed(error=f"最多 {item.max_photos} 张照片，请回复「完成」继续。")
            photos.append({"media_id": msg.media_id, "pic_url": msg.pic_url})
            return Parsed(photos)
        return Parsed(error="这里需要发送照片（可以连续发几张），发完回复「完成」。")
    if kind == "location":
        if msg.kind == LOCATION and msg.location is not None:
            loc = msg.location
            return Parsed({"latitude": loc.latitude, "longitude": loc.longitude, "label": loc.label})
        if msg.kind == TEXT and msg.text.strip():
            return Parsed({"label": msg.text.strip()[:200]})
        return Parsed(error="请发送位置（微信输入框“+”→位置），或直接写地址。")
    if msg.kind != TEXT:
        return Parsed(error="这一题需要文字回答。")
    text = msg.text.strip()
    if not text:
        return Parsed(error="回答不能为空。")
    if kind in ("yes_no", "choice"):
        opt = match_option(item.options, text)
        if opt is None:
            return Parsed(error=f"请回复序号 1–{len(item.options)} 或选项文字。")
        return Parsed(opt.value)
    if kind == "multi":
        if _norm(text) in ("都没有", "无", "都不是", "没有"):
            return Parsed([])
        chosen: list[str] = []
        for part in _SEPARATORS.split(_norm(text)):
            if not part:
                continue
            opt = match_option(item.options, part)
            if opt is None:
                # "135" typed without separators means 1, 3 and 5 when there are fewer than 10 options.
                if part.isdecimal() and len(item.options) < 10 and all(1 <= int(c) <= len(item.options) for c in part):
                    chosen += [item.options[int(c) - 1].value for c in part if item.options[int(c) - 1].value not in chosen]
                    continue
                return Parsed(error=f"「{part}」不是选项。可多选，序号用空格或逗号隔开，如：1 3")
            if opt.value not in chosen:
                chosen.append(opt.value)
        return Parsed(chosen)
    if kind == "number":
        return _number(item, text)
    if kind == "text":
        if len(text) > MAX_TEXT:
            return Parsed(error=f"太长了（{len(text)} 字），请控制在 {MAX_TEXT} 字以内。")
        return Parsed(text)
    if kind == "date":
        from handlers.nlu import parse_date

        day = parse_date(text, today)
        if day is None:
            return Parsed(error="没看懂这个日期。可以写 6月30日、2026-06-30、月底、30天内、下周五。")
        # For dates, min and max are days from today: min = 0 refuses a deadline in the past.
        if item.min is not None and (day - today).days < item.min:
            return Parsed(error=f"{day.isoformat()} 已经过去了，请填今天或以后的日期。" if item.min == 0
                          else f"日期不能早于 {(today + timedelta(days=int(item.min))).isoformat()}。")
        if item.max is not None and (day - today).days > item.max:
            return Parsed(error=f"日期不能晚于 {(today + timedelta(days=int(item.max))).isoformat()}。")
        return Parsed(day.isoformat(), echo=f"日期：{day.isoformat()}")
    return Parsed(error="无法回答这一题。")


def _number(item: Item, text: str) -> Parsed:
    t = _norm(text).replace(",", "")
    t = re.sub(r"(万元|元|万|人|个|台|次|天)$", "", t)
    if not _NUMBER.match(t):
        try:
            import cn2an

            t = str(cn2an.cn2an(t, "smart"))
        except (ValueError, KeyError, IndexError):
            return Parsed(error="请填写数字，例如 3 或 2.5。")
    value = float(t)
    if value.is_integer():
        value = int(value)
    if item.min is not None and value < item.min:
        return Parsed(error=f"不能小于 {item.min:g}。")
    if item.max is not None and value > item.max:
        return Parsed(error=f"不能大于 {item.max:g}。")
    return Parsed(value)


def display(item: Item, value: Any) -> str:
    """An answer as the summary shows it."""
    if value is None:
        return "（跳过）"
    if item.type in ("yes_no", "choice"):
        return next((o.label for o in item.options if o.value == value), str(value))
    if item.type == "multi":
        labels = [o.label for o in item.options if o.value in value]
        return "、".join(labels) if labels else "无"
    if item.type == "photo":
        return f"{len(value)} 张照片"
    if item.type == "location":
        return value.get("label") or f"{value.get('latitude')}, {value.get('longitude')}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
