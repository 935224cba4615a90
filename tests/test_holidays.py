"""Working days from chinese_calendar (法定节假日, 调休), with the config's lists on top."""
from __future__ import annotations

from datetime import date

from scheduler.rules import report_day
from storage.config import parse_config
from storage.holidays import COVERED, holiday_ahead, is_workday


def test_statutory_holidays_and_adjusted_workdays():
    config = parse_config({})
    assert not is_workday(date(2026, 10, 1), config)  # 国庆节
    assert not is_workday(date(2026, 10, 5), config)  # a Monday inside the holiday
    assert is_workday(date(2026, 9, 20), config)  # a Sunday worked (调休)
    assert COVERED[0] <= 2026 <= COVERED[1]


def test_the_report_day_moves_past_holidays_not_past_adjusted_workdays():
    config = parse_config({"scheduler": {"report_day": 1}})
    assert report_day(config, 2026, 10) == date(2026, 10, 8)  # 国庆 1–7: the first workday after
    sunday_worked = parse_config({"scheduler": {"report_day": 20}})
    assert report_day(sunday_worked, 2026, 9) == date(2026, 9, 20)  # 调休: people work that Sunday


def test_the_config_overrides_the_calendar():
    config = parse_config({"scheduler": {"report_day": 16, "holidays": ["2026-06-16"], "workdays": ["2026-10-01"]}})
    assert report_day(config, 2026, 6) == date(2026, 6, 17)
    assert is_workday(date(2026, 10, 1), config)


def test_the_last_workday_before_a_long_holiday_is_a_key_period():
    config = parse_config({})
    ahead = holiday_ahead(date(2026, 9, 30), config)
    assert ahead is not None and ahead.name == "国庆节" and ahead.first == date(2026, 10, 1) and ahead.days >= 7
    assert holiday_ahead(date(2026, 9, 29), config) is None  # not the last workday before it
