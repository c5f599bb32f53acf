"""What a user does with notifications: record subscription answers, read the message list."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select, update

from server.common.timeutil import now_utc
from server.errors import Problem, not_found, validation_failed
from server.extensions import db
from server.notifications import templates
from server.notifications.models import Notification, Subscription

ANSWERS = {"accept", "reject", "ban", "filter"}
# WeChat counts one-time accepts without a stated cap; a bound keeps a looping client harmless.
MAX_ONE_TIME = 50


def record_answers(user, answers: dict[str, str]) -> list[Subscription]:
    """`answers`: WeChat's wx.requestSubscribeMessage result, template id → accept/reject/ban/filter."""
    known = templates.by_id(current_app.config)
    problems = [Problem(f"results.{tid}", "subscriptions.unknown_template", "不认识这个消息模板")
                for tid in answers if tid not in known]
    problems += [Problem(f"results.{tid}", "subscriptions.bad_answer", "订阅结果只能是 accept、reject、ban 或 filter")
                 for tid, answer in answers.items() if tid in known and answer not in ANSWERS]
    if problems:
        raise validation_failed(problems)
    out = []
    now = now_utc()
    for tid, answer in answers.items():
        template = known[tid]
        sub = db.session.scalar(select(Subscription).where(Subscription.user_id == user.id,
                                                           Subscription.template_id == tid))
        if sub is None:
            sub = Subscription(user_id=user.id, template_id=tid, remaining=0, long_term=False)
            db.session.add(sub)
        sub.last_answer, sub.updated_at = answer, now
        if answer == "accept":
            if template.long_term:
                sub.long_term = True
            else:
                sub.remaining = min(MAX_ONE_TIME, (sub.remaining or 0) + 1)
        else:
            sub.long_term, sub.remaining = False, 0
        out.append(sub)
    db.session.flush()
    return out


def subscription_view(sub: Subscription) -> dict:
    kind = next((t.name for t in templates.configured(current_app.config).values() if t.id == sub.template_id), None)
    return {"template_id": sub.template_id, "template": kind, "long_term": sub.long_term,
            "remaining": None if sub.long_term else sub.remaining, "last_answer": sub.last_answer}


def templates_view() -> list[dict]:
    """What a mini-program passes to wx.requestSubscribeMessage (tmplIds)."""
    return [{"template": t.name, "template_id": t.id, "long_term": t.long_term}
            for t in templates.configured(current_app.config).values()]


@dataclass
class MessagePage:
    items: list[Notification]
    total: int
    unread: int
    page: int
    per_page: int


def list_messages(user, *, page: int = 1, per_page: int = 20, unread_only: bool = False) -> MessagePage:
    base = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        base = base.where(Notification.read_at.is_(None))
    rows = db.session.scalars(base.order_by(Notification.created_at.desc(), Notification.id.desc())
                              .offset((page - 1) * per_page).limit(per_page)).all()
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    unread = db.session.scalar(select(func.count()).where(Notification.user_id == user.id,
                                                          Notification.read_at.is_(None))) or 0
    return MessagePage(list(rows), total, unread, page, per_page)


def message_view(n: Notification) -> dict:
    from server.common.timeutil import iso_cn

    return {"id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "page": n.page,
            "filing_id": n.filing_id, "created_at": iso_cn(n.created_at), "read": n.read_at is not None,
            "read_at": iso_cn(n.read_at)}


def mark_read(user, message_id: int) -> Notification:
    n = db.session.get(Notification, message_id)
    if n is None or n.user_id != user.id:
        raise not_found("message", "没有找到这条消息")
    if n.read_at is None:
        n.read_at = now_utc()
    db.session.flush()
    return n


def mark_all_read(user) -> int:
    result = db.session.execute(update(Notification).where(Notification.user_id == user.id,
                                                           Notification.read_at.is_(None))
                                .values(read_at=now_utc()).execution_options(synchronize_session=False))
    return result.rowcount
