"""JSON answers encoded with orjson: the same bytes as Flask's own encoder, for less CPU.

Flask's default provider sorts keys, writes non-ASCII as is (the app sets ensure_ascii off), and
turns dates, Decimals, UUIDs and dataclasses into text through its `_default`. orjson does the
sorting and the plain types itself and hands the rest to the same `_default`, so an answer does
not change. Whatever orjson refuses (an integer beyond 64 bits, a lone surrogate) goes through the
default provider as before, and so does `dumps` (its spaced separators are not orjson's). Parsing
stays with the standard library: its behaviour on odd input (big integers, NaN, deep nesting) is
what the input checks were written against.
"""
from __future__ import annotations

import typing as t

import orjson
from flask.json.provider import DefaultJSONProvider, _default

_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_PASSTHROUGH_DATACLASS)


class OrjsonProvider(DefaultJSONProvider):
    ensure_ascii = False

    def _fast(self) -> bool:
        # Pretty output (debug mode, compact=False) and ASCII-only output stay with the default.
        return not self.ensure_ascii and self.sort_keys and not (
            (self.compact is None and self._app.debug) or self.compact is False)

    def response(self, *args: t.Any, **kwargs: t.Any):
        if not self._fast():
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        try:
            body = orjson.dumps(obj, default=_default, option=_OPTIONS | orjson.OPT_APPEND_NEWLINE)
        except (orjson.JSONEncodeError, TypeError):
            return super().response(obj)
        return self._app.response_class(body, mimetype=self.mimetype)
