"""Deadlines in the phrasings people use ("6月30号", "月底", "下周五", "三天后", "春节前"); periods are in periods.py.

dateparser and jionlp do not fit (see FIELD-NOTES): this is a small table-tested parser over text whose Chinese
numerals were turned into digits with cn2an. Numerals are converted only where a date unit follows, so
"一般隐患" stays a word, and a bare day ("3号") must be followed by a deadline-ish word, so "三号车间" and
"一号楼" are not dates. The lunar holidays (春节前, 年前, 中秋前 …) come from a table of their days by year
(DEFAULT_FESTIVALS, overridable in the config as scheduler.festivals); a year the table lacks gives None.
Past days (昨天, 前天, 3天前) are read as the days they name: refusing them as deadlines is the form's job,
which can then say which day was understood.
"""
from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache

import cn2an

from .normalize import normalize

_NUMERAL = "零〇一二两三四五六七八九十百千"
# A run of Chinese numerals followed by a date unit; not right after 周/星期/礼拜, where 一…日 name a weekday.
_CN_NUMBER = re.compile(
    rf"(?<!周)(?<!星期)(?<!礼拜)([{_NUMERAL}]+)(?=\s*(?:个|天|日|号|月|周|星期|礼拜|年|季度|季|工作日|小时))"
)
_FAST_REJECT = re.compile(r"[\d天月周年号日底末后内前今明星礼拜国元旦五劳季期半昨旬]")

# The lunar holidays by their first day (正月初一, 八月十五 …), as the State Council's calendar names them.
# 年前 / 过年前 mean before 春节; 元宵 is 正月十五. Config: scheduler.festivals = {春节 = ["2033-01-31"], …}.
Festivals = Mapping[str, tuple[date, ...]]


def _days(*iso: str) -> tuple[date, ...]:
    return tuple(date.fromisoformat(d) for d in iso)


DEFAULT_FESTIVALS: Festivals = {
    "春节": _days(
        "2025-01-29", "2026-02-17", "2027-02-06", "2028-01-26", "2029-02-13", "2030-02-03", "2031-01-23",
        "2032-02-11"),
    "元宵": _days(
        "2025-02-12", "2026-03-03", "2027-02-20", "2028-02-09", "2029-02-27", "2030-02-17", "2031-02-06",
        "2032-02-25"),
    "清明": _days(
        "2025-04-04", "2026-04-05", "2027-04-05", "2028-04-04", "2029-04-04", "2030-04-05", "2031-04-05",
        "2032-04-04"),
    "端午": _days(
        "2025-05-31", "2026-06-19", "2027-06-09", "2028-05-28", "2029-06-16", "2030-06-05", "2031-06-24",
        "2032-06-12"),
    "中秋": _days(
        "2025-10-06", "2026-09-25", "2027-09-15", "2028-10-03", "2029-09-22", "2030-09-12", "2031-10-01",
        "2032-09-19"),
}
_FESTIVAL_NAMES = {"春节": "春节", "过年": "春节", "年": "春节", "农历年": "春节", "元宵": "元宵", "清明": "清明",
                   "端午": "端午", "中秋": "中秋"}


@lru_cache(maxsize=512)
def _cn_to_int(run: str) -> str:
    if run == "两":
        return "2"
    try:
        return str(int(cn2an.cn2an(run, "smart")))
    except (ValueError, KeyError, TypeError):
        return run


# "一月内" / "两月内" are spans, not January: 两 never names a month, and "within January" is said 1月份内.
_MONTH_SPAN = re.compile(r"(一|两|俩)月(内|以内|之内)")


# The day after a month needs no unit: 三月十五.
_DAY_AFTER_MONTH = re.compile(rf"(?<=月)([{_NUMERAL}]+)(?![{_NUMERAL}])")


def numerals_to_digits(text: str) -> str:
    text = text.replace("廿", "二十").replace("卅", "三十")
    if "月" in text:
        text = _MONTH_SPAN.sub(lambda m: m.group(1) + "个月" + m.group(2), text)
        text = _DAY_AFTER_MONTH.sub(lambda m: _cn_to_int(m.group(1)), text)
    return _CN_NUMBER.sub(lambda m: _cn_to_int(m.group(1)), text)


# Slips of pinyin and voice input seen in deadline answers, read as what they sound like: 月低 / 月地 (月底),
# 月尾 (Cantonese 月底), 时号 (十号), 下个月出 (下个月初), 半各月 (半个月), 五一钱 (五一前).
_SOUNDALIKES = ((re.compile(r"([月年])[低地尾]"), r"\1底"), (re.compile(r"各(月|星期|礼拜)"), r"个\1"),
                (re.compile(r"越底"), "月底"), (re.compile(r"([明后今昨])[添填田]"), r"\1天"), (re.compile(r"候天"), "后天"),
                (re.compile(rf"(?<=[\d{_NUMERAL}])(?:[浩毫]|hao)"), "号"), (re.compile(r"半拉(个)?月"), "半个月"),
                (re.compile(r"mingtian"), "明天"), (re.compile(r"houtian"), "后天"), (re.compile(r"yuedi"), "月底"),
                (re.compile(r"时号"), "10号"), (re.compile(r"(下个?|本|这个?)月出(?=$|[吧前之，,。])"), r"\1月初"),
                (re.compile(r"(国庆|十一|元旦|五一|劳动节|春节|过年|年|节|号|日|底|末)钱"), r"\1前"))


# 大写 numerals (on forms and from some input methods) and 元月 (January) read as the everyday ones.
_DIGIT_STOP = re.compile(r"(?<=\d)。(?=\d)")  # 5。30: a Chinese full stop typed for the dot
_DAY_THEN_SPACE = re.compile(r"(?:(?<=[号日天底末])|(?<=个月)|(?<=半月))\s+(?=\S)")
# Hesitations voice input writes down ("下周呃周四吧") carry no meaning.
_HESITATION = re.compile(r"[呃嗯额唔]+")
_FORMAL_NUMERALS = str.maketrans("壹贰叁肆伍陆柒捌玖拾", "一二三四五六七八九十")


def prepare(text: str) -> str:
    """Normalised text with date numerals as digits and no spaces: what the finders read with prepared=True.
    A space after a day ends it ("15号 看配件" as "15号，看配件"); other spaces go."""
    return _prepare_normalized(normalize(text))


def _prepare_normalized(text: str) -> str:
    text = _HESITATION.sub("", text.translate(_FORMAL_NUMERALS).replace("元月", "1月").replace("俩", "两个"))
    text = _DIGIT_STOP.sub(".", text)
    for wrong, right in _SOUNDALIKES:
        text = wrong.sub(right, text)
    return _DAY_THEN_SPACE.sub("，", numerals_to_digits(text)).replace(" ", "")


# -- calendar helpers ---------------------------------------------------------------------------

def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _upcoming(today: date, month: int, day: int) -> date | None:
    """A month-day without a year: this year, or next year once it has passed."""
    this_year = _safe(today.year, month, day)
    if this_year is None:  # 2月29日 outside a leap year
        return _safe(today.year + 1, month, day)
    return this_year if this_year >= today else _safe(today.year + 1, month, day)


def _add_workdays(day: date, n: int) -> date:
    # Weekends only: the holiday calendar changes yearly and a few days early is the safe side for a deadline.
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 6,
            "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_MONTH_SHIFT = {"上上": -2, "上": -1, "本": 0, "这": 0, "当": 0, "今": 0, "次": 1, "下": 1, "下下": 2}


def month_shift(prefix: str | None) -> int:
    if not prefix:
        return 0
    return _MONTH_SHIFT.get(prefix.replace("个", "").replace("一", ""), 0)


# -- dates --------------------------------------------------------------------------------------

_DateRule = tuple[re.Pattern[str], "object"]
# What a spoken answer adds after the day itself ("10号吧", "3天就行", "一个月吧 要等配件"): then anything may follow.
# 把 is 吧 as voice input writes it, and as a preposition ("10号把它修好") it follows a day just the same.
_FILLER = r"(?:吧|把|就行|就好|就可以|可以|够了|差不多|应该|呗|啊|哈|嘛|呀)"
_END = r"(?=$|[前之以截为完内整改交报，,。.;；!！?？)）\s]|的时候|左右|上下|" + _FILLER + ")"

_ISO = re.compile(r"(?<!\d)(20\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?(?!\d)")
_REL_MONTH_DAY = re.compile(r"(下下个?|下个?|次|本|这个?|当|上个?)月(\d{1,2})[日号]?(?!\d)")
_MONTH_DAY = re.compile(r"(?<![\d.])(\d{1,2})月(\d{1,2})[日号]?(?!\d)")
_MONTH_END_OF = re.compile(r"(?<![\d.])(\d{1,2})月(?:底|末|份?底)")
# "9月初" / "9月中旬": that month's 1st / 15th, as 月初 / 月中 are this month's.
# 上旬 / 下旬 end on the 10th / the month's last day: a deadline is the end of the part named, as 月底 is.
_MONTH_PART_OF = re.compile(r"(?<![\d.])(\d{1,2})月份?(初|中旬|中|上旬|下旬)")
_DOTTED = re.compile(r"(?<![\d.\-/:a-z])(\d{1,2})[./\-](\d{1,2})(?![\d.%/:]|万|元|米|吨|kg|个|人|倍|平|方|小时|分|天|周|星期|年|项|条|家|次)")
_MONTH_END = re.compile(r"(?<!\d)(下下个?|下个?|次|本|这个?|当|上上个?|上个?)?月份?的?月?(?:底|末)")
_YEAR_END = re.compile(r"(?<![\d月])(明|今|本|当)?年年?(?:底|末|内)")
# A bare 周末 is no day: Saturday or Sunday, this weekend or the next; 本周末 / 下周末 name its Sunday.
# "下周周四" / "下个礼拜的星期四" name the week, then its day.
_WEEKDAY_RE = re.compile(r"(下下个?|下个?|本|这个?|上个?)?(?:周|星期|礼拜)(?:的?(?:周|星期|礼拜))?([一二三四五六日天1-7])(?!定)|"
                         r"(下下个?|下个?|本|这个?|上个?)(?:周|星期|礼拜)(末)")
_WEEK_END = re.compile(r"(本|这个?|下个?|下下个?)(?:周|星期|礼拜)(?:内|之内|以内)(?=$|[前之以截为完内整改交报，,。.;；!！?？)）\s])")
# "这个月内" / "下周内" end with the period; a bare 下周 / 下个月 is no day (it may mean its start or its end).
# 月初 / 月中 are the 1st / 15th.
_MONTH_WITHIN = re.compile(r"(本|这个?|当|下个?|下下个?)月(?:份)?(?:内|之内|以内)(?=$|[前之以截为完内整改交报，,。.;；!！?？)）\s])")
# 月中旬 is its middle, the 15th, like 月中; a bare 中旬 / 下旬 is this month's (the next one's once passed).
_MONTH_PART = re.compile(r"(?<!\d)(?:(下下个?|下个?|次|本|这个?|当)?月(初|中旬|中|上旬|下旬)|(上旬|中旬|下旬))")
_RELATIVE = re.compile(
    r"(\d{1,3}|半)(个月|个工作日|工作日|个星期|星期|个礼拜|礼拜|个周|周|天|日|年)(?:内|以内|之内|后|以后|之后|过后)"
)
_WITHIN_LIMIT = re.compile(r"限期(\d{1,3})(天|日|个月|工作日)")
_NAMED_DAY = re.compile(r"大后天|后天|明天|明日|明儿个?|后儿个?|今天|今日|今儿个?|当天|大前天|前天|昨天|昨日|昨儿个?|"
                        r"听日|听朝|後日|大后日|大后儿|(?<![今以之此然])后日|明朝|琴日|今朝|明个儿?|明早|明晚|今晚")
_HOLIDAY = re.compile(r"(国庆节?|十一|元旦|五一|劳动节|春节|过年|农历年|(?<![\d今明去本当下上])年|中秋节?|端午节?|清明节?|元宵节?)"
                      r"(?:节)?(?:前|之前|以前)")
# Durations on their own ("十天", "15天", "两周", "一个半月", "半月内"): as an answer to "by when", they count from today.
_BARE_SPAN = re.compile(r"(?<![\d.这那])(\d{1,3}个半|\d{1,3}|半)(个月|个工作日|工作日|个星期|星期|个礼拜|礼拜|个周|周|天|日|月|年)"
                        r"(?:内|以内|之内|后|以后|之后|过后|左右|吧|时间|期限|为限)?(?=$|[，,。.;；!！?？)）\s]|完成|整改|改好|搞定|弄好|能|"
                        + _FILLER + ")")
_AGO = re.compile(r"(?<![\d.])(\d{1,3})(天|日|个星期|星期|周)(?:前|以前|之前)")
_BARE_DAY = re.compile(r"(?<![\d月./\-号])(\d{1,2})[号日]" + _END)

# Two neighbouring numerals before a unit are a rough count (两三天, 三五天, 七八个月), read before digits replace them.
_ROUGH = re.compile(r"(?<![\d一二三四五六七八九十两])(一两|两三|二三|三四|三五|四五|五六|六七|七八|八九)个?(天|周|星期|礼拜|月|工作日)|"
                    r"过(两|几)(天|日)|(周|星期|礼拜)(一二|二三|三四|四五|五六|六日|六天)|(底|初|号|日|节)前后")
_RANGE = re.compile(r"\d{1,3}个?(?:天|日|号|周|星期|礼拜|月|工作日)?(?:到|至|~|～|—)\d{1,3}个?(?:天|日|号|周|星期|礼拜|月|工作日)|"
                    r"(?:周|星期|礼拜)[一二三四五六日天1-7](?:到|至|~|～|—)(?:周|星期|礼拜)?[一二三四五六日天1-7]")
# "三天 不 五天吧", "月底吧 不行 下月底", "明天 改一下 一个星期": a bare 不 before the next day counts too;
# "后天 还是大后天吧" (not "后天还是大后天？", which asks).
_CORRECTION = re.compile(r"不对|不是|不行|说错了?|改成|改为|改一下|算了|哦不|噢不|"
                         r"不{2,}|(?<=[，,号日天底末月一二三四五六七1-7])不(?=[\d半下本这明后大今月周星礼])|还是(?![^?？]*[?？吗呢]$)")
_EITHER = re.compile(r"或者|或是|要么|或|还是")

_NAMED_OFFSET = {"今天": 0, "今日": 0, "当天": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3,
                 "昨天": -1, "昨日": -1, "前天": -2, "大前天": -3,
                 # spoken northern forms
                 "明儿": 1, "明儿个": 1, "后儿": 2, "后儿个": 2, "今儿": 0, "今儿个": 0, "昨儿": -1, "昨儿个": -1,
                 # Cantonese and Wu
                 "听日": 1, "听朝": 1, "後日": 2, "后日": 2, "明朝": 1, "琴日": -1, "今朝": 0,
                 "大后儿": 3, "大后日": 3, "明个": 1, "明个儿": 1, "明早": 1, "明晚": 1, "今晚": 0}
# Holidays with a fixed solar date; the lunar ones (春节, 中秋 …) depend on a calendar we do not carry.
_HOLIDAY_EVE = {"国庆": (9, 30), "国庆节": (9, 30), "十一": (9, 30), "元旦": (12, 31), "五一": (4, 30), "劳动节": (4, 30)}


def _iso(m: re.Match[str], today: date) -> date | None:
    return _safe(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _rel_month_day(m: re.Match[str], today: date) -> date | None:
    first = add_months(today.replace(day=1), month_shift(m.group(1)))
    return _safe(first.year, first.month, int(m.group(2)))


def _month_day(m: re.Match[str], today: date) -> date | None:
    month, day = int(m.group(1)), int(m.group(2))
    return _upcoming(today, month, day) if 1 <= month <= 12 and 1 <= day <= 31 else None


def _month_end_of(m: re.Match[str], today: date) -> date | None:
    month = int(m.group(1))
    if not 1 <= month <= 12:
        return None
    end = month_end(today.year, month)
    return end if end >= today else month_end(today.year + 1, month)


def _part_day(part: str, year: int, month: int) -> date:
    """The day a part of a month names as a deadline."""
    if part == "下旬":
        return month_end(year, month)
    return date(year, month, {"初": 1, "上旬": 10}.get(part, 15))


def _month_part_of(m: re.Match[str], today: date) -> date | None:
    month = int(m.group(1))
    if not 1 <= month <= 12:
        return None
    this_year = _part_day(m.group(2), today.year, month)
    return this_year if this_year >= today else _part_day(m.group(2), today.year + 1, month)


def _month_end_rel(m: re.Match[str], today: date) -> date | None:
    first = add_months(today.replace(day=1), month_shift(m.group(1)))
    return month_end(first.year, first.month)


def _year_end(m: re.Match[str], today: date) -> date | None:
    return date(today.year + (1 if m.group(1) == "明" else 0), 12, 31)


def _weekday(m: re.Match[str], today: date) -> date | None:
    target = _WEEKDAY[m.group(2) or m.group(4)]
    monday = today - timedelta(days=today.weekday())
    prefix = (m.group(1) or m.group(3) or "").replace("个", "")
    if not prefix:  # bare 周五: the next one to come; said on a Friday it is a week away (today is 今天)
        return today + timedelta(days=(target - today.weekday() - 1) % 7 + 1)
    weeks = {"下下": 2, "下": 1, "本": 0, "这": 0, "上": -1}[prefix]
    return monday + timedelta(days=7 * weeks + target)


def _week_end(m: re.Match[str], today: date) -> date | None:
    weeks = {"下下": 2, "下": 1}.get(m.group(1).replace("个", ""), 0)
    return today + timedelta(days=6 - today.weekday() + 7 * weeks)


def _month_within(m: re.Match[str], today: date) -> date | None:
    first = add_months(today.replace(day=1), month_shift(m.group(1)))
    return month_end(first.year, first.month)


def _month_part(m: re.Match[str], today: date) -> date | None:
    part = m.group(2) or m.group(3)
    first = add_months(today.replace(day=1), month_shift(m.group(1)))
    target = _part_day(part, first.year, first.month)
    if m.group(1) is None and target < today:  # bare 月初 / 月中 already passed: next month's
        following = add_months(first, 1)
        return _part_day(part, following.year, following.month)
    return target


def _relative(m: re.Match[str], today: date) -> date | None:
    amount, unit = m.group(1), m.group(2).removeprefix("个")
    if amount == "半":
        return {"月": today + timedelta(days=15), "年": add_months(today, 6)}.get(unit)
    n = int(amount)
    if unit in ("天", "日"):
        return today + timedelta(days=n)
    if unit == "工作日":
        return _add_workdays(today, n)
    if unit in ("周", "星期", "礼拜"):
        return today + timedelta(weeks=n)
    if unit == "月":
        return add_months(today, n)
    return add_months(today, 12 * n)


def _within_limit(m: re.Match[str], today: date) -> date | None:
    n, unit = int(m.group(1)), m.group(2)
    if unit == "个月":
        return add_months(today, n)
    return _add_workdays(today, n) if unit == "工作日" else today + timedelta(days=n)


def _named_day(m: re.Match[str], today: date) -> date | None:
    return today + timedelta(days=_NAMED_OFFSET[m.group(0)])


def _holiday(m: re.Match[str], today: date, festivals: Festivals) -> date | None:
    name = m.group(1).removesuffix("节")
    eve = _HOLIDAY_EVE.get(m.group(1)) or _HOLIDAY_EVE.get(name)
    if eve:
        return _upcoming(today, *eve)
    festival = _FESTIVAL_NAMES.get(m.group(1)) or _FESTIVAL_NAMES.get(name)
    # The eve of the next one still ahead; a year the table lacks: no guess.
    days = sorted(d for d in festivals.get(festival or "", ()) if d - timedelta(days=1) >= today)
    return days[0] - timedelta(days=1) if days else None


def _bare_span(m: re.Match[str], today: date) -> date | None:
    amount, unit = m.group(1), m.group(2).removeprefix("个")
    if amount.endswith("个半"):  # 一个半月: the months and half a month more
        n = int(amount.removesuffix("个半"))
        return add_months(today, n) + timedelta(days=15) if unit == "月" else None
    if unit in ("月", "年") and amount != "半" and not m.group(2).startswith("个") and unit == "月":
        return None  # "6月" is a month, not six months
    return _relative(m, today)


def _ago(m: re.Match[str], today: date) -> date | None:
    n = int(m.group(1))
    return today - timedelta(days=n if m.group(2) in ("天", "日") else 7 * n)


def _bare_day(m: re.Match[str], today: date) -> date | None:
    day = int(m.group(1))
    if not 1 <= day <= 31:
        return None
    this_month = _safe(today.year, today.month, day)
    if this_month is not None and this_month >= today:
        return this_month
    following = add_months(today.replace(day=1), 1)
    return _safe(following.year, following.month, day)


# Order matters only for equal spans; longer matches win (下个月15号 over 15号, 6月底 over 月底).
_DATE_RULES = (
    (_ISO, _iso), (_REL_MONTH_DAY, _rel_month_day), (_MONTH_DAY, _month_day), (_MONTH_END_OF, _month_end_of), (_MONTH_PART_OF, _month_part_of),
    (_MONTH_END, _month_end_rel), (_YEAR_END, _year_end), (_WEEKDAY_RE, _weekday), (_WEEK_END, _week_end),
    (_RELATIVE, _relative), (_WITHIN_LIMIT, _within_limit), (_NAMED_DAY, _named_day),
    (_DOTTED, _month_day), (_BARE_DAY, _bare_day), (_BARE_SPAN, _bare_span), (_AGO, _ago),
    (_MONTH_WITHIN, _month_within), (_MONTH_PART, _month_part),
)


def _spans(prepared: str, today: date, festivals: Festivals) -> list[tuple[int, int, date | None]]:
    found: list[tuple[int, int, date | None]] = []
    for pattern, resolve in _DATE_RULES:
        for m in pattern.finditer(prepared):
            found.append((m.start(), m.end(), resolve(m, today)))
    for m in _HOLIDAY.finditer(prepared):
        found.append((m.start(), m.end(), _holiday(m, today, festivals)))
    # Keep the longest match wherever spans overlap.
    found.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
    kept: list[tuple[int, int, date | None]] = []
    for span in found:
        if all(span[1] <= k[0] or span[0] >= k[1] for k in kept):
            kept.append(span)
    kept.sort()
    return kept


def find_dates(text: str, today: date, *, prepared: bool = False,
               festivals: Festivals = DEFAULT_FESTIVALS) -> list[date]:
    """All concrete days mentioned, in order of appearance."""
    t = text if prepared else prepare(text)
    if not _FAST_REJECT.search(t):
        return []
    return [d for _, _, d in _spans(t, today, festivals) if d is not None]


def parse_date(text: str, today: date, festivals: Festivals = DEFAULT_FESTIVALS) -> date | None:
    """The first day the text names, resolved against `today`; None when unsure (a holiday we cannot place)."""
    normalized = normalize(text)
    t = _prepare_normalized(normalized)
    if not t or not _FAST_REJECT.search(t):
        return None
    if _ROUGH.search(normalized):
        return None  # "两三天", "三五天": a rough span is no day; the form asks for one
    # "10号到15号之间", "一周到十天": a range is no day either.
    if _RANGE.search(t):
        return None
    spans = _spans(t, today, festivals)
    # "明天吧 哦不对 后天": a day named after a correction replaces the one before it.
    # What follows the correction is read on its own ("改一下下周三" is no 下下周三).
    fixes = [m.end() for m in _CORRECTION.finditer(t)]
    if fixes:
        cut = fixes[-1]
        spans = [(start + cut, end + cut, day) for start, end, day in _spans(t[cut:], today, festivals)] or spans
    # "月底或者下月初": two days offered are no deadline yet; the form asks again.
    if len(spans) >= 2 and _EITHER.search(t, spans[0][1], spans[-1][0]):
        return None
    return spans[0][2] if spans else None
