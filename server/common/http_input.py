"""Request input the schemas never see the shape of: path integers beyond what a database column
holds, and (see `register`) the checks every request passes before a view runs."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

# The largest id any table here can hold (BIGINT / SQLite INTEGER); larger ones cannot exist.
MAX_ID = 2**63 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: a non-negative integer that fits a database integer, else 404."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _id_param_schema(converter) -> dict:
    return {"type": "integer", "minimum": 0, "maximum": MAX_ID}


def register(app, api) -> None:
    """Before the blueprints: routes pick up the bounded converter when they are added."""
    app.url_map.converters["int"] = IdConverter
    api.register_converter(IdConverter, _id_param_schema)
