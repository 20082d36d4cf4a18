import datetime as dt

import chinese_calendar
import pytest
from hypothesis import given, strategies as st

from ledgerdesk.core.errors import ValidationError
from ledgerdesk.core.workdays import (
    add_working_days, covered, deadline, is_working_day, working_days_between,
)

D = dt.date
ONE = dt.timedelta(days=1)
UNCOVERED = 2035


def days(a: dt.date, b: dt.date):
    """Every date from a to b inclusive."""
    return [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]


def test_the_package_covers_the_years_the_tests_rely_on():
    assert covered(2025) and covered(2026)
    assert not covered(UNCOVERED)
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(UNCOVERED, 3, 1))


# -- National Day 2025: 10-01..10-08 off, make-up working days 09-28 (Sun) and 10-11 (Sat) ------

def test_national_day_2025_holidays_and_make_up_days():
    assert not any(is_working_day(d) for d in days(D(2025, 10, 1), D(2025, 10, 8)))
    assert D(2025, 9, 28).weekday() == 6 and is_working_day(D(2025, 9, 28))
    assert D(2025, 10, 11).weekday() == 5 and is_working_day(D(2025, 10, 11))
    assert is_working_day(D(2025, 9, 30)) and is_working_day(D(2025, 10, 9))
    assert not is_working_day(D(2025, 10, 12))  # an ordinary Sunday


def test_national_day_2026_agrees_with_the_official_calendar():
    for d in days(D(2026, 9, 15), D(2026, 10, 15)):
        assert is_working_day(d) == chinese_calendar.is_workday(d), d
    assert not any(is_working_day(d) for d in days(D(2026, 10, 1), D(2026, 10, 7)))
    make_up = [d for d in days(D(2026, 9, 15), D(2026, 10, 15)) if d.weekday() >= 5 and is_working_day(d)]
    assert make_up, "National Day 2026 has weekend make-up working days"


def longest_off_run(span: list[dt.date]) -> list[dt.date]:
    best, run = [], []
    for d in span:
        run = run + [d] if not is_working_day(d) else []
        best = max(best, run, key=len)
    return best


def test_spring_festival_2026_shape():
    span = days(D(2026, 2, 1), D(2026, 3, 10))
    for d in span:
        assert is_working_day(d) == chinese_calendar.is_workday(d), d
    run = longest_off_run(span)
    assert len(run) >= 7
    assert D(2026, 2, 10) <= run[0] and run[-1] <= D(2026, 2, 28)  # mid-February
    near = days(run[0] - dt.timedelta(days=14), run[-1] + dt.timedelta(days=14))
    assert any(d.weekday() >= 5 and is_working_day(d) for d in near), "a weekend make-up working day nearby"
    assert all(chinese_calendar.get_holiday_detail(d)[1] == "Spring Festival" for d in run if d.weekday() < 5)


# -- adding and counting -----------------------------------------------------------------------------

def test_add_working_days_does_not_count_the_start_and_skips_the_weekend():
    assert add_working_days(D(2025, 6, 6), 1) == D(2025, 6, 9)  # Friday → Monday
    assert add_working_days(D(2025, 6, 6), 0) == D(2025, 6, 6)
    with pytest.raises(ValueError):
        add_working_days(D(2025, 6, 6), -1)


def test_add_working_days_across_national_day_2025():
    # From Tuesday 09-30: the next working day is Thursday 10-09, then 10-10, then Saturday 10-11.
    assert add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 9)
    assert add_working_days(D(2025, 9, 30), 3) == D(2025, 10, 11)
    # From Saturday 09-27: Sunday 09-28 is a make-up working day.
    assert add_working_days(D(2025, 9, 27), 1) == D(2025, 9, 28)
    assert working_days_between(D(2025, 9, 26), D(2025, 10, 12)) == 6  # 28, 29, 30, 9, 10, 11


def test_add_working_days_across_spring_festival_2026():
    last_before = max(d for d in days(D(2026, 2, 1), D(2026, 2, 20)) if is_working_day(d))
    due = add_working_days(last_before, 1)
    assert (due - last_before).days >= 8  # jumps the whole festival
    assert not any(is_working_day(d) for d in days(last_before + ONE, due - ONE))


def test_working_days_between_is_antisymmetric():
    a, b = D(2026, 1, 5), D(2026, 3, 2)
    assert working_days_between(a, b) == -working_days_between(b, a) > 0
    assert working_days_between(a, a) == 0


# -- deadlines ---------------------------------------------------------------------------------------

def test_calendar_day_deadline_is_plain_and_exact():
    result = deadline(D(2025, 9, 30), 7, "自然日")
    assert result.date == D(2025, 10, 7) and not result.approximate
    assert not deadline(D(UNCOVERED, 1, 1), 30, "自然日").approximate


def test_working_day_deadline_in_covered_years_is_exact():
    result = deadline(D(2025, 9, 30), 5, "工作日")
    assert result.date == D(2025, 10, 14) and not result.approximate  # 9, 10, 11, 13, 14


def test_fallback_for_an_uncovered_year_is_marked_approximate():
    assert not covered(UNCOVERED)
    # Fallback: Mon–Fri, fixed-date holidays 1/1, 5/1–5/3, 10/1–10/7 off.
    assert not is_working_day(D(UNCOVERED, 10, 1))  # a Monday
    assert not is_working_day(D(UNCOVERED, 5, 2))  # a Wednesday
    assert is_working_day(D(UNCOVERED, 10, 8))  # a Monday: the fixed holiday is over
    result = deadline(D(UNCOVERED, 9, 28), 3, "工作日")  # Friday; 10-01..07 off
    assert result.date == D(UNCOVERED, 10, 10) and result.approximate


def test_a_count_running_into_an_uncovered_year_is_approximate():
    last = max(y for y in range(2020, 2040) if covered(y))
    assert not deadline(D(last, 12, 1), 5, "工作日").approximate
    assert deadline(D(last, 12, 20), 15, "工作日").approximate


def test_unknown_deadline_kind_is_refused():
    with pytest.raises(ValidationError) as info:
        deadline(D(2025, 1, 1), 3, "小时")
    assert info.value.field == "deadline_kind"


# -- properties ---------------------------------------------------------------------------------------

any_day = st.dates(min_value=D(2003, 6, 1), max_value=D(2037, 12, 31))


@given(any_day, st.integers(1, 60))
def test_add_working_days_lands_on_a_later_working_day_n_working_days_away(start, n):
    due = add_working_days(start, n)
    assert is_working_day(due)
    assert due > start
    assert working_days_between(start, due) == n
    assert deadline(start, n, "工作日").date == due
