"""Writing messages: in the caller's transaction, so a status change and its message commit together
(or neither does). Delivery is the worker's (delivery.py)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from server.common.timeutil import now_utc
from server.extensions import db
from server.notifications.messages import FilingFacts, compose
from server.notifications.models import Notification

# Status changes that the person hears about, by the event's action.
KIND_OF_ACTION = {
    "approved": "approved", "rejected": "rejected", "returned": "returned",
    "cancelled": "cancelled", "superseded": "changed", "expired": "ended",
}


def facts_of(filing, **extra) -> FilingFacts:
    from server.filing import rules
    from server.regions.catalogue import get_catalogue

    ftype = rules.FILING_TYPES.get(filing.filing_type or "")
    region = get_catalogue().get(filing.visit_region_code or "")
    return FilingFacts(filing_id=filing.id, filing_type_label=ftype.label if ftype else "异地就医",
                       visit_place=region.name if region else None, number=filing.number,
                       end_date=filing.end_date, proof_due_date=filing.proof_due_date, **extra)


def enqueue(user_id: int, filing, kind: str, *, dedupe_key: str | None = None,
            now: datetime | None = None, **extra) -> Notification | None:
    """Adds the message to the session; None when a message with this dedupe_key exists already."""
    if dedupe_key is not None and db.session.scalar(
            select(Notification.id).where(Notification.dedupe_key == dedupe_key)) is not None:
        return None
    now = now or now_utc()
    msg = compose(kind, facts_of(filing, **extra))
    row = Notification(user_id=user_id, filing_id=filing.id, kind=kind, dedupe_key=dedupe_key,
                       title=msg.title, body=msg.body, page=msg.page, facts=msg.facts,
                       created_at=now, delivery="pending", attempts=0, next_attempt_at=now)
    db.session.add(row)
    return row


def on_event(filing, action: str, note: str | None) -> None:
    """Called for every recorded event of a filing (filing.events.record_event)."""
    kind = KIND_OF_ACTION.get(action)
    if kind is None:
        return
    extra = {"reason": note} if kind in ("rejected", "returned") else {}
    enqueue(filing.owner_id, filing, kind, **extra)


def on_verified(filing, hospital: str, at: datetime, institution_id: int) -> None:
    """A counter checked this filing: one message per hospital and day, however often it checks."""
    enqueue(filing.owner_id, filing, "verified", hospital=hospital, at=at,
            dedupe_key=f"verified:{filing.id}:{institution_id}:{at.date().isoformat()}")


def enqueue_reminders(today: date) -> int:
    """Proof owed in 7 days or overdue, temporary filings ending in 7 days. Each reminder once per
    filing and date (the dedupe key), so the job may run any number of times a day."""
    from datetime import timedelta

    from server.filing import rules
    from server.filing.models import Filing

    soon = today + timedelta(days=7)
    count = 0
    owing = db.session.scalars(select(Filing).where(
        Filing.status == "approved", Filing.proof_due_date.is_not(None),
        Filing.proof_supplied_at.is_(None), Filing.proof_due_date <= soon)).all()
    for f in owing:
        if not rules.owes_proof(f.filing_type, f.proof_mode):
            continue
        kind = "proof_overdue" if f.proof_due_date < today else "proof_due_soon"
        if enqueue(f.owner_id, f, kind, dedupe_key=f"{kind}:{f.id}:{f.proof_due_date.isoformat()}"):
            count += 1
    temporary = [code for code, t in rules.FILING_TYPES.items() if not t.is_long_term]
    ending = db.session.scalars(select(Filing).where(
        Filing.status == "approved", Filing.filing_type.in_(temporary), Filing.end_date.is_not(None),
        Filing.end_date >= today, Filing.end_date <= soon)).all()
    for f in ending:
        if enqueue(f.owner_id, f, "ending_soon", dedupe_key=f"ending_soon:{f.id}:{f.end_date.isoformat()}"):
            count += 1
    db.session.flush()
    return count
