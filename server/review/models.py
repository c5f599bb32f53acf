from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.common.models import UTCDateTime
from server.common.timeutil import now_utc
from server.extensions import db


class CalendarDay(db.Model):
    """One day of a published holiday arrangement that differs from Monday-to-Friday: a day off
    (holiday or 调休 rest) or a weekend day that is a working day (补班). Imported per year with
    `flask holidays import`; every app server reads the same table."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    working: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
