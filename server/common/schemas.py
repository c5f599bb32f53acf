from __future__ import annotations

from marshmallow import Schema, fields

from server.common.timeutil import to_cn


class CNDateTime(fields.DateTime):
    """Stored in UTC, shown in Asia/Shanghai."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(to_cn(value), attr, obj, **kwargs)


class StrictSchema(Schema):
    class Meta:
        ordered = True
