"""Working days in China: 法定节假日 and 调休 workdays from chinese_calendar, the config's lists on top.

chinese_calendar carries the State Council's announcements (国务院办公厅关于部分节假日安排的通知) year by year;
each release covers the years announced by then (COVERED). A day outside them falls back to weekends only,
and `scheduler.holidays` / `scheduler.workdays` override either way (a local day off, an announcement newer
than the installed package).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar
from chinese_calendar import constants

from .config import Config

# What chinese_calendar names its holidays, as people here call them.
NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
         "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
         "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日"}
COVERED = (min(constants.holidays).year, max(constants.holidays).year)


def covered(day: date) -> bool:
    return COVERED[0] <= day.year <= COVERED[1]


def is_workday(day: date, config: Config) -> bool:
    iso = day.isoformat()
    if iso in config.scheduler.holidays:
        return False
    if iso in config.scheduler.workdays:
        return True
    if covered(day):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


def next_workday(day: date, config: Config) -> date:
    """The day itself if people work that day, else the first day after it they do."""
    while not is_workday(day, config):
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class Holiday:
    name: str  # 国庆节
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def holidays_of(year: int) -> Iterator[Holiday]:
    """The statutory holiday periods of a year (weekends inside them included), in order."""
    days = sorted(d for d in constants.holidays if d.year == year)
    run: list[date] = []
    for d in days:
        if run and (d - run[-1]).days > 1 + _weekend_gap(run[-1], d):
            yield _period(run)
            run = []
        run.append(d)
    if run:
        yield _period(run)


def _weekend_gap(a: date, b: date) -> int:
    """Days between a and b that are plain weekends (a holiday period can span one without listing it)."""
    return sum(1 for n in range(1, (b - a).days) if (a + timedelta(days=n)).weekday() >= 5)


def _period(run: list[date]) -> Holiday:
    first = run[0]
    while (first - timedelta(days=1)).weekday() >= 5 and not chinese_calendar.is_workday(first - timedelta(days=1)):
        first -= timedelta(days=1)
    last = run[-1]
    while (last + timedelta(days=1)).weekday() >= 5 and not chinese_calendar.is_workday(last + timedelta(days=1)):
        last += timedelta(days=1)
    name = NAMES.get(constants.holidays[run[0]], constants.holidays[run[0]])
    return Holiday(name, first, last)


def holiday_ahead(day: date, config: Config, min_days: int = 3) -> Holiday | None:
    """The holiday of at least `min_days` days that starts after `day`, when `day` is the last workday before it."""
    if not covered(day) or not is_workday(day, config):
        return None
    for holiday in holidays_of(day.year):
        if holiday.first > day and holiday.days >= min_days:
            between = (holiday.first - day).days
            if all(not is_workday(day + timedelta(days=n), config) for n in range(1, between)):
                return holiday
            return None
    return None
