"""Chinese working days for review deadlines.

Sources, in order: the years imported into the database (`flask holidays import`, when the State
Council publishes a year's arrangement; every app server reads the same table), then the seed
table shipped in data/holidays.json, then the chinese_calendar package (it knows 2004-2026 and
raises NotImplementedError for other years), then weekends plus the statutory holidays fixed to
Gregorian dates (元旦, 劳动节, 国庆节; the lunar ones and the 调休 need the published arrangement).
Never raises for a date. `coverage()` says how far ahead the published data reaches: start-up and
/readyz warn when it is less than COVERAGE_DAYS.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import time as _time
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

    def merged(self, newer: HolidayTable) -> HolidayTable:
        """This table with whole years replaced by those `newer` knows."""
        years = {y for y in (*newer.holidays, *newer.workdays)}
        holidays = {y: d for y, d in self.holidays.items() if y not in years}
        workdays = {y: d for y, d in self.workdays.items() if y not in years}
        for y in years:
            holidays[y] = newer.holidays.get(y, frozenset())
            workdays[y] = newer.workdays.get(y, frozenset())
        return HolidayTable(holidays, workdays)


@lru_cache(maxsize=1)
def seed_table() -> HolidayTable:
    try:
        return HolidayTable.from_file(DEFAULT_TABLE_PATH)
    except (OSError, ValueError) as exc:  # a broken table must not stop reviews: fall back
        log.error("holiday table %s unusable (%s); using chinese_calendar and weekends", DEFAULT_TABLE_PATH, exc)
        return HolidayTable()


def database_table() -> HolidayTable | None:
    """The imported years, or None outside an app (pure use) or when the database cannot say."""
    from flask import has_app_context

    if not has_app_context():
        return None
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from server.extensions import db
    from server.review.models import CalendarDay

    try:
        rows = db.session.execute(select(CalendarDay.day, CalendarDay.working)).all()
    except SQLAlchemyError:
        db.session.rollback()
        return None
    holidays: dict[int, set[date]] = {}
    workdays: dict[int, set[date]] = {}
    for day, working in rows:
        (workdays if working else holidays).setdefault(day.year, set()).add(day)
    years = set(holidays) | set(workdays)
    return HolidayTable({y: frozenset(holidays.get(y, ())) for y in years},
                        {y: frozenset(workdays.get(y, ())) for y in years})


# Imported years change once a year: each app re-reads them at most once a minute, so an import
# is seen by every app server within TABLE_TTL seconds without a restart.
TABLE_TTL = 60.0


def default_table() -> HolidayTable:
    from flask import current_app, has_app_context

    if not has_app_context():
        return seed_table()
    cache = current_app.extensions.setdefault("holiday_table", {})
    now = _time.monotonic()
    if cache and now - cache["at"] < TABLE_TTL:
        return cache["table"]
    imported = database_table()
    if imported is None:
        return seed_table()  # not cached: the database may answer next time
    table = seed_table().merged(imported)
    cache.update(at=now, table=table)
    return table


def reload_table() -> None:
    """Forget this app's cached table (after an import, and in tests)."""
    from flask import current_app, has_app_context

    if has_app_context():
        current_app.extensions.pop("holiday_table", None)


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
                        "only; import it with `flask holidays import`", d.year)
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


# --- how far the published data reaches -----------------------------------------------------------

COVERAGE_DAYS = 90


def _library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


def knows_year(year: int, table: HolidayTable | None = None) -> bool:
    """Whether the year's published arrangement is known (imported, shipped or in chinese_calendar)."""
    table = default_table() if table is None else table
    return table.knows(year) or _library_knows(year)


def coverage(today: date, days: int = COVERAGE_DAYS, table: HolidayTable | None = None) -> dict:
    """Whether every day from today to today + days has published data; the first day that has
    not, and a warning for operators (English, for logs and /readyz)."""
    table = default_table() if table is None else table
    needed = today + timedelta(days=days)
    year = today.year
    while year <= needed.year and knows_year(year, table):
        year += 1
    if year > needed.year:
        return {"ok": True, "needed_until": needed.isoformat(), "first_unknown_day": None}
    first = max(date(year, 1, 1), today)
    return {"ok": False, "needed_until": needed.isoformat(), "first_unknown_day": first.isoformat(),
            "warning": f"no published holiday arrangement for {year}: review deadlines from "
                       f"{first.isoformat()} count weekends and fixed-date holidays only; "
                       f"import the State Council's notice with `flask holidays import FILE`"}


# --- importing a year's arrangement -------------------------------------------------------------

_KINDS = {"holiday": False, "off": False, "放假": False, "休": False,
          "workday": True, "work": True, "上班": True, "班": True}


class ArrangementError(ValueError):
    """The file does not describe a year's arrangement correctly (message for the operator)."""


def parse_arrangement(text: str, fmt: str, *, year: int | None = None,
                      source: str | None = None) -> dict[int, dict]:
    """Years of holidays and make-up working days from the notice typed as CSV or JSON.

    CSV: `date,kind[,note]` with kind holiday/放假 or workday/上班. JSON: `{"year", "source",
    "holidays": [...], "workdays": [...]}`, or the shipped table's `{"years": {"YYYY": {...}}}`.
    Returns {year: {"holidays": set, "workdays": set, "source": str}}; raises ArrangementError.
    """
    entries: dict[int, dict] = {}

    def add(day_text: str, working: bool, where: str, src: str | None) -> None:
        try:
            day = date.fromisoformat(str(day_text).strip())
        except ValueError:
            raise ArrangementError(f"{where}: {day_text!r} is not a date (YYYY-MM-DD)") from None
        if year is not None and day.year != year:
            raise ArrangementError(f"{where}: {day} is not in {year}")
        entry = entries.setdefault(day.year, {"holidays": set(), "workdays": set(), "source": src})
        entry["workdays" if working else "holidays"].add(day)

    if fmt == "csv":
        reader = csv.reader(io.StringIO(text))
        for n, row in enumerate(reader, 1):
            if not row or not row[0].strip() or row[0].strip().startswith("#"):
                continue
            if n == 1 and row[0].strip().lower() in ("date", "日期"):
                continue
            kind = (row[1].strip().lower() if len(row) > 1 else "")
            if kind not in _KINDS:
                raise ArrangementError(f"line {n}: kind must be holiday/放假 or workday/上班, not {kind!r}")
            add(row[0], _KINDS[kind], f"line {n}", source)
    elif fmt == "json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ArrangementError(f"not JSON: {exc}") from None
        blocks = ([(y, v) for y, v in data["years"].items()] if isinstance(data, dict) and "years" in data
                  else [(data.get("year"), data)] if isinstance(data, dict) else [])
        if not blocks:
            raise ArrangementError("JSON must be an object with holidays and workdays")
        for y, block in blocks:
            src = source or block.get("source")
            for key, working in (("holidays", False), ("workdays", True)):
                for d in block.get(key) or []:
                    add(d, working, f"{key} of {y}", src)
            if y is not None and str(y).isdigit():
                entries.setdefault(int(y), {"holidays": set(), "workdays": set(), "source": src})
    else:
        raise ArrangementError("the file must be .csv or .json")

    if not entries:
        raise ArrangementError("no dates in the file")
    for y, entry in entries.items():
        both = entry["holidays"] & entry["workdays"]
        if both:
            raise ArrangementError(f"{min(both)} is listed both as a holiday and as a working day")
        weekdays = sorted(d for d in entry["workdays"] if d.weekday() < 5)
        if weekdays:
            raise ArrangementError(f"{weekdays[0]} is a weekday: only a Saturday or Sunday can be a "
                                   "make-up working day")
        if len(entry["holidays"]) < 7:
            raise ArrangementError(f"{y}: only {len(entry['holidays'])} holidays; a year's notice "
                                   "lists every day off of its seven festivals")
        entry["source"] = (entry["source"] or "").strip()[:200] or "imported"
    return entries


def store_arrangement(entries: dict[int, dict]) -> None:
    """Replace the imported years in the database, each in one transaction with the others."""
    from sqlalchemy import delete

    from server.extensions import db
    from server.review.models import CalendarDay

    for y, entry in sorted(entries.items()):
        db.session.execute(delete(CalendarDay).where(CalendarDay.year == y))
        for d in sorted(entry["holidays"] | entry["workdays"]):
            db.session.add(CalendarDay(day=d, year=y, working=d in entry["workdays"], source=entry["source"]))
    db.session.commit()
    reload_table()
