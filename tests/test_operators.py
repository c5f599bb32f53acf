"""The operator API behind the console: only operators, every account action, the directory import."""
from __future__ import annotations

import io

from server.accounts.staff import create_staff
from server.extensions import db as _db

PASSWORD = "operator-password-1"


def _login(client, username):
    resp = client.post("/api/v1/staff/auth/login", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.json
    return {"Authorization": f"Bearer {resp.json['token']}"}


def _setup(app):
    with app.app_context():
        create_staff("ops", PASSWORD, "operator")
        create_staff("rev", PASSWORD, "reviewer", region_codes=["330700"])
        _db.session.commit()


def test_only_operators(client, app):
    _setup(app)
    reviewer = _login(client, "rev")
    for method, path in (("get", "/api/v1/staff/admin/staff"), ("post", "/api/v1/staff/admin/staff/1/unlock"),
                         ("get", "/api/v1/staff/admin/notifications/dead")):
        resp = getattr(client, method)(path, headers=reviewer)
        assert resp.status_code == 403 and resp.json["error"]["code"] == "auth.role"
    assert client.get("/api/v1/staff/admin/staff").status_code == 401


def test_accounts_created_deactivated_unlocked_and_reset(client, app):
    _setup(app)
    ops = _login(client, "ops")
    bad = client.post("/api/v1/staff/admin/staff", json={"username": "c1", "password": PASSWORD, "role": "counter",
                                                         "institution_code": "NOPE"}, headers=ops)
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["field"] == "institution_code"
    short = client.post("/api/v1/staff/admin/staff", json={"username": "r2", "password": "x", "role": "reviewer",
                                                           "region_codes": ["330700"]}, headers=ops)
    assert short.status_code == 422 and short.json["error"]["details"][0]["field"] == "password"
    made = client.post("/api/v1/staff/admin/staff", json={"username": "r2", "password": PASSWORD, "role": "reviewer",
                                                          "region_codes": ["330700"]}, headers=ops)
    assert made.status_code == 201 and made.json["active"] and made.json["region_codes"] == ["330700"]
    sid = made.json["id"]
    r2 = _login(client, "r2")
    assert client.post(f"/api/v1/staff/admin/staff/{sid}/password", json={"password": "another-password-2"},
                       headers=ops).status_code == 200
    assert client.post("/api/v1/staff/auth/login", json={"username": "r2", "password": "another-password-2"}).status_code == 200
    assert client.post(f"/api/v1/staff/admin/staff/{sid}/unlock", headers=ops).json["locked"] is False
    gone = client.post(f"/api/v1/staff/admin/staff/{sid}/deactivate", headers=ops)
    assert gone.status_code == 200 and gone.json["active"] is False
    assert client.get("/api/v1/staff/me", headers=r2).status_code == 401  # its tokens went with it
    me = client.get("/api/v1/staff/me", headers=ops).json
    assert client.post(f"/api/v1/staff/admin/staff/{me['id']}/deactivate", headers=ops).status_code == 409
    listed = client.get("/api/v1/staff/admin/staff", headers=ops).json["items"]
    assert {s["username"] for s in listed} == {"ops", "rev", "r2"}
    assert all("password" not in s and "password_hash" not in s for s in listed)


def test_directory_import_reports_lines_and_loads_nothing_when_any_row_is_bad(client, app):
    _setup(app)
    ops = _login(client, "ops")
    bad = "code,name,region_code,kind,level\nTESTH0001,测试医院一,330700,hospital,三级\nTESTH0002,,999999,hospital,三级\n".encode()
    resp = client.post("/api/v1/staff/admin/institutions/import", headers=ops,
                       data={"file": (io.BytesIO(bad), "dir.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 200 and resp.json["imported"] is False
    assert {e["line"] for e in resp.json["errors"]} == {3}
    assert client.get("/api/v1/institutions?q=测试医院一").json["items"] == []
    good = "code,name,region_code,kind,level\nTESTH0001,测试医院一,330700,hospital,三级\n".encode()
    resp = client.post("/api/v1/staff/admin/institutions/import", headers=ops,
                       data={"file": (io.BytesIO(good), "dir.csv")}, content_type="multipart/form-data")
    assert resp.json == {"imported": True, "rows": 1, "inserted": 1, "updated": 0, "error_count": 0, "errors": []}
    missing = client.post("/api/v1/staff/admin/institutions/import", headers=ops, data={},
                          content_type="multipart/form-data")
    assert missing.status_code == 422 and missing.json["error"]["details"][0]["field"] == "file"


def test_poster_pdf(client, app):
    from sqlalchemy import select

    from server.institutions.cli import seed_demo
    from server.institutions.models import Institution

    with app.app_context():
        seed_demo()
        inst = _db.session.scalar(select(Institution).where(Institution.code == "DEMOH11000001"))
        create_staff("xh", PASSWORD, "counter", institution_id=inst.id)
        _db.session.commit()
    counter = _login(client, "xh")
    code = client.post("/api/v1/staff/counter-codes", json={"counter_name": "住院处"}, headers=counter).json
    resp = client.get(code["poster_pdf"], headers=counter)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data[:5] == b"%PDF-"
    from pypdf import PdfReader

    page = PdfReader(io.BytesIO(resp.data)).pages[0]
    assert round(float(page.mediabox.width)) == 595 and round(float(page.mediabox.height)) == 842  # A4


def test_reviewer_given_a_district_code_reviews_its_pooling_region(client, app):
    # Hospital and bureau systems write district codes (411302 宛城区); a reviewer's region is the
    # pooling region they belong to (411300 南阳市), and 110105 朝阳区 folds to 北京 (110000).
    _setup(app)
    ops = _login(client, "ops")
    made = client.post("/api/v1/staff/admin/staff", json={"username": "rev-ny", "password": PASSWORD,
                                                          "role": "reviewer",
                                                          "region_codes": ["411302", "110105"]}, headers=ops)
    assert made.status_code == 201, made.json
    assert made.json["region_codes"] == ["110000", "411300"]
    bad = client.post("/api/v1/staff/admin/staff", json={"username": "rev-x", "password": PASSWORD,
                                                         "role": "reviewer", "region_codes": ["411399"]},
                      headers=ops)
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["field"] == "region_codes"
