"""One way to page through a query: `per_page + 1` rows tell whether more follow; the total is
counted only when asked (and skipped when the first page already holds everything)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from server.extensions import db


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    has_more: bool
    total: int | None


def fetch_page(query, page: int, per_page: int, *, count: bool = True) -> Page:
    rows = list(db.session.scalars(query.limit(per_page + 1).offset((page - 1) * per_page)))
    has_more = len(rows) > per_page
    rows = rows[:per_page]
    total = None
    if page == 1 and not has_more:
        total = len(rows)
    elif count:
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return Page(rows, page, per_page, has_more, total)
