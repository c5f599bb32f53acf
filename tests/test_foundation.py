"""The app's shell: errors in one envelope, health, OpenAPI and offline docs, production guard."""
from __future__ import annotations

import pytest

from server import create_app
from server.config import Config


def test_health_and_ready(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json["status"] == "ready"  # warnings, if any, are in test_calendar_coverage


@pytest.mark.parametrize("method,path,status,code", [
    ("get", "/api/v1/nope", 404, "not_found"),
    ("delete", "/api/v1/regions", 405, "method_not_allowed"),
])
def test_http_errors_use_envelope(client, method, path, status, code):
    resp = getattr(client, method)(path)
    assert resp.status_code == status
    assert resp.is_json
    assert resp.json["error"]["code"] == code
    assert resp.json["error"]["message"]


def test_malformed_json_is_400(client):
    resp = client.post("/api/v1/auth/dev", data="{not json", content_type="application/json")
    assert resp.status_code == 400
    assert resp.json["error"]["code"] == "bad_request"


def test_too_large_body_is_413(app, client):
    resp = client.post("/api/v1/auth/dev", data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10),
                       content_type="application/json")
    assert resp.status_code == 413
    assert resp.json["error"]["code"] == "payload_too_large"


def test_unexpected_error_is_500_envelope(app):
    from server.config import TestConfig

    other = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                                  SWALLOW_ERRORS=True))

    @other.get("/__boom")
    def _boom():
        raise RuntimeError("boom")

    resp = other.test_client().get("/__boom")
    assert resp.status_code == 500
    assert resp.json["error"]["code"] == "internal_error"
    assert "boom" not in resp.get_data(as_text=True)


def test_openapi_document_and_offline_docs(client):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert spec.json["openapi"].startswith("3.")
    assert "/api/v1/auth/wechat" in spec.json["paths"]
    assert "/api/v1/regions" in spec.json["paths"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in html
    assert "http" not in html.split("swagger-ui-bundle.js")[0].split("<script src=\"")[-1]
    asset = client.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000


def test_production_refuses_default_secrets(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Config())


def test_production_refuses_dev_login(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATA_KEY", "d" * 40)
    monkeypatch.setenv("WECHAT_APPID", "wx1")
    monkeypatch.setenv("WECHAT_SECRET", "sec")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://filing.example.cn")
    monkeypatch.setenv("DEV_LOGIN_ENABLED", "1")
    with pytest.raises(RuntimeError, match="DEV_LOGIN"):
        create_app(Config())
    monkeypatch.setenv("DEV_LOGIN_ENABLED", "0")
    cfg = Config()
    assert cfg.problems() == []
    assert cfg.DEV_LOGIN_ENABLED is False


def test_openapi_document_is_valid(client):
    from openapi_spec_validator import validate

    validate(client.get("/api/v1/openapi.json").json)
