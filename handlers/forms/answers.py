"""Turning what a person sent into an answer of an item's type, or a one-line reason why not.

Nothing is recorded that the person did not say: a reply that matches no option is refused; an answer of
uncertainty (不知道, 说不好 …) is recognised as such (the engine then explains the item and offers to skip it or
mark it 待核实) and never read as 否; 不涉及 is accepted only where the item offers it; amounts written as people
write them (3千, 两千块, 0.5万) are converted into the field's unit and echoed; a value outside the plausible
range, or a month-day that has just passed (moved to next year), is kept only once the person confirms it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import cn2an

from ..conversation import clean
from ..messages import IMAGE, LOCATION, TEXT, Incoming
from ..nlu import parse_date
from ..nlu.dates import DEFAULT_FESTIVALS, Festivals
from .definition import NA_WORDS, SEEN, SINGLE_CHOICE, UNSURE, Item, Option

_SEPARATORS = re.compile(r"[\s,，、;；和及+]+")
MAX_TEXT = 500
DONE_WORDS = frozenset({"完成", "好了", "好", "没有了", "就这些", "发完了", "ok", "OK"})
# No photo to send, at a photo question: as 完成 with none sent (跳过 where the photo is optional).
_NO_PHOTO = re.compile(r"(?:没|没有|无)(?:拍|照片|拍照|图片|图)?|没拍照片|拍不了|不方便(?:拍|发)?|不能拍|没法拍|不好拍")


def ends_photos(text: str) -> bool:
    """Whether a reply at a photo question ends it: 完成 after the photos, or no photo at all (没拍, 不方便发)."""
    return text.strip() in DONE_WORDS or bool(_NO_PHOTO.fullmatch(clean(text)))
# The whole reply says the person does not know; a longer reply that merely contains 不清楚 is an answer.
_UNSURE = re.compile(r"^(?:我|这个|这|那个|暂时|目前|现在)?(?:也|还|真|确实)?(?:不知道|不清楚|不确定|说不好|说不准|不太清楚|"
                     r"不太确定|不太懂|没注意|没注意过|记不清|记不得|不记得|不好说|搞不清|搞不清楚|拿不准|不了解|不晓得|"
                     r"不大清楚|不懂|没数|心里没底|要问问|得问问|问一下|再看看|待核实|需要核实|不是很清楚)"
                     r"(?:叫啥|叫什么|叫什么名字|是哪家|是哪个|是谁|是啥|啥名字|名字|在哪|在哪里)?"
                     r"(?:了|啊|呀|哦|呢|吧|诶|哎|嘛|，.*)?$")
# A one-character option word ("是", "否", "有") only counts when the reply stops or pauses after it.
_PAUSE = re.compile(r"^[，,。.!！\s的了啊呀呢]")
# A negation that is about the person, not the situation: 没有看懂, 没有时间, 没有人知道, 没仔细看 begin with the
# word for "none present" but answer nothing. Whatever follows such a beginning, the reply names no option.
_NOT_ABOUT_THE_SITUATION = re.compile(
    r"^(?:没有|没|不)(?:太|怎么|仔细|认真|细|好好|去|来得及)?(?:看|读|听|搞|弄|想)?(?:懂|明白|清楚)"
    r"|^(?:没有|没)(?:时间|空|功夫|工夫|人知道|人管|人清楚|看|查|检查|去看|去查|仔细|认真)")


@dataclass(frozen=True)
class Parsed:
    value: Any = None
    error: str = ""
    echo: str = ""  # what the bot understood, when it is worth saying (dates, converted amounts)
    unsure: bool = False  # the person said they do not know: nothing is recorded
    confirm: str = ""  # a value to keep only once the person confirms it: the question to ask

    @property
    def ok(self) -> bool:
        return not self.error and not self.unsure and not self.confirm


def is_unsure(text: str) -> bool:
    return bool(_UNSURE.match(clean(text)))


def match_option(options: tuple[Option, ...], text: str) -> Option | None:
    """The one option a reply names: its number, its label, value or a synonym, a reply beginning with one of
    those words, or the one label that contains the reply (即查即改 for 已当场整改（即查即改）)."""
    t = clean(text).rstrip("、")
    if t.isdecimal() and 1 <= int(t) <= len(options):
        return options[int(t) - 1]
    if _NOT_ABOUT_THE_SITUATION.match(t):
        return None
    for opt in options:
        if t == opt.label.lower() or t == opt.value.lower() or t in (s.lower() for s in opt.synonyms):
            return opt
    starts: list[Option] = []
    for opt in options:
        for word in (w.lower() for w in (opt.label, *opt.synonyms)):
            rest = t[len(word):]
            if word and t.startswith(word) and rest and (len(word) >= 2 or _PAUSE.match(rest)):
                starts.append(opt)
                break
    if len(starts) == 1:
        return starts[0]
    if len(t) >= 2 and not starts:
        inside = [o for o in options if t in o.label.lower() or any(t in s.lower() for s in o.synonyms if len(s) >= 2)]
        if len(inside) == 1:
            return inside[0]
    return None


def _options_hint(item: Item) -> str:
    return "、".join(f"{i} {o.label}" for i, o in enumerate(item.options, 1))


# A nod: how people say yes on a phone ("嗯", "好的好的", "对对", "👌"), doubled or not.
_NOD = r"嗯+|恩+|好+|好的|好滴|好嘞|行|可以|可以的|对+|对的|是+|是的|是滴|ok+|okay|👌|👍|中|要得|妥"
# A nod, or words that take what was offered: the recommended answer, the value read back.
_YES = re.compile(rf"(?:{_NOD}|确认|确定|采用|没错|没问题|就这个|就是这个)+")
# Replies that say nothing to a question asking for words (a place, a name, a description): a nod to the bot
# or a number meant for a list. Kept as the answer they would record what nobody said.
_SAYS_NOTHING = re.compile(rf"(?:{_NOD}|哦+|噢+|收到|收到了|知道了|明白|谢谢|已保存|保存了|已截图|截图了|\d{{1,2}})+[。.!！~～]*")
# A question where a place is asked for ("举报都三天了 怎么没动静", "在哪里填？"): no place at all.
_ASKS = re.compile(r"[?？]|怎么|为什么|为啥|什么时候|[吗呢]$")


def says_yes(text: str) -> bool:
    """Whether a reply takes what the bot offered ("是", "嗯", "好的好的", "确认。")."""
    return bool(_YES.fullmatch(clean(text)))


def says_nothing(text: str) -> bool:
    """Whether a reply to a question asking for words tells nothing: a nod, or a number meant for a list."""
    return bool(_SAYS_NOTHING.fullmatch(clean(text)))


def _says_nothing(item: Item, text: str) -> Parsed | None:
    """The question again when `text` tells it nothing (see _SAYS_NOTHING), else None."""
    if not says_nothing(text):
        return None
    skip = "；不清楚可以回复「跳过」" if not item.required else ""
    return Parsed(error=f"这一题需要用文字写明（例如地点、名称或具体情况）{skip}。")


def parse_answer(item: Item, msg: Incoming, today: date, current: Any = None, *,
                 festivals: Festivals = DEFAULT_FESTIVALS) -> Parsed:
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
            if is_unsure(msg.text):
                return Parsed(unsure=True)
            if _ASKS.search(msg.text.strip()):
                return Parsed(error="这一题要写问题所在的地点，例如 某某镇某某路某号、某某厂东门。")
            return _says_nothing(item, msg.text) or Parsed({"label": msg.text.strip()[:200]})
        return Parsed(error="请发送位置（微信输入框“+”→位置），或直接写地址。")
    if msg.kind != TEXT:
        return Parsed(error="这一题需要文字回答。")
    text = msg.text.strip()
    if not text:
        return Parsed(error="回答不能为空。")
    if is_unsure(text):
        return Parsed(unsure=True)
    if kind in SINGLE_CHOICE:
        opt = match_option(item.options, text)
        if opt is not None:
            return Parsed(opt.value)
        if clean(text) in NA_WORDS:
            return Parsed(error=f"这一题没有「不涉及」选项，请回复 {_options_hint(item)}。")
        return Parsed(error=f"没看懂这个回答。请回复 {_options_hint(item)}。")
    if kind == "multi":
        return _multi(item, text)
    if kind == "number":
        return _number(item, text)
    if kind == "text":
        if len(text) > MAX_TEXT:
            return Parsed(error=f"太长了（{len(text)} 字），请控制在 {MAX_TEXT} 字以内。")
        return _says_nothing(item, text) or Parsed(text)
    if kind == "date":
        return _date(item, text, today, festivals)
    return Parsed(error="无法回答这一题。")


def _multi(item: Item, text: str) -> Parsed:
    if clean(text) in ("都没有", "无", "都不是", "没有", "都不涉及", "以上都没有"):
        return Parsed([])
    chosen: list[str] = []
    for part in _SEPARATORS.split(clean(text)):
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


# -- amounts --------------------------------------------------------------------------------------

_APPROX = re.compile(r"^(?:约|大约|大概|差不多|预计|估计|共|一共|总共)|(?:左右|上下|以内|以下|多)$")
_AMOUNT = re.compile(r"^(?P<sign>[-－负])?(?P<num>[\d.]+|[零〇一二两三四五六七八九十百千万亿点\d.]+)"
                     r"(?P<unit>万元|万块钱|万块|万|千元|千块钱|千块|千|百元|百块钱|百块|元|块钱|块|人|个|台|次|天|名|家)?$")
_MONEY_UNITS = {"万元": 10000, "万块钱": 10000, "万块": 10000, "万": 10000, "千元": 1000, "千块钱": 1000, "千块": 1000,
                "千": 1000, "百元": 100, "百块钱": 100, "百块": 100, "元": 1, "块钱": 1, "块": 1}
_MAGNITUDE = re.compile(r"[十百千万亿]")
# None of it: nothing spent (不用钱, 没花钱, 免费), none counted (没有, 无). Read as 0 and said back.
_NOTHING = re.compile(r"(?:没有|没|无|不用|不需要|不要|不花|没花|无需|不需|零)(?:资金投入|资金|投入|花钱|钱|费用|花费|投钱)?"
                      r"|免费|一分钱(?:都|也)?(?:没|不)(?:花|用)")


def _to_number(raw: str) -> float | None:
    if re.fullmatch(r"\d+(\.\d+)?", raw):
        return float(raw)
    try:
        return float(cn2an.cn2an(raw, "smart"))
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def _plain(value: float) -> str:
    return f"{value:,.4f}".rstrip("0").rstrip(".").replace(",", "")


def _number(item: Item, text: str) -> Parsed:
    t = _APPROX.sub("", clean(text).replace(",", "").replace("，", "")).strip()
    if _NOTHING.fullmatch(t):
        return _within_bounds(item, 0, f"{t} = 0{' ' + item.unit if item.unit else ''}")
    m = _AMOUNT.match(t)
    value = _to_number(m.group("num")) if m else None
    if m is None or value is None:
        return Parsed(error=f"请填写数字，例如 3 或 2.5{'（单位：' + item.unit + '）' if item.unit else ''}。")
    said = m.group("unit") or ""
    echo = ""
    if item.unit == "万元":
        # A money field in 万元: an amount with its own unit, or with 千/百 in it ("三千"), is in 元.
        if said in _MONEY_UNITS:
            yuan = _to_number(m.group("num"))
            yuan = (yuan or 0) * _MONEY_UNITS[said]
            value = yuan / 10000
        elif _MAGNITUDE.search(m.group("num")):
            value /= 10000
            said = "元"
        if said and said not in ("万元", "万", "万块", "万块钱"):
            written = said + "元" if said in ("千", "百") else said
            echo = f"{m.group('num')}{written} = {_plain(value)} 万元"
    elif said in _MONEY_UNITS:
        return Parsed(error=f"这一题填数字{'（单位：' + item.unit + '）' if item.unit else ''}，不是金额。")
    if m.group("sign"):
        value = -value
    value = round(value, 6)
    return _within_bounds(item, int(value) if float(value).is_integer() else value, echo)


def _within_bounds(item: Item, number: float, echo: str) -> Parsed:
    if item.min is not None and number < item.min:
        return Parsed(error=f"不能小于 {item.min:g}。")
    if item.max is not None and number > item.max:
        return Parsed(error=f"不能大于 {item.max:g}{item.unit}。")
    if item.plausible_max is not None and number > item.plausible_max:
        return Parsed(number, echo=echo, confirm=f"您填的是 {_plain(number)}{' ' + item.unit if item.unit else ''}，"
                                                 f"比较少见。确认吗？\n1. 确认\n2. 重新填写")
    return Parsed(number, echo=echo)


# -- dates ----------------------------------------------------------------------------------------

_HAS_YEAR = re.compile(r"20\d{2}|明年|今年|后年|年底|年末|年内")
# A month named outright (6月1日, 六月底, 6/1), not counted from this one (下个月15号): it may have just passed.
_BARE_MONTH = re.compile(r"(?<![下上本这个次当])(?:\d{1,2}|[一二三四五六七八九十]{1,2})月|(?<!\d)\d{1,2}[/.]\d{1,2}(?!\d)")


def _date(item: Item, text: str, today: date, festivals: Festivals) -> Parsed:
    word = clean(text)
    # 昨天 / 前天 are read as the days they are, so the refusal below can say which day was understood.
    day = parse_date(text, today, festivals)
    if day is None:
        return Parsed(error="没看懂这个日期。可以写 6月30日、2026-06-30、月底、30天内、下周五。")
    # For dates, min and max are days from today: min = 0 refuses a deadline in the past.
    if item.min is not None and (day - today).days < item.min:
        return Parsed(error=f"{day.isoformat()} 已经过去了，请填今天或以后的日期。" if item.min == 0
                      else f"日期不能早于 {(today + timedelta(days=int(item.min))).isoformat()}。")
    if item.max is not None and (day - today).days > item.max:
        return Parsed(error=f"日期不能晚于 {(today + timedelta(days=int(item.max))).isoformat()}。")
    this_year = _safe_replace(day, today.year)
    rolled = (day.year == today.year + 1 and _BARE_MONTH.search(word) is not None and not _HAS_YEAR.search(word)
              and this_year is not None and this_year < today)
    if rolled:
        return Parsed(day.isoformat(), confirm=f"{day.month}月{day.day}日今年已经过了，是指 {day.year}年{day.month}月{day.day}日 吗？"
                                                 "\n1. 是\n2. 不是，重新填写")
    return Parsed(day.isoformat(), echo=f"日期：{day.isoformat()}")


def _safe_replace(day: date, year: int) -> date | None:
    try:
        return day.replace(year=year)
    except ValueError:
        return None


def display(item: Item, value: Any) -> str:
    """An answer as the summary shows it."""
    if value is None:
        return "（跳过）"
    if value == UNSURE:
        return "待核实"
    if item.type == "notice":
        return "已阅" if value == SEEN else ""
    if item.type in SINGLE_CHOICE:
        return next((o.label for o in item.options if o.value == value), str(value))
    if item.type == "multi":
        labels = [o.label for o in item.options if o.value in value]
        return "、".join(labels) if labels else "无"
    if item.type == "photo":
        return f"{len(value)} 张照片"
    if item.type == "location":
        return str(value.get("label") or f"{value.get('latitude')}, {value.get('longitude')}")
    if isinstance(value, float):
        return f"{value:g}{item.unit}" if item.unit else f"{value:g}"
    return f"{value}{item.unit}" if item.unit and isinstance(value, int) else str(value)
