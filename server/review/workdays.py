"""Chinese working days for review deadlines.

Sources, in order: the holiday table in data/holidays.json for the years it lists (operators add a
year when the State Council publishes it), then the chinese_calendar package (it knows 2004-2026
and raises NotImplementedError for other years), then weekends plus the statutory holidays fixed
to Gregorian dates (元旦, 劳动节, 国庆节; the lunar ones and the 调休 need the published arrangement).
Never raises for a date.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

import chinese_calendar

from server.common.timeutil import SHANGHAI, to_cn

log = logging.getLogger(__name__)

DEFAULT_TABLE_PATH = Path(__file__).parent / "data" / "holidays.json"


@dataclass(frozen=True)
class HolidayTable:
    """Per year: days off, and weekend days that are working days."""

    holidays: dict[int, frozenset[date]] = field(default_factory=dict)
    workdays: dict[int, frozenset[date]] = field(default_factory=dict)

    def knows(self, year: int) -> bool:
        return year in self.holidays or year in self.workdays

    @classmethod
    def from_dict(cls, data: dict) -> HolidayTable:
        holidays: dict[int, frozenset[date]] = {}
        workdays: dict[int, frozenset[date]] = {}
        for year_text, entry in (data.get("years") or {}).items():
            year = int(year_text)
            holidays[year] = frozenset(date.fromisoformat(d) for d in entry.get("holidays", []))
            workdays[year] = frozenset(date.fromisoformat(d) for d in entry.get("workdays", []))
            wrong = [d for d in holidays[year] | workdays[year] if d.year != year]
            if wrong:
                raise ValueError(f"holiday table: {wrong[0]} listed under {year}")
        return cls(holidays, workdays)

    @classmethod
    def from_file(cls, path: Path | str) -> HolidayTable:
        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))


@lru_cache(maxsize=1)
def default_table() -> HolidayTable:
    try:
        return HolidayTable.from_file(DEFAULT_TABLE_PATH)
    except (OSError, ValueError) as exc:  # a broken table must not stop reviews: fall back
        log.error("holiday table %s unusable (%s); using chinese_calendar and weekends", DEFAULT_TABLE_PATH, exc)
        return HolidayTable()


# 《全国年节及纪念日放假办法》 (2024 revision): the holidays with fixed Gregorian dates.
FIXED_STATUTORY_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})

_warned_years: set[int] = set()


def is_working_day(d: date, table: HolidayTable | None = None) -> bool:
    if isinstance(d, datetime):
        d = d.date()
    table = default_table() if table is None else table
    if table.knows(d.year):
        if d in table.holidays.get(d.year, ()):
            return False
        if d in table.workdays.get(d.year, ()):
            return True
        return d.weekday() < 5
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        if d.year not in _warned_years:
            _warned_years.add(d.year)
            log.warning("no holiday arrangement for %s: counting weekends and fixed-date holidays "
                        "only; add it to %s", d.year, DEFAULT_TABLE_PATH.name)
        return d.weekday() < 5 and (d.month, d.day) not in FIXED_STATUTORY_HOLIDAYS


def _local_date(start: datetime | date) -> date:
    if isinstance(start, datetime):
        return to_cn(start).date()  # naive datetimes are UTC, as stored
    return start


def add_working_days(start: datetime | date, n: int, table: HolidayTable | None = None) -> date:
    """The Nth working day after `start` (its Shanghai date): the day a review of N working days
    is due (by the end of that day). n = 0 gives `start` itself if it is a working day, else the
    next working day."""
    if n < 0:
        raise ValueError("n must not be negative")
    d = _local_date(start)
    if n == 0:
        while not is_working_day(d, table):
            d += timedelta(days=1)
        return d
    remaining = n
    while remaining:
        d += timedelta(days=1)
        if is_working_day(d, table):
            remaining -= 1
    return d


def review_deadline(submitted_at: datetime | date, n: int, table: HolidayTable | None = None) -> datetime:
    """End of the due day as an aware moment: midnight in Shanghai after the Nth working day."""
    due = add_working_days(submitted_at, n, table)
    return datetime.combine(due + timedelta(days=1), time(0, 0), tzinfo=SHANGHAI)


def working_days_between(start: datetime | date, end: datetime | date, table: HolidayTable | None = None) -> int:
    """Working days after `start` up to and including `end` (negative when end is before start),
    so that working_days_between(s, add_working_days(s, n)) == n."""
    a, b = _local_date(start), _local_date(end)
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    count = 0
    d = a
    while d < b:
        d += timedelta(days=1)
        if is_working_day(d, table):
            count += 1
    return sign * count
