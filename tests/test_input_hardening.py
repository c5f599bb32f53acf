"""Input no schema field guards on its own: each answers a 4xx in the error envelope, never a 500."""
from __future__ import annotations

import pytest

HUGE = str(2**64 + 7)


def assert_envelope(resp, status: int | tuple[int, ...]):
    statuses = status if isinstance(status, tuple) else (status,)
    assert resp.status_code in statuses, (resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.is_json and set(resp.json) == {"error"}, resp.get_data(as_text=True)[:300]
    return resp.json["error"]


@pytest.mark.parametrize("path", [f"/api/v1/filings/{HUGE}", f"/api/v1/filings/{HUGE}/documents/1",
                                  f"/api/v1/records/1/documents/{HUGE}", f"/api/v1/family-members/{HUGE}"])
def test_path_integers_beyond_a_database_integer_are_not_found(client, auth, path):
    assert_envelope(client.get(path, headers=auth), 404)


def raw_json(client, method, path, body: str, headers):
    """Send JSON text as written (escapes such as \\ud800 reach the server unchanged)."""
    return client.open(path, method=method, data=body.encode("utf-8"), headers=headers,
                       content_type="application/json")


@pytest.mark.parametrize("body", ['{"name": "张\\u0000三"}', '{"nickname": "a\\ud800b"}',
                                  '{"name": "张三", "nickname": "\\udfff"}'])
def test_nul_and_lone_surrogates_in_json_are_refused_with_the_field(client, auth, body):
    # PostgreSQL refuses NUL in text (a 500 before); a lone surrogate cannot be encoded on either.
    error = assert_envelope(raw_json(client, "PATCH", "/api/v1/me", body, auth), 422)
    assert error["details"][0]["field"] in ("name", "nickname")
    assert error["details"][0]["code"] == "field.invalid_characters"
    assert client.get("/api/v1/me", headers=auth).json["name"] is None  # nothing stored


def test_nul_in_nested_json_names_the_path(client, auth):
    draft = client.post("/api/v1/filings", json={"applicant": "self"}, headers=auth)
    assert draft.status_code == 201, draft.json
    body = '{"contact_name": "李四", "address": {"line": ["x", "李\\u0000"]}}'
    error = assert_envelope(raw_json(client, "PATCH", f"/api/v1/filings/{draft.json['id']}", body, auth), 422)
    assert error["details"][0]["field"] == "address.line.1"


@pytest.mark.parametrize("path", ["/api/v1/institutions?q=%E5%8C%BB%00", "/api/v1/regions?q=%00",
                                  "/api/v1/records?person=%00"])
def test_nul_in_query_is_refused(client, auth, path):
    error = assert_envelope(client.get(path, headers=auth), 422)
    assert error["details"][0]["code"] == "field.invalid_characters"


def test_nul_in_form_field_is_refused(client, auth):
    import io
    draft = client.post("/api/v1/filings", json={"applicant": "self"}, headers=auth).json
    resp = client.post(f"/api/v1/filings/{draft['id']}/documents", headers=auth,
                       data={"doc_code": "referral\x00", "file": (io.BytesIO(b"x"), "a.png")},
                       content_type="multipart/form-data")
    assert assert_envelope(resp, 422)["details"][0]["field"] == "doc_code"


def test_json_nested_1000_deep_is_a_400(client, auth):
    body = '{"name": ' + "[" * 1000 + "]" * 1000 + "}"
    error = assert_envelope(raw_json(client, "PATCH", "/api/v1/me", body, auth), 400)
    assert error["code"] == "request.too_deep"
    body = '{"name": ' + "[" * 40 + "]" * 40 + "}"
    assert assert_envelope(raw_json(client, "PATCH", "/api/v1/me", body, auth), 400)["code"] == "request.too_deep"


@pytest.mark.parametrize("query", [f"page={HUGE}", f"page={2**62}", f"per_page={HUGE}", "person=²",
                                   f"person={HUGE}", "person=٣"])
def test_paging_and_person_beyond_range_are_422(client, auth, query):
    assert_envelope(client.get(f"/api/v1/records?{query}", headers=auth), 422)


def test_review_queue_paging_beyond_range_is_422(client, app):
    from tests.test_fuzz_openapi import PASSWORD
    from server.accounts.staff import create_staff
    from server.extensions import db
    with app.app_context():
        create_staff("hard-reviewer", PASSWORD, "reviewer", region_codes=["330700"])
        db.session.commit()
    token = client.post("/api/v1/staff/auth/login",
                        json={"username": "hard-reviewer", "password": PASSWORD}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    for query in (f"page={2**62}", f"page={HUGE}", f"per_page={HUGE}"):
        assert_envelope(client.get(f"/api/v1/staff/review/queue?{query}", headers=headers), 422)


def test_start_date_at_the_end_of_the_calendar_is_422(client):
    from tests.helpers_filing import setup_user
    headers = setup_user(client, "openid-dates")
    draft = client.post("/api/v1/filings", json={"applicant": "self", "filing_type": "referral",
                                                 "visit_region_code": "310000"}, headers=headers)
    assert draft.status_code == 201, draft.json
    for value in ("9999-12-31", "0001-01-01"):
        resp = client.patch(f"/api/v1/filings/{draft.json['id']}", json={"start_date": value},
                            headers=headers)
        assert assert_envelope(resp, 422)["details"][0]["field"] == "start_date"
    resp = client.post("/api/v1/filings", json={"applicant": "self", "start_date": "9999-12-31"},
                       headers=headers)
    assert_envelope(resp, 422)


@pytest.mark.parametrize("sent_at", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+08:00",
                                     "9999-12-31T23:59:59+00:00"])
def test_chat_sent_at_at_the_ends_of_the_calendar_is_422(client, auth, sent_at):
    session = client.post("/api/v1/chat/sessions", json={}, headers=auth)
    assert session.status_code == 201, session.json
    resp = client.post(f"/api/v1/chat/sessions/{session.json['session_id']}/messages",
                       json={"text": "我要去上海住院", "sent_at": sent_at}, headers=auth)
    assert assert_envelope(resp, 422)["details"][0]["field"] == "sent_at"


def test_extend_on_a_draft_without_a_filing_type_is_4xx(client, auth):
    draft = client.post("/api/v1/filings", json={"applicant": "self"}, headers=auth)
    assert draft.status_code == 201, draft.json
    resp = client.post(f"/api/v1/filings/{draft.json['id']}/extend", json={"end_date": "2030-01-01"},
                       headers=auth)
    assert_envelope(resp, (404, 409, 422))


def test_600000_unknown_keys_are_refused_before_parsing_with_a_small_answer(client, auth):
    body = "{" + ",".join(f'"k{i}": 1' for i in range(600_000)) + "}"
    resp = raw_json(client, "PATCH", "/api/v1/me", body, auth)
    assert assert_envelope(resp, 413)["code"] == "payload_too_large"  # 7 MB: refused unread
    assert len(resp.get_data()) < 1000
    body = "{" + ",".join(f'"k{i}": 1' for i in range(100_000)) + "}"  # 1 MB
    resp = raw_json(client, "PATCH", "/api/v1/me", body, auth)
    error = assert_envelope(resp, 413)
    assert error["code"] == "request.too_many_fields" and "500" in error["message"]
    assert len(resp.get_data()) < 1000
    # Members spread over nested objects count together.
    body = '{"name": [' + ",".join('{"a": 1, "b": 2}' for _ in range(300)) + "]}"
    assert assert_envelope(raw_json(client, "PATCH", "/api/v1/me", body, auth), 413)["code"] == \
        "request.too_many_fields"


def test_reported_problems_are_capped(client, auth):
    from server.errors import MAX_DETAILS
    body = {f"unknown_{i}": i for i in range(400)}
    resp = client.patch("/api/v1/me", json=body, headers=auth)
    error = assert_envelope(resp, 422)
    assert len(error["details"]) == MAX_DETAILS
    assert len(resp.get_data()) < 10_000


def test_nul_in_a_stored_header_is_refused(client):
    from tests.helpers_filing import make_ready_draft, setup_user
    headers = setup_user(client, "openid-header")
    draft = make_ready_draft(client, headers, "referral")
    resp = client.post(f"/api/v1/filings/{draft['id']}/submit",
                       headers={**headers, "Idempotency-Key": "key\x00one"})
    assert assert_envelope(resp, 400)["details"][0]["field"] == "Idempotency-Key"
