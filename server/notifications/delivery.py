"""Delivering the outbox through WeChat's subscribeMessage.send.

Each message is claimed (committed) before it is sent and marked (committed) right after, one at a
time: a worker killed between the two leaves only that one message to be sent again, once its claim
lapses. Two workers never take the same message (a single UPDATE claims it; on PostgreSQL the
candidate row is locked with SKIP LOCKED, so workers pass each other instead of waiting)."""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from server.common.timeutil import now_utc
from server.extensions import db
from server.notifications import templates
from server.notifications.messages import template_data
from server.notifications.models import Notification, Subscription

log = logging.getLogger(__name__)

CLAIM_SECONDS = 120  # longer than the WeChat call's whole deadline
MAX_ATTEMPTS = 8
NO_SUBSCRIPTION = {43101}         # the user has no subscription left or refused: the list only
RETRY = {45009, -1}               # over the daily quota, WeChat busy: later
BAD_CONTENT = {47003, 40037, 41030}  # bad field value, bad template id, bad page: an operator looks
TOKEN = {40001, 42001}            # still refused after the gateway refreshed the token once


@dataclass
class Report:
    sent: int = 0
    in_app: int = 0
    retried: int = 0
    dead: int = 0
    ids: list[int] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at an hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def _claim(now: datetime) -> Notification | None:
    token = secrets.token_hex(8)
    due = or_(and_(Notification.delivery == "pending", Notification.next_attempt_at <= now),
              and_(Notification.delivery == "sending", Notification.claimed_until < now))
    candidate = select(Notification.id).where(due).order_by(Notification.id).limit(1)
    if db.engine.dialect.name == "postgresql":
        candidate = candidate.with_for_update(skip_locked=True)
    result = db.session.execute(
        update(Notification).where(Notification.id == candidate.scalar_subquery(), due)
        .values(delivery="sending", claim=token, claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
                attempts=Notification.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    if result.rowcount != 1:
        return None
    return db.session.scalar(select(Notification).where(Notification.claim == token))


def _finish(row: Notification, **values) -> None:
    db.session.execute(update(Notification).where(Notification.id == row.id, Notification.claim == row.claim)
                       .values(claim=None, claimed_until=None, **values)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def _subscription(user_id: int, template: templates.Template) -> Subscription | None:
    sub = db.session.scalar(select(Subscription).where(Subscription.user_id == user_id,
                                                       Subscription.template_id == template.id))
    if sub is None or not (sub.long_term or sub.remaining > 0):
        return None
    return sub


def _use_subscription(sub: Subscription) -> None:
    if not sub.long_term:
        db.session.execute(update(Subscription).where(Subscription.id == sub.id, Subscription.remaining > 0)
                           .values(remaining=Subscription.remaining - 1)
                           .execution_options(synchronize_session=False))


def _drop_subscription(sub: Subscription) -> None:
    db.session.execute(update(Subscription).where(Subscription.id == sub.id).values(remaining=0)
                       .execution_options(synchronize_session=False))


def _send(row: Notification, template: templates.Template, openid: str) -> None:
    """Through the gateway's authenticated call, which refreshes an expired access token once."""
    from server.wechat import WeChatGateway

    gateway = WeChatGateway.from_app()
    state = {"release": "formal", "trial": "trial", "develop": "developer"}[gateway.env_version]
    body = {"touser": openid, "template_id": template.id, "page": row.page,
            "data": template_data(template.fields, row.facts or {}), "miniprogram_state": state,
            "lang": "zh_CN"}
    # Not idempotent: a retry after a lost answer could send the message twice.
    gateway.call_json("POST", "/cgi-bin/message/subscribe/send", what="subscribe_send", json=body)


def deliver_one(row: Notification, now: datetime) -> str:
    from server.accounts.models import User
    from server.wechat import WeChatError

    template = templates.for_kind(current_app.config, row.kind)
    user = db.session.get(User, row.user_id)
    sub = _subscription(row.user_id, template) if template and user else None
    if sub is None:
        _finish(row, delivery="in_app", last_error="no_template" if template is None else "no_subscription")
        return "in_app"
    try:
        _send(row, template, user.openid)
    except WeChatError as exc:
        if exc.errcode in NO_SUBSCRIPTION:
            _drop_subscription(sub)
            _finish(row, delivery="in_app", last_error=f"errcode {exc.errcode}")
            return "in_app"
        if exc.errcode in BAD_CONTENT or (exc.errcode is not None and exc.errcode not in RETRY | TOKEN):
            log.warning("notification %s dead: errcode %s", row.id, exc.errcode)
            _finish(row, delivery="dead", last_error=f"errcode {exc.errcode}")
            return "dead"
        if row.attempts >= MAX_ATTEMPTS:
            _finish(row, delivery="dead", last_error=f"gave up after {row.attempts} attempts ({exc.kind})")
            return "dead"
        _finish(row, delivery="pending", next_attempt_at=now + backoff(row.attempts),
                last_error=f"{exc.kind} {exc.errcode or ''}".strip())
        return "retried"
    _use_subscription(sub)
    _finish(row, delivery="sent", sent_at=now_utc(), last_error=None)
    return "sent"


def deliver_pending(limit: int = 200, now: datetime | None = None) -> Report:
    report = Report()
    for _ in range(limit):
        at = now or now_utc()
        row = _claim(at)
        if row is None:
            break
        outcome = deliver_one(row, at)
        setattr(report, outcome, getattr(report, outcome) + 1)
        report.ids.append(row.id)
    return report


def dead_letters() -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.delivery == "dead")
                                   .order_by(Notification.id)))


def retry_dead(ids: list[int] | None = None) -> int:
    stmt = update(Notification).where(Notification.delivery == "dead")
    if ids:
        stmt = stmt.where(Notification.id.in_(ids))
    result = db.session.execute(stmt.values(delivery="pending", attempts=0, next_attempt_at=now_utc())
                                .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount
