"""订阅消息与站内消息."""
from __future__ import annotations

from marshmallow import fields, validate

from server.accounts.tokens import current_user, user_required
from server.common.openapi import Blueprint
from server.common.schemas import StrictSchema, page_body
from server.notifications import service
from server.notifications.schemas import (MarkedSchema, MessagePageSchema, NotificationSchema, SubscriptionsRecordedSchema,
                                          SubscriptionsSchema)

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="消息通知")


class SubscriptionAnswersSchema(StrictSchema):
    results = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=64)),
                          values=fields.String(validate=validate.Length(max=16)), required=True,
                          validate=validate.Length(min=1, max=20),
                          metadata={"description": "wx.requestSubscribeMessage 的结果：模板 id → accept / reject / ban / filter"})


class MessageQuerySchema(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    unread = fields.Boolean(load_default=False)


@blp.get("/me/subscriptions")
@blp.response(200, SubscriptionsSchema, dump=False)
@user_required
def get_subscriptions():
    """订阅消息：可订阅的模板和本人的订阅情况

    templates 里的 template_id 传给 wx.requestSubscribeMessage；subscriptions 是本人每个模板的订阅情况。
    """
    from sqlalchemy import select

    from server.extensions import db
    from server.notifications.models import Subscription

    subs = db.session.scalars(select(Subscription).where(Subscription.user_id == current_user().id)).all()
    return {"templates": service.templates_view(), "subscriptions": [service.subscription_view(s) for s in subs]}


@blp.post("/me/subscriptions")
@blp.arguments(SubscriptionAnswersSchema)
@blp.response(200, SubscriptionsRecordedSchema, dump=False)
@user_required
def post_subscriptions(body):
    """记录订阅结果

    小程序调用 wx.requestSubscribeMessage 后把结果（模板 id → accept / reject / ban / filter）发来。
    """
    subs = service.record_answers(current_user(), body["results"])
    return {"subscriptions": [service.subscription_view(s) for s in subs]}


@blp.get("/messages")
@blp.arguments(MessageQuerySchema, location="query")
@blp.response(200, MessagePageSchema, dump=False)
@user_required
def list_messages(args):
    """站内消息

    审核结果、补交材料和到期提醒等，最新的在前；unread=true 时只看未读的。
    """
    page = service.list_messages(current_user(), page=args["page"], per_page=args["per_page"],
                                 unread_only=args["unread"])
    body = page_body([service.message_view(n) for n in page.items], page=page.page,
                     per_page=page.per_page, has_more=page.page * page.per_page < page.total,
                     total=page.total)
    return {**body, "unread": page.unread}


@blp.post("/messages/<int:message_id>/read")
@blp.response(200, NotificationSchema, dump=False)
@user_required
def read_message(message_id):
    """标记一条消息为已读

    返回这条消息。
    """
    return service.message_view(service.mark_read(current_user(), message_id))


@blp.post("/messages/read-all")
@blp.response(200, MarkedSchema, dump=False)
@user_required
def read_all():
    """全部标记为已读

    返回标记了几条。
    """
    return {"marked": service.mark_all_read(current_user())}
