"""The shapes of the notification answers."""
from __future__ import annotations

from marshmallow import fields

from server.common.schemas import CNDateTime, PageSchema, ResponseSchema


class TemplateSchema(ResponseSchema):
    template = fields.String(metadata={"description": "用途，如 review_result"})
    template_id = fields.String(metadata={"description": "传给 wx.requestSubscribeMessage 的 tmplIds"})
    long_term = fields.Boolean()


class SubscriptionSchema(ResponseSchema):
    template_id = fields.String()
    template = fields.String(allow_none=True)
    long_term = fields.Boolean()
    remaining = fields.Integer(allow_none=True, metadata={"description": "一次性订阅还能发几条（长期订阅为 null）"})
    last_answer = fields.String(allow_none=True)


class SubscriptionsSchema(ResponseSchema):
    templates = fields.List(fields.Nested(TemplateSchema))
    subscriptions = fields.List(fields.Nested(SubscriptionSchema))


class SubscriptionsRecordedSchema(ResponseSchema):
    subscriptions = fields.List(fields.Nested(SubscriptionSchema))


class NotificationSchema(ResponseSchema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    body = fields.String(allow_none=True)
    page = fields.String(allow_none=True, metadata={"description": "点开后进入的小程序页面"})
    filing_id = fields.Integer(allow_none=True)
    created_at = CNDateTime()
    read = fields.Boolean()
    read_at = CNDateTime(allow_none=True)


class MessagePageSchema(PageSchema):
    items = fields.List(fields.Nested(NotificationSchema))
    unread = fields.Integer(metadata={"description": "未读条数"})


class MarkedSchema(ResponseSchema):
    marked = fields.Integer(metadata={"description": "标记为已读的条数"})
