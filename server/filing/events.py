"""Status changes of a filing: every change is an event (who, when, from, to, note)."""
from __future__ import annotations

from dataclasses import dataclass

from server.common.timeutil import now_utc
from server.extensions import db
from server.filing.models import Filing, FilingEvent


@dataclass(frozen=True)
class Actor:
    kind: str  # user | staff | system
    id: int | None = None


SYSTEM = Actor("system")


def record_event(filing: Filing, actor: Actor, action: str, note: str | None = None,
                 to_status: str | None = None) -> FilingEvent:
    """Record an action; when to_status is given, the filing moves there in the same step."""
    from_status = filing.status
    now = now_utc()
    if to_status is not None:
        filing.status = to_status
    filing.updated_at = now
    event = FilingEvent(filing_id=filing.id, at=now, actor_kind=actor.kind, actor_id=actor.id,
                        action=action, from_status=from_status,
                        to_status=to_status if to_status is not None else from_status, note=note)
    db.session.add(event)
    # The message about a change is written in the change's own transaction (the outbox).
    from server.notifications.outbox import on_event

    on_event(filing, action, note)
    return event
