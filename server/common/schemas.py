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


class ResponseSchema(StrictSchema):
    """An answer's shape. Every field is always present (required in the document, so generated
    client types need no optional checks) unless it says `metadata={"optional": True}`; `null`
    only where a field allows it."""

    def on_bind_field(self, field_name, field_obj):
        field_obj.required = not field_obj.metadata.get("optional", False)


class CodeLabelSchema(ResponseSchema):
    code = fields.String()
    label = fields.String()


class PageSchema(ResponseSchema):
    """The one pagination shape: `items` plus page, per_page, has_more, and total where it is cheap
    to count (null otherwise)."""

    page = fields.Integer(metadata={"description": "页码，从 1 开始"})
    per_page = fields.Integer(metadata={"description": "每页条数"})
    has_more = fields.Boolean(metadata={"description": "后面还有没有"})
    total = fields.Integer(allow_none=True, metadata={"description": "总条数；统计代价大时为 null"})


def page_of(item_schema, name: str) -> type[PageSchema]:
    """A PageSchema subclass whose `items` are `item_schema` (named `name` in the document)."""
    return type(name, (PageSchema,), {"items": fields.List(fields.Nested(item_schema))})


def page_body(items: list, *, page: int, per_page: int, has_more: bool, total: int | None) -> dict:
    return {"items": items, "page": page, "per_page": per_page, "has_more": has_more, "total": total}
