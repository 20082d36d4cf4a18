"""core.dates: one way to read a date argument (with Chinese errors naming the field) and a stored date."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerdesk.core import person_rules
from ledgerdesk.core.dates import date_arg, parse_date, stored_date
from ledgerdesk.core.errors import ValidationError

TODAY = dt.date(2026, 11, 20)


@given(st.dates())
def test_a_date_its_datetime_and_its_iso_text_read_the_same(day):
    moment = dt.datetime.combine(day, dt.time(9, 30))
    assert parse_date(day) == parse_date(moment) == parse_date(f" {day.isoformat()} ") == day
    assert date_arg(day.isoformat(), "on", "日期") == day
    assert stored_date(day.isoformat()) == stored_date(moment.isoformat(" ")) == day


def test_empty_is_none_or_the_default_and_person_rules_shares_the_parser():
    assert parse_date(None) is None and parse_date("") is None
    assert date_arg("", "on", "日期") is None
    assert date_arg(None, "on", "日期", default=TODAY) == TODAY
    assert person_rules.parse_date is parse_date
    assert stored_date(None) is None and stored_date("") is None and stored_date("不是日期") is None


def test_errors_name_the_field_in_chinese():
    with pytest.raises(ValidationError) as bad:
        date_arg("十一月", "visited_on", "走访日期")
    assert bad.value.field == "visited_on" and "走访日期“十一月”不是有效日期" in str(bad.value)
    with pytest.raises(ValidationError) as missing:
        date_arg("", "held_on", "活动日期", required=True)
    assert missing.value.field == "held_on" and "请填写活动日期" in str(missing.value)
    with pytest.raises(ValidationError) as future:
        date_arg("2026-11-21", "on", "回访日期", not_after=TODAY)
    assert future.value.field == "on" and "回访日期不能晚于今天" in str(future.value)
    assert date_arg("2026-11-20", "on", "回访日期", not_after=TODAY) == TODAY
    with pytest.raises(ValueError):
        parse_date("2026-02-30")
