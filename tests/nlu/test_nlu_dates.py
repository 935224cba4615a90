"""Deadline and period phrasings (tests/data/dates.tsv), traps included."""
from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from handlers.nlu import Period, parse_date, parse_period

DATES = Path(__file__).resolve().parents[1] / "data" / "dates.tsv"


def _rows():
    with DATES.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows[0] == ["text", "today", "expected"]
    return rows[1:]


ROWS = _rows()


def test_table_size_and_traps():
    assert len(ROWS) >= 65
    texts = {r[0] for r in ROWS}
    assert {"三号车间", "一号楼", "120万元"} <= texts


def test_date_table_accuracy():
    wrong = [(t, today, exp, parse_date(t, date.fromisoformat(today))) for t, today, exp in ROWS
             if str(parse_date(t, date.fromisoformat(today))) != exp]
    assert 1 - len(wrong) / len(ROWS) >= 0.98, wrong


@pytest.mark.parametrize("text, today, expected", ROWS)
def test_each_row(text, today, expected):
    got = parse_date(text, date.fromisoformat(today))
    assert str(got) == expected


TODAY = date(2026, 8, 12)


@pytest.mark.parametrize("text, start, end, label", [
    ("本月", "2026-08-01", "2026-08-31", "2026年8月"),
    ("这个月还差几条", "2026-08-01", "2026-08-31", "2026年8月"),
    ("上个月", "2026-07-01", "2026-07-31", "2026年7月"),
    ("上月统计", "2026-07-01", "2026-07-31", "2026年7月"),
    ("本季度", "2026-07-01", "2026-09-30", "2026年第3季度"),
    ("这个季度完成了吗", "2026-07-01", "2026-09-30", "2026年第3季度"),
    ("上季度", "2026-04-01", "2026-06-30", "2026年第2季度"),
    ("第三季度", "2026-07-01", "2026-09-30", "2026年第3季度"),
    ("一季度", "2026-01-01", "2026-03-31", "2026年第1季度"),
    ("今年", "2026-01-01", "2026-12-31", "2026年"),
    ("本年", "2026-01-01", "2026-12-31", "2026年"),
    ("2026年6月", "2026-06-01", "2026-06-30", "2026年6月"),
    ("2025年12月的调度表", "2025-12-01", "2025-12-31", "2025年12月"),
    ("上半年", "2026-01-01", "2026-06-30", "2026年上半年"),
])
def test_periods(text, start, end, label):
    assert parse_period(text, TODAY) == Period(date.fromisoformat(start), date.fromisoformat(end), label)


def test_quarter_rolls_over_the_year():
    assert parse_period("上季度", date(2026, 2, 1)) == Period(date(2025, 10, 1), date(2025, 12, 31), "2025年第4季度")
    assert parse_period("上个月", date(2026, 1, 5)).label == "2025年12月"


@pytest.mark.parametrize("text", ["三号车间", "月底前整改", "你好", "120万元", ""])
def test_no_period(text):
    assert parse_period(text, TODAY) is None


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
       st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=28))
def test_bare_month_day_is_never_in_the_past(today, month, day):
    got = parse_date(f"{month}月{day}日", today)
    assert got is not None and got >= today and (got.month, got.day) == (month, day)
    assert (got - today).days <= 366


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)), st.integers(min_value=1, max_value=90))
def test_n_days_within(today, n):
    assert parse_date(f"{n}天内", today) == date.fromordinal(today.toordinal() + n)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=30))
def test_parsers_never_crash(text):
    parse_date(text, TODAY)
    parse_period(text, TODAY)


def test_the_benchmark_reads_a_dates_table_whatever_its_column_names_and_order(tmp_path):
    """A table written elsewhere may name and order its columns otherwise and mark "no day" in words."""
    import importlib.util
    import sys

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("bench_nlu_dates", root / "bench" / "nlu.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_nlu_dates"] = bench
    spec.loader.exec_module(bench)
    table = tmp_path / "t.tsv"
    table.write_text("短语\t应得\t基准日\n月底\t2026-06-30\t2026-06-10（周三）\n春节前\t无法确定\t2026-06-10（周三）\n"
                     "下周五\t2026-06-19 周五\t2026-06-10（周三）\n昨天\t2026-06-09（表单拒收）\t2026-06-11\n",
                     encoding="utf-8")
    assert bench.load_dates(table) == [
        ("月底", date(2026, 6, 10), date(2026, 6, 30)), ("春节前", date(2026, 6, 10), None),
        ("下周五", date(2026, 6, 10), date(2026, 6, 19)), ("昨天", date(2026, 6, 11), date(2026, 6, 9))]
    assert bench.load_dates(bench.DATES)[0] == ("6月30日", date(2026, 6, 10), date(2026, 6, 30))
