"""docs/chat.md's card list and the OpenAPI document describe the same cards with the same fields."""
from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "chat.md"


def _documented_cards() -> dict[str, tuple[set[str], set[str]]]:
    """name → (fields always present, fields that may be absent), from the marked list."""
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- cards:", 1)[1].split("<!-- /cards -->", 1)[0]
    block = block.split("-->", 1)[1]
    items = re.split(r"\n- ", "\n" + block.strip())
    out = {}
    for item in filter(None, (i.strip() for i in items)):
        name, rest = item.split(":", 1)
        rest = re.sub(r"\([^()]*(\([^()]*\)[^()]*)*\)", "", rest)  # drop the explanations
        names = re.findall(r"`([a-z_]+)`(\?)?", rest)
        out[name.strip("` ")] = ({n for n, q in names if not q}, {n for n, q in names if q})
    return out


def _openapi_cards(spec) -> dict[str, tuple[set[str], set[str]]]:
    schemas = spec["components"]["schemas"]
    replies = schemas["ChatTurn"]["properties"]["replies"]["items"]["oneOf"]
    out = {}
    for ref in replies:
        schema = schemas[ref["$ref"].rsplit("/", 1)[1]]
        props = schema["properties"]
        if props["type"]["enum"] != ["card"]:
            continue
        fields = set(props) - {"type", "card"}
        required = set(schema.get("required", [])) - {"type", "card"}
        out[props["card"]["enum"][0]] = (required, fields - required)
    return out


def test_docs_card_list_matches_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    documented, declared = _documented_cards(), _openapi_cards(spec)
    assert sorted(documented) == sorted(declared), "docs/chat.md and the OpenAPI document list different cards"
    for name in declared:
        assert documented[name] == declared[name], f"card {name}: docs/chat.md {documented[name]} != document {declared[name]}"


def test_the_parser_reads_the_marked_list():
    cards = _documented_cards()
    assert cards["summary"][0] == {"title", "fields", "actions"}
    assert cards["identity_request"] == ({"method", "url"}, {"text"})
