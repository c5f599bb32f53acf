"""Times are stored in UTC and shown in Asia/Shanghai; 'today' for a user is the Shanghai date."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def today_cn() -> date:
    return datetime.now(SHANGHAI).date()


def to_cn(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is None:  # stored naive in UTC by some backends (SQLite)
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(SHANGHAI)


def iso_cn(dt: datetime | None) -> str | None:
    dt = to_cn(dt)
    return dt.isoformat(timespec="seconds") if dt else None
