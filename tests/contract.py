"""Every answer the test suite receives is checked against the OpenAPI document: its status is
declared for the operation, its media type too, and a JSON body matches the declared schema.

So the document cannot drift from the code: a key added to a view without its schema, a status
nobody declared, or a prebuilt body (hot paths skip the schema dump) that differs from its schema
fails the test that caused it, with the operation and the path inside the body in the message.
"""
from __future__ import annotations

import json
import os
import re

from flask import request
from openapi_schema_validator import OAS30Validator

_RULE_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

SAMPLES = os.environ.get("CONTRACT_SAMPLES")  # a file to append (operation, status, body) lines to


class ContractViolation(AssertionError):
    pass


class ResponseContract:
    def __init__(self, spec: dict):
        self.spec = spec
        self.components = spec.get("components", {})
        self._validators: dict[str, OAS30Validator] = {}

    def operation(self, rule: str, method: str) -> tuple[str, dict] | None:
        path = _RULE_ARG.sub(r"{\1}", rule)
        op = self.spec["paths"].get(path, {}).get(method.lower())
        return (f"{method.upper()} {path}", op) if op else None

    def _validator(self, schema: dict) -> OAS30Validator:
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            self._validators[key] = OAS30Validator(
                {"allOf": [schema], "components": self.components},
                format_checker=OAS30Validator.FORMAT_CHECKER)
        return self._validators[key]

    def _response_doc(self, op: dict, status: int) -> dict | None:
        doc = op["responses"].get(str(status)) or op["responses"].get("default")
        while doc is not None and "$ref" in doc:
            doc = self._ref(doc["$ref"])
        return doc

    def _ref(self, ref: str) -> dict:
        node = self.spec
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return node

    def check(self, where: str, op: dict, status: int, mimetype: str, body: bytes) -> None:
        if SAMPLES:  # collecting shapes, not judging them
            if mimetype == "application/json" and body:
                with open(SAMPLES, "a", encoding="utf-8") as f:
                    f.write(json.dumps({"op": where, "status": status, "body": json.loads(body)},
                                       ensure_ascii=False) + "\n")
            return
        doc = self._response_doc(op, status)
        if doc is None:
            raise ContractViolation(f"{where}: status {status} is not declared")
        if status == 304 or status == 204 or not body:
            return
        content = doc.get("content")
        if not content:
            raise ContractViolation(f"{where} {status}: the document declares no body, the API sent one")
        if mimetype not in content:
            raise ContractViolation(f"{where} {status}: {mimetype} is not declared ({sorted(content)})")
        schema = content[mimetype].get("schema")
        if mimetype != "application/json":
            return
        if not schema:
            raise ContractViolation(f"{where} {status}: the JSON body has no declared schema")
        data = json.loads(body)
        errors = sorted(self._validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            lines = [f"  at /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:8]]
            raise ContractViolation(f"{where} {status}: the body does not match its schema (declare a new key "
                                    f"in the answering module's schemas.py)\n" + "\n".join(lines))


def install(app) -> ResponseContract:
    """Check every answer of `app` against its own OpenAPI document (tests only)."""
    contract = ResponseContract({"paths": {}})

    @app.after_request
    def _check_contract(response):
        rule = request.url_rule
        if rule is None or response.direct_passthrough:
            return response
        found = contract.operation(rule.rule, request.method)
        if found is not None:
            where, op = found
            contract.check(where, op, response.status_code, response.mimetype, response.get_data())
        return response

    # The hook is in place before the first request (Flask refuses it later); the document is
    # read through the app itself, so it is exactly what clients get.
    contract.__init__(app.test_client().get("/api/v1/openapi.json").json)
    return contract
