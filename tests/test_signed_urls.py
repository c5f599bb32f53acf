"""File links usable without a header (mini-program <image>, wx.previewImage, wx.downloadFile):
signed for one object and one viewer, short-lived, kept only privately."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from server.common.signed_urls import file_url
from server.extensions import db as _db
from tests.conftest import login
from tests.helpers_filing import make_ready_draft, setup_user, sign
from tests.review_helpers import make_reviewer, staff_login, user_by_openid


def _split(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    return parsed.path, parse_qs(parsed.query)["sig"][0]


def test_document_link_works_without_a_header_for_its_viewer_only(client, app):
    headers = setup_user(client)
    draft = make_ready_draft(client, headers, "long_term_resident")
    doc_url = draft["documents"][0]["url"]
    path, sig = _split(doc_url)

    resp = client.get(doc_url)  # no Authorization header, as <image src> sends it
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    assert resp.headers["Cache-Control"] == "private, max-age=600"
    # With the header, the plain path still works (and is not cached).
    assert client.get(path, headers=headers).status_code == 200
    assert client.get(path).status_code == 401

    # One object: the signature does not open another path.
    other = client.get(path.replace("/documents/", "/documents/9") + f"?sig={sig}")
    assert other.status_code == 401 and other.json["error"]["code"] == "url.invalid"
    # A forged or truncated signature is refused.
    assert client.get(f"{path}?sig={sig[:-3]}xyz").status_code == 401
    # One viewer: a link signed for someone else opens nothing of hers.
    bob = login(client, "openid-bob")
    with app.test_request_context():
        bob_id = user_by_openid("openid-bob").id
        bobs = file_url(path, viewer=f"u{bob_id}")
    assert client.get(bobs).status_code == 404  # Bob is not the owner: the access rule still holds
    assert bob


def test_links_expire(client, app):
    headers = setup_user(client)
    draft = make_ready_draft(client, headers, "long_term_resident")
    url = draft["documents"][0]["url"]
    app.config["SIGNED_URL_TTL_SECONDS"] = 0
    try:
        import time
        time.sleep(1.1)
        resp = client.get(url)
        assert resp.status_code == 401 and resp.json["error"]["code"] == "url.expired"
    finally:
        app.config["SIGNED_URL_TTL_SECONDS"] = 600


def test_letter_link_and_staff_link(client, app):
    headers = setup_user(client, insured="330700")
    draft = make_ready_draft(client, headers, "long_term_resident", proof="none")
    signed = sign(client, headers, draft["id"])
    assert signed.status_code == 201
    pdf = client.get(signed.json["pdf_url"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert client.get(f"/api/v1/filings/{draft['id']}/commitment", headers=headers).json["pdf_url"] != \
        f"/api/v1/filings/{draft['id']}/commitment.pdf"  # always given signed
    submitted = client.post(f"/api/v1/filings/{draft['id']}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.json

    with app.app_context():
        make_reviewer("rev-jinhua", ("330700",))
        _db.session.commit()
    staff = staff_login(client, "rev-jinhua")
    detail = client.get(f"/api/v1/staff/review/filings/{draft['id']}", headers=staff).json
    letter = detail["letter"]["url"]
    assert "sig=" in letter
    assert client.get(letter).status_code == 200  # the reviewer's own link, no header
    # The owner's link is not the reviewer's: each is signed for who asked.
    assert _split(letter)[1] != _split(signed.json["pdf_url"])[1]


def test_document_describes_the_signed_links(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["components"]["securitySchemes"]["signedUrl"]["in"] == "query"
    for path in ("/api/v1/filings/{filing_id}/documents/{doc_id}", "/api/v1/filings/{filing_id}/commitment.pdf",
                 "/api/v1/records/{filing_id}/documents/{doc_id}", "/api/v1/filings/{filing_id}/voucher.png",
                 "/api/v1/staff/counter-codes/{code_id}.png"):
        assert spec["paths"][path]["get"]["security"] == [{"bearerAuth": []}, {"signedUrl": []}], path
