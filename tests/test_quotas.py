"""Per-user quotas: an account cannot create drafts, uploads or chat sessions without bound."""
from __future__ import annotations

from server.common import quotas
from tests.conftest import login
from tests.helpers_filing import png_bytes, setup_user, upload


def _draft(client, headers):
    return client.post("/api/v1/filings", json={"applicant": "self"}, headers=headers)


def test_drafts_per_day(client):
    headers = login(client, "openid-many-drafts")
    for _ in range(quotas.DRAFTS_PER_DAY):
        assert _draft(client, headers).status_code == 201
    resp = _draft(client, headers)
    assert resp.status_code == 429
    error = resp.json["error"]
    assert error["code"] == "quota.drafts" and str(quotas.DRAFTS_PER_DAY) in error["message"]
    assert error["details"][0]["field"] == "filing"
    assert 0 < int(resp.headers["Retry-After"]) <= 24 * 3600
    assert _draft(client, login(client, "openid-someone-else")).status_code == 201


def test_uploads_per_filing(client):
    headers = setup_user(client, "openid-many-uploads")
    draft = client.post("/api/v1/filings", json={"applicant": "self", "filing_type": "referral",
                                                 "visit_region_code": "310000"}, headers=headers).json
    ids = []
    for i in range(quotas.DOCUMENTS_PER_FILING):
        resp = upload(client, headers, draft["id"], "referral_certificate", png_bytes(20 + i, 20))
        assert resp.status_code == 201, resp.json
        ids.append(resp.json["document"]["id"])
    resp = upload(client, headers, draft["id"], "referral_certificate")
    assert resp.status_code == 409 and resp.json["error"]["code"] == "quota.documents"
    assert resp.json["error"]["details"][0]["field"] == "file"
    assert str(quotas.DOCUMENTS_PER_FILING) in resp.json["error"]["message"]
    # Removing one makes room; uploading and removing forever does not.
    for _ in range(quotas.UPLOADS_PER_FILING - quotas.DOCUMENTS_PER_FILING):
        doc_id = ids.pop()
        assert client.delete(f"/api/v1/filings/{draft['id']}/documents/{doc_id}",
                             headers=headers).status_code == 204
        resp = upload(client, headers, draft["id"], "referral_certificate")
        assert resp.status_code == 201, resp.json
        ids.append(resp.json["document"]["id"])
    client.delete(f"/api/v1/filings/{draft['id']}/documents/{ids.pop()}", headers=headers)
    resp = upload(client, headers, draft["id"], "referral_certificate")
    assert resp.status_code == 429 and resp.json["error"]["code"] == "quota.uploads"


def test_chat_sessions_per_day(client):
    headers = login(client, "openid-chatty")
    for _ in range(quotas.CHAT_SESSIONS_PER_DAY):
        assert client.post("/api/v1/chat/sessions", json={}, headers=headers).status_code == 201
    resp = client.post("/api/v1/chat/sessions", json={}, headers=headers)
    assert resp.status_code == 429 and resp.json["error"]["code"] == "quota.chat_sessions"
    assert "Retry-After" in resp.headers
