"""Chinese working days (工作日): statutory holidays and 调休 make-up working days.

The official calendar comes from the ``chinese_calendar`` package (pip name
``chinesecalendar``), which knows each year's State Council holiday notice:
public holidays that fall on weekdays, and the weekend days that are made
working days (调休). It covers only the years it ships data for and raises
:class:`NotImplementedError` for any other year (the notice for a year is
published only in the previous November or December).

For a year the package does not cover this module falls back to an
*approximation*, and says so (:func:`covered`, :attr:`DeadlineResult.approximate`):

* Monday to Friday are working days, Saturday and Sunday are not;
* the fixed-date holidays are off: 1 January (元旦), 1–3 May (劳动节),
  1–7 October (国庆节);
* the lunar holidays (春节, 清明, 端午, 中秋) and every 调休 make-up day are
  unknown, so a fallback deadline across the Spring Festival comes out too early.

A deadline set in ``工作日`` ("15 working days") counts only working days after
the start date; one in ``自然日`` counts every calendar day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import chinese_calendar

from ledgerdesk.core.errors import ValidationError

CALENDAR_DAYS = "自然日"
WORKING_DAYS = "工作日"
DEADLINE_KINDS = (CALENDAR_DAYS, WORKING_DAYS)

# (month, day) pairs off work in the fallback approximation.
FALLBACK_HOLIDAYS = frozenset(
    [(1, 1)] + [(5, d) for d in (1, 2, 3)] + [(10, d) for d in range(1, 8)]
)

_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class DeadlineResult:
    """A computed deadline; ``approximate`` is True when a year outside the official calendar was used."""

    date: dt.date
    approximate: bool = False


@lru_cache(maxsize=None)
def covered(year: int) -> bool:
    """True when the official holiday calendar for ``year`` is known (results are exact)."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def _fallback_is_working_day(d: dt.date) -> bool:
    """The documented approximation: Mon–Fri, minus the fixed-date holidays."""
    return d.weekday() < 5 and (d.month, d.day) not in FALLBACK_HOLIDAYS


@lru_cache(maxsize=8192)
def is_working_day(d: dt.date) -> bool:
    """True if ``d`` is a working day (official calendar, else the approximation; see :func:`covered`).

    Cached: chinese_calendar's lookup costs microseconds per day, and a year of
    deadlines asks about the same few hundred days again and again.
    """
    if covered(d.year):
        return chinese_calendar.is_workday(d)
    return _fallback_is_working_day(d)


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start`` (start itself is not counted); ``n = 0`` gives ``start``.

    This is the deadline of a task given ``n`` working days on ``start``:
    registered on a Friday with 1 working day, it is due the next Monday (or
    the first working day after a holiday). ``n`` must not be negative.
    """
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    day = start
    while n:
        day += _ONE_DAY
        n -= is_working_day(day)
    return day


def working_days_between(a: dt.date, b: dt.date) -> int:
    """The number of working days ``d`` with ``a < d <= b``; negative (the same count) when ``b < a``.

    The inverse of :func:`add_working_days`:
    ``working_days_between(d, add_working_days(d, n)) == n``.
    """
    if b < a:
        return -working_days_between(b, a)
    return sum(is_working_day(a + dt.timedelta(days=i)) for i in range(1, (b - a).days + 1))


def deadline(start: dt.date, n: int, kind: str) -> DeadlineResult:
    """The deadline ``n`` days after ``start``, counted in ``kind`` ('自然日' or '工作日').

    Calendar days are exact (a deadline falling on a holiday is not moved).
    Working days are exact only when every year the count passes through is
    :func:`covered`; otherwise the result is the approximation and
    ``approximate`` is True. An unknown ``kind`` raises
    :class:`~ledgerdesk.core.errors.ValidationError` (field ``deadline_kind``).
    """
    if kind == CALENDAR_DAYS:
        return DeadlineResult(start + dt.timedelta(days=n))
    if kind != WORKING_DAYS:
        raise ValidationError(f"期限类型应为“自然日”或“工作日”，实际为“{kind}”", field="deadline_kind")
    due = add_working_days(start, n)
    years = range((start + _ONE_DAY).year, due.year + 1)  # the years of the days counted
    return DeadlineResult(due, approximate=not all(covered(y) for y in years))
