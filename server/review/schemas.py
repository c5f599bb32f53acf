"""The shapes of the reviewers' answers."""
from __future__ import annotations

from marshmallow import fields

from server.common.schemas import CNDateTime, page_of
from server.records.schemas import RecordDetailSchema, RecordSummarySchema


class QueueItemSchema(RecordSummarySchema):
    review_due_at = CNDateTime(allow_none=True, metadata={"description": "审核截止时间"})
    overdue = fields.Boolean(metadata={"description": "是否已超过审核时限"})
    due_message = fields.String(allow_none=True)
    person_id_masked = fields.String(allow_none=True)


QueuePageSchema = page_of(QueueItemSchema, "QueuePageSchema")


class ReviewDetailSchema(RecordDetailSchema):
    overdue = fields.Boolean()
