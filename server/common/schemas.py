from __future__ import annotations

from datetime import date, datetime

from marshmallow import Schema, ValidationError, fields, post_load

from server.common.timeutil import to_cn

# What any field here can mean: ids and counts fit a database integer; dates are within two
# centuries (birth dates from 1900, filings a few years ahead), which keeps date arithmetic and
# time-zone conversion away from the ends of the calendar.
MAX_INT = 2**63 - 1
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2199, 12, 31)


class CNDateTime(fields.DateTime):
    """Stored in UTC, shown in Asia/Shanghai."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(to_cn(value), attr, obj, **kwargs)


def _out_of_bounds(value) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and not -MAX_INT <= value <= MAX_INT:
        return "数值太大"
    if isinstance(value, (date, datetime)):
        day = value.date() if isinstance(value, datetime) else value
        if not MIN_DATE <= day <= MAX_DATE:
            return f"日期超出范围（{MIN_DATE.year}年至{MAX_DATE.year}年）"
    return None


class StrictSchema(Schema):
    class Meta:
        ordered = True

    @post_load
    def _within_bounds(self, data, **kwargs):
        """One place for every schema: numbers and dates a field type accepts but nothing here can use."""
        errors = {}
        for name, value in data.items():
            values = value if isinstance(value, list) else [value]
            for item in values:
                problem = _out_of_bounds(item)
                if problem:
                    errors[name] = [problem]
                    break
        if errors:
            raise ValidationError(errors)
        return data

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
