"""The OpenAPI document is the contract a front-end team builds on: what it says about errors,
authentication, bodies and headers is what the API does."""
from __future__ import annotations

import io
import json
import re

import pytest

from tests import contract
from tests.helpers_filing import make_ready_draft, png_bytes, setup_user

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/api/v1/openapi.json").json


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _ref(spec, ref: str):
    node = spec
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def test_error_schema_is_the_envelope_the_api_sends(spec, client):
    envelope = spec["components"]["schemas"]["Error"]
    assert envelope["required"] == ["error"]
    body = _ref(spec, envelope["properties"]["error"]["$ref"])
    assert body["properties"]["code"]["type"] == "string"
    assert set(body["required"]) == {"code", "message"}
    detail = _ref(spec, body["properties"]["details"]["items"]["$ref"])
    assert set(detail["required"]) == {"field", "code", "message"}
    default = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]["application/json"]["schema"]
    assert default == {"$ref": "#/components/schemas/Error"}
    # And what the API actually sends for a bad request has exactly that shape.
    resp = client.post("/api/v1/auth/dev", json={"openid": ""})
    assert resp.status_code == 422
    assert set(resp.json) == {"error"} and set(resp.json["error"]) <= set(body["properties"])
    assert {"field", "code", "message"} == set(resp.json["error"]["details"][0])


def test_every_operation_declares_the_error_envelope_and_a_chinese_summary(spec):
    for path, method, op in _operations(spec):
        where = f"{method.upper()} {path}"
        assert op["responses"].get("default") == {"$ref": "#/components/responses/DEFAULT_ERROR"}, where
        assert re.search(r"[\u4e00-\u9fff]", op.get("summary", "")), f"{where}: no Chinese summary"
        assert re.search(r"[\u4e00-\u9fff]", op.get("description", "")), f"{where}: no Chinese description"


def test_public_operations_need_no_token_and_the_others_do(spec, client):
    """`security: []` exactly on the operations that answer without a token."""
    public = {(p, m) for p, m, op in _operations(spec) if op.get("security") == []}
    assert ("/api/v1/auth/wechat", "post") in public and ("/api/v1/regions", "get") in public
    assert ("/api/v1/institutions", "get") in public and ("/api/v1/entry/{token}", "get") in public
    assert ("/api/v1/staff/auth/login", "post") in public
    for path, method, op in _operations(spec):
        resp = client.open(_concrete(path), method=method.upper(), json={})
        where = f"{method.upper()} {path}"
        if (path, method) in public:
            assert resp.status_code != 401, where
        elif "requestBody" in op or any(p["in"] == "query" and p.get("required") for p in op.get("parameters", [])):
            # The body is read before the token is: a bad body answers 422 first.
            assert resp.status_code in (401, 422), where
        else:
            assert resp.status_code == 401, f"{where}: {resp.status_code}"
            assert resp.json["error"]["code"] == "auth.required"


def test_upload_is_multipart_with_its_file_part(spec, client):
    body = spec["paths"]["/api/v1/filings/{filing_id}/documents"]["post"]["requestBody"]
    schema = _ref(spec, body["content"]["multipart/form-data"]["schema"]["$ref"])
    assert schema["properties"]["file"] == {"description": "JPG、PNG 或 PDF 文件", "type": "string",
                                            "format": "binary"}
    assert set(schema["required"]) == {"file", "doc_code"}
    owed = spec["paths"]["/api/v1/filings/{filing_id}/owed-proof"]["post"]["requestBody"]
    assert "file" in _ref(spec, owed["content"]["multipart/form-data"]["schema"]["$ref"])["required"]

    headers = setup_user(client)
    filing_id = client.post("/api/v1/filings", json={}, headers=headers).json["id"]
    missing = client.post(f"/api/v1/filings/{filing_id}/documents", data={"doc_code": "residence"},
                          headers=headers, content_type="multipart/form-data")
    assert missing.status_code == 422
    assert [(d["field"], d["code"]) for d in missing.json["error"]["details"]] == [("file", "field.required")]


def test_commitment_body_is_documented_both_ways(spec):
    body = spec["paths"]["/api/v1/filings/{filing_id}/commitment"]["post"]["requestBody"]
    assert set(body["content"]) == {"application/json", "multipart/form-data"}
    multipart = _ref(spec, body["content"]["multipart/form-data"]["schema"]["$ref"])
    assert multipart["properties"]["signature"]["format"] == "binary"
    as_json = _ref(spec, body["content"]["application/json"]["schema"]["$ref"])
    assert as_json["required"] == ["signature"]


def test_submit_documents_the_idempotency_key(spec, client):
    params = spec["paths"]["/api/v1/filings/{filing_id}/submit"]["post"]["parameters"]
    assert [p for p in params if p["in"] == "header"] == [{
        "in": "header", "name": "Idempotency-Key", "required": False,
        "description": "同一个值重复提交只会得到同一条备案（网络重试时带上）",
        "schema": {"type": "string", "maxLength": 128}}]


def test_file_answers_are_documented_as_files(spec):
    for path, media in [("/api/v1/filings/{filing_id}/commitment.pdf", "application/pdf"),
                        ("/api/v1/filings/{filing_id}/voucher.png", "image/png"),
                        ("/api/v1/staff/counter-codes/{code_id}.svg", "image/svg+xml")]:
        content = spec["paths"][path]["get"]["responses"]["200"]["content"]
        assert content[media]["schema"] == {"type": "string", "format": "binary"}, path


def test_upload_through_the_documented_form(client):
    headers = setup_user(client)
    draft = make_ready_draft(client, headers, "long_term_resident", proof="none")
    code = next(d["code"] for t in client.get("/api/v1/options").json["filing_types"]
                if t["code"] == "long_term_resident" for d in t["proof_documents"])
    resp = client.post(f"/api/v1/filings/{draft['id']}/documents", headers=headers,
                       data={"doc_code": code, "file": (io.BytesIO(png_bytes()), "a.png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 201, resp.json
    assert resp.json["document"]["doc_code"] == code and resp.json["document"]["mime"] == "image/png"


def test_every_json_success_answer_declares_its_schema(spec):
    for path, method, op in _operations(spec):
        for status, resp in op["responses"].items():
            if not status.startswith("2") or status == "204":
                continue
            content = resp.get("content")
            assert content, f"{method.upper()} {path} {status}: no body declared"
            if "application/json" in content:
                assert content["application/json"].get("schema"), f"{method.upper()} {path} {status}"


def test_the_suite_wide_contract_check_catches_drift(spec, client):
    """tests/contract.py checks every answer the suite receives; here it is shown refusing a
    body that lost a key, gained one, changed a type, or came with an undeclared status."""
    checker = contract.ResponseContract(spec)
    where, op = checker.operation("/api/v1/filings/<int:filing_id>", "GET")
    headers = setup_user(client)
    view = client.post("/api/v1/filings", json={}, headers=headers).json
    checker.check(where, op, 200, "application/json", json.dumps(view).encode())  # as sent: fine
    for broken in ({k: v for k, v in view.items() if k != "missing"}, {**view, "surprise": 1},
                   {**view, "id": str(view["id"])}, {**view, "result": {"number": None}}):
        with pytest.raises(contract.ContractViolation):
            checker.check(where, op, 200, "application/json", json.dumps(broken).encode())
    where, op = checker.operation("/api/v1/auth/logout", "POST")
    with pytest.raises(contract.ContractViolation, match="does not match"):  # 200 is not declared: only errors
        checker.check(where, op, 200, "application/json", b'{"ok": true}')
    without_default = {**op, "responses": {"204": op["responses"]["204"]}}
    with pytest.raises(contract.ContractViolation, match="not declared"):
        checker.check(where, without_default, 418, "application/json", b"{}")
