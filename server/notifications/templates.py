"""Subscribe-message templates from configuration, checked when the app starts.

WECHAT_TEMPLATES is JSON, one entry per kind of template:
  {"review_result": {"id": "<template id>", "long_term": false,
                     "fields": {"thing1": "filing_type", "phrase2": "result", "thing3": "note"}}}
Each field maps a template key to a fact of the message (see MEANINGS)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from server.notifications.messages import _LIMITS, TEMPLATE_OF_KIND, field_type

MEANINGS = {"filing_type", "result", "note", "date", "time", "number", "place", "title"}
NAMES = set(TEMPLATE_OF_KIND.values())


@dataclass(frozen=True)
class Template:
    name: str
    id: str
    long_term: bool
    fields: dict[str, str]


def parse(raw: str | dict | None) -> dict[str, Template]:
    if not raw:
        return {}
    data = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(data, dict):
        raise ValueError("WECHAT_TEMPLATES must be a JSON object")
    out = {}
    for name, spec in data.items():
        if name not in NAMES:
            raise ValueError(f"WECHAT_TEMPLATES: unknown template {name!r} (known: {sorted(NAMES)})")
        if not isinstance(spec, dict) or not spec.get("id") or not isinstance(spec.get("fields"), dict):
            raise ValueError(f"WECHAT_TEMPLATES[{name!r}] needs an id and fields")
        for key, meaning in spec["fields"].items():
            if field_type(key) not in _LIMITS:
                raise ValueError(f"WECHAT_TEMPLATES[{name!r}]: unknown field type in {key!r}")
            if meaning not in MEANINGS:
                raise ValueError(f"WECHAT_TEMPLATES[{name!r}]: {key!r} maps to unknown fact {meaning!r}")
        out[name] = Template(name, str(spec["id"]), bool(spec.get("long_term", False)), dict(spec["fields"]))
    return out


@lru_cache(maxsize=8)
def _parse_text(raw: str) -> dict[str, Template]:
    return parse(raw)


def configured(config) -> dict[str, Template]:
    # Every outbox write asks; the setting is a string that never changes while a process runs.
    # Callers must not mutate the answer, which the cache shares.
    raw = config.get("WECHAT_TEMPLATES")
    return _parse_text(raw) if isinstance(raw, str) else parse(raw)


def for_kind(config, kind: str) -> Template | None:
    return configured(config).get(TEMPLATE_OF_KIND[kind])


def by_id(config) -> dict[str, Template]:
    return {t.id: t for t in configured(config).values()}
