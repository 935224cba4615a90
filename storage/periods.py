"""Periods: months and quarters (self-checks, quotas), and days in the campaign's time zone as UTC ranges."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

QUARTER_NAMES = "一二三四"


@dataclass(frozen=True)
class Period:
    key: str  # 2026-06 or 2026-Q2: what runs are stored under
    label: str  # 2026年6月 / 2026年第二季度
    start: date
    end: date  # inclusive: the last day to submit


def period_of(kind: str, day: date) -> Period:
    if kind == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return Period(f"{day.year}-{day.month:02d}", f"{day.year}年{day.month}月",
                      date(day.year, day.month, 1), date(day.year, day.month, last))
    if kind == "quarter":
        q = (day.month - 1) // 3 + 1
        first_month, last_month = 3 * q - 2, 3 * q
        return Period(f"{day.year}-Q{q}", f"{day.year}年第{QUARTER_NAMES[q - 1]}季度",
                      date(day.year, first_month, 1),
                      date(day.year, last_month, calendar.monthrange(day.year, last_month)[1]))
    raise ValueError(f"unknown period kind {kind!r}: month or quarter")


def next_period(kind: str, period: Period) -> Period:
    return period_of(kind, period.end + timedelta(days=1))


def local_range(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in the campaign's zone, as aware datetimes for UTC columns."""
    return (datetime.combine(start, time(), tz), datetime.combine(end + timedelta(days=1), time(), tz))



def selfcheck_kind(risk_tier: str, high_risk_period: str, other_period: str) -> str:
    """高危行业 check monthly and the others quarterly, unless the config says otherwise."""
    return high_risk_period if risk_tier == "high" else other_period
