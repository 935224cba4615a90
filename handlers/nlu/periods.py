"""Reporting periods in the phrasings staff use ("本月", "上季度", "2026年6月", "近7天", "上半年"): the span a
statistic or an export covers, as (start, end inclusive, label)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from .dates import add_months, month_end, month_shift, prepare


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    label: str


def _month_period(year: int, month: int) -> Period:
    return Period(date(year, month, 1), month_end(year, month), f"{year}年{month}月")


def _quarter_period(year: int, quarter: int) -> Period:
    start = date(year, 3 * quarter - 2, 1)
    return Period(start, month_end(year, 3 * quarter), f"{year}年第{quarter}季度")


def _year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), f"{year}年")


def _span_label(start: date, end: date) -> str:
    return f"{start.isoformat()}至{end.isoformat()}"


_P_MONTH_REL = re.compile(r"(上上个?|上一?个?|本|这一?个?|当|下一?个?|次)月份?(?![底末初中\d])")
_P_MONTH_ABS = re.compile(r"(?:(20\d{2})年)?(?<![\d.])(\d{1,2})月份?(?![底末初中旬\d])")
_P_QUARTER_REL = re.compile(r"(上一?个?|本|这一?个?|当|下一?个?)季度?")
_P_QUARTER_ABS = re.compile(r"(?:(20\d{2})年)?(?:第)?([1-4一二三四])季度|(?<![a-z0-9])q([1-4])(?![a-z0-9])")
_P_HALF = re.compile(r"(?:(20\d{2})年|今年|本年)?([上下])半年")
_P_YEAR_REL = re.compile(r"今年|本年度?|这一?年|当年|全年|去年|上一?年度?|前年")
_P_YEAR_ABS = re.compile(r"(20\d{2})年(?:度|全年)?(?![\d底末])")
_P_WEEK = re.compile(r"(上一?个?|本|这一?个?)(?:周|星期|礼拜)(?![一二三四五六日天1-7内末])")
_P_RECENT = re.compile(r"(?:近|最近|过去)(\d{1,3}|半)个?(天|日|周|星期|月|年)")

_CN_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4}


def _p_month_rel(m: re.Match[str], today: date) -> Period:
    first = add_months(today.replace(day=1), month_shift(m.group(1)))
    return _month_period(first.year, first.month)


def _p_month_abs(m: re.Match[str], today: date) -> Period | None:
    month = int(m.group(2))
    if not 1 <= month <= 12:
        return None
    return _month_period(int(m.group(1)) if m.group(1) else today.year, month)


def _p_quarter_rel(m: re.Match[str], today: date) -> Period:
    shift = month_shift(m.group(1))
    index = today.year * 4 + (today.month - 1) // 3 + shift
    return _quarter_period(index // 4, index % 4 + 1)


def _p_quarter_abs(m: re.Match[str], today: date) -> Period:
    raw = m.group(2) or m.group(3)
    quarter = _CN_QUARTER.get(raw) or int(raw)
    return _quarter_period(int(m.group(1)) if m.group(1) else today.year, quarter)


def _p_half(m: re.Match[str], today: date) -> Period:
    year = int(m.group(1)) if m.group(1) else today.year
    if m.group(2) == "上":
        return Period(date(year, 1, 1), date(year, 6, 30), f"{year}年上半年")
    return Period(date(year, 7, 1), date(year, 12, 31), f"{year}年下半年")


def _p_year_rel(m: re.Match[str], today: date) -> Period:
    word = m.group(0)
    if word == "前年":
        return _year_period(today.year - 2)
    return _year_period(today.year - 1 if word.startswith(("去", "上")) else today.year)


def _p_year_abs(m: re.Match[str], today: date) -> Period:
    return _year_period(int(m.group(1)))


def _p_week(m: re.Match[str], today: date) -> Period:
    monday = today - timedelta(days=today.weekday())
    if m.group(1).startswith("上"):
        monday -= timedelta(days=7)
    sunday = monday + timedelta(days=6)
    return Period(monday, sunday, _span_label(monday, sunday))


def _p_recent(m: re.Match[str], today: date) -> Period:
    amount, unit = m.group(1), m.group(2)
    n = 0.5 if amount == "半" else int(amount)
    days = {"天": 1, "日": 1, "周": 7, "星期": 7, "月": 30, "年": 365}[unit]
    start = today - timedelta(days=max(int(n * days) - 1, 0))
    return Period(start, today, _span_label(start, today))


_PERIOD_RULES = (
    (_P_HALF, _p_half), (_P_QUARTER_ABS, _p_quarter_abs), (_P_QUARTER_REL, _p_quarter_rel),
    (_P_MONTH_REL, _p_month_rel), (_P_MONTH_ABS, _p_month_abs), (_P_RECENT, _p_recent), (_P_WEEK, _p_week),
    (_P_YEAR_ABS, _p_year_abs), (_P_YEAR_REL, _p_year_rel),
)
_PERIOD_HINT = re.compile(r"[月季年周天日q]|星期|礼拜")


def find_period(text: str, today: date, *, prepared: bool = False) -> Period | None:
    t = text if prepared else prepare(text)
    if not _PERIOD_HINT.search(t):
        return None
    best: tuple[int, int, Period] | None = None
    for pattern, resolve in _PERIOD_RULES:
        for m in pattern.finditer(t):
            period = resolve(m, today)
            if period is None:
                continue
            # The earliest mention wins; at the same position the longer one ("2026年6月" over "2026年").
            key = (m.start(), -(m.end() - m.start()))
            if best is None or key < best[:2]:
                best = (key[0], key[1], period)
    return best[2] if best else None


def parse_period(text: str, today: date) -> Period | None:
    """本月/上个月/这个季度/上季度/第三季度/今年/2026年6月 … as (start, end inclusive, label)."""
    return find_period(text, today)
