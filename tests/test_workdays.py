import json
from datetime import date, datetime, timezone

import pytest

from server.common.timeutil import SHANGHAI
from server.review import workdays
from server.review.workdays import (
    HolidayTable, add_working_days, is_working_day, review_deadline, working_days_between,
)


def test_2026_national_day_arrangement_from_chinese_calendar():
    # 2026: Oct 1-7 off; Sunday Sep 20 and Saturday Oct 10 are make-up working days
    assert is_working_day(date(2026, 9, 30))
    assert not any(is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert is_working_day(date(2026, 10, 8))
    assert is_working_day(date(2026, 9, 20))   # Sunday
    assert is_working_day(date(2026, 10, 10))  # Saturday
    assert not is_working_day(date(2026, 10, 11))


def test_review_across_national_day():
    assert add_working_days(date(2026, 9, 29), 2) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 30), 2) == date(2026, 10, 9)
    # Friday Oct 9: the make-up Saturday counts
    assert add_working_days(date(2026, 10, 9), 2) == date(2026, 10, 12)


def test_mid_autumn_2026():
    # Sep 25-27 off (Fri-Sun): Thursday Sep 24 + 2 → Mon 28, Tue 29
    assert add_working_days(date(2026, 9, 24), 2) == date(2026, 9, 29)


def test_spring_festival_2026():
    # Feb 15-23 off; Saturday Feb 14 and Saturday Feb 28 are make-up working days
    assert is_working_day(date(2026, 2, 14))
    assert not is_working_day(date(2026, 2, 23))
    assert add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert add_working_days(date(2026, 2, 12), 2) == date(2026, 2, 14)


def test_submission_moment_is_read_in_shanghai():
    # 2026-09-29 17:00 UTC is already Sep 30 in Shanghai
    submitted = datetime(2026, 9, 29, 17, 0, tzinfo=timezone.utc)
    assert add_working_days(submitted, 2) == date(2026, 10, 9)
    # naive datetimes are stored UTC
    assert add_working_days(datetime(2026, 9, 29, 15, 59), 2) == date(2026, 10, 8)


def test_submitted_on_a_weekend():
    # Saturday 2026-11-28: Monday and Tuesday
    assert add_working_days(date(2026, 11, 28), 2) == date(2026, 12, 1)
    assert add_working_days(date(2026, 11, 28), 0) == date(2026, 11, 30)
    with pytest.raises(ValueError):
        add_working_days(date(2026, 11, 28), -1)


def test_deadline_is_end_of_due_day_in_shanghai():
    deadline = review_deadline(date(2026, 11, 24), 2)
    assert deadline == datetime(2026, 11, 27, 0, 0, tzinfo=SHANGHAI)
    assert deadline.astimezone(timezone.utc) == datetime(2026, 11, 26, 16, 0, tzinfo=timezone.utc)


def test_2027_without_published_arrangement_counts_weekends_and_fixed_holidays():
    # chinese_calendar 1.11 raises for 2027; the shipped table has no 2027 yet
    assert not workdays.default_table().knows(2027)
    assert is_working_day(date(2027, 1, 8))      # Friday
    assert not is_working_day(date(2027, 1, 9))  # Saturday
    assert add_working_days(date(2027, 1, 8), 2) == date(2027, 1, 12)
    # crossing into unknown data: 2027-01-01 (Friday) is 元旦 by law whatever the arrangement
    assert not is_working_day(date(2027, 1, 1))
    assert add_working_days(date(2026, 12, 31), 2) == date(2027, 1, 5)
    assert not is_working_day(date(2027, 10, 1))  # Friday, 国庆节
    assert is_working_day(date(2003, 6, 2))  # before chinese_calendar's range: no crash either


def test_holiday_table_overrides_for_a_year(tmp_path):
    path = tmp_path / "holidays.json"
    path.write_text(json.dumps({"format": "test", "years": {"2027": {
        "source": "test",
        "holidays": ["2027-01-11", "2027-01-12"],
        "workdays": ["2027-01-09"],
    }}}), encoding="utf-8")
    table = HolidayTable.from_file(path)
    assert is_working_day(date(2027, 1, 9), table)
    assert not is_working_day(date(2027, 1, 11), table)
    assert add_working_days(date(2027, 1, 8), 2, table) == date(2027, 1, 13)
    # years outside the table still use chinese_calendar
    assert not is_working_day(date(2026, 10, 1), table)


def test_holiday_table_rejects_dates_under_the_wrong_year():
    with pytest.raises(ValueError):
        HolidayTable.from_dict({"years": {"2027": {"holidays": ["2028-01-01"]}}})


def test_shipped_table_parses():
    table = HolidayTable.from_file(workdays.DEFAULT_TABLE_PATH)
    assert isinstance(table, HolidayTable)


def test_working_days_between_inverts_add():
    start = date(2026, 9, 28)
    for n in range(1, 8):
        assert working_days_between(start, add_working_days(start, n)) == n
    assert working_days_between(date(2026, 10, 9), date(2026, 9, 30)) == -2
    assert working_days_between(date(2026, 10, 1), date(2026, 10, 7)) == 0
