"""Each response example in the OpenAPI document is a real answer (scripts/collect_examples.py)
that still matches its operation's schema, and every JSON success answer the document declares has
one, so a client written from the document sees what a body really looks like."""
from __future__ import annotations

import json

import pytest

from server.common.openapi import EXAMPLES_FILE
from tests.contract import ResponseContract

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/api/v1/openapi.json").json


def _json_responses(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            for status, response in op["responses"].items():
                media = response.get("content", {}).get("application/json")
                if media is not None and "schema" in media:
                    yield f"{method.upper()} {path}", status, media


def test_every_example_matches_its_schema(spec):
    contract = ResponseContract(spec)
    checked = 0
    for where, status, media in _json_responses(spec):
        if "example" not in media:
            continue
        errors = list(contract._validator(media["schema"]).iter_errors(media["example"]))
        assert not errors, f"{where} {status}: {errors[0].message[:300]} (run scripts/collect_examples.py)"
        checked += 1
    assert checked >= 60


def test_every_json_success_answer_has_an_example(spec):
    missing = [f"{where} {status}" for where, status, media in _json_responses(spec)
               if status.startswith("2") and "example" not in media]
    assert not missing, f"no example for {missing} (run scripts/collect_examples.py)"


def test_no_example_names_an_operation_or_status_the_document_lacks(spec):
    declared = {(where, status) for where, status, _ in _json_responses(spec)}
    stored = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))
    stale = [f"{op} {status}" for op, by_status in stored.items() for status in by_status
             if (op, status) not in declared]
    assert not stale, f"examples for answers the API no longer documents: {stale}"
