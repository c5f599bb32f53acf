"""The phone web client's doors over HTTP: /h5/ only where the development login exists, every
script its page loads is served, and the /q/ page a counter QR opens outside WeChat offers the
mini-program through a WeChat URL Link (fake WeChat on loopback) and, in development, /h5/."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from server import create_app
from server.config import TestConfig
from server.extensions import db as _db
from server.institutions import service as inst_service
from server.institutions.cli import seed_demo
from server.institutions.models import Institution

LINK = re.compile(r'href="(https://wxaurl\.cn/[^"]+)"')


@pytest.fixture
def token(app):
    with app.app_context():
        seed_demo()
        inst = _db.session.scalar(select(Institution).where(Institution.code == "DEMOH31000001"))
        code = inst_service.create_counter_code(inst, "住院处")
        _db.session.commit()
        return inst_service.token_for(code)


@pytest.fixture
def production_like(app, fake_wechat):
    """The same database with the development login off, as in production."""
    other = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                                  UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"], WECHAT_API_BASE=fake_wechat.url,
                                  DEV_LOGIN_ENABLED=False))
    yield other
    with other.app_context():
        _db.session.remove()
        _db.engine.dispose()


def test_the_client_and_every_script_it_loads_are_served(client):
    page = client.get("/h5/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', html) + re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert len(scripts) >= 8
    for src in scripts:
        resp = client.get(src)
        assert resp.status_code == 200, src
    assert client.get("/h5/static/../routes.py").status_code == 404


def test_off_where_there_is_no_development_login(production_like):
    c = production_like.test_client()
    assert c.get("/h5/").status_code == 404
    assert c.get("/h5/static/app.js").status_code == 404
    assert c.post("/api/v1/auth/dev", json={"openid": "x"}).status_code in (403, 404)


def test_counter_page_offers_the_mini_program_and_the_web_client(client, token, fake_wechat):
    fake_wechat.reset()
    html = client.get(f"/q/{token}").get_data(as_text=True)
    link = LINK.search(html)
    assert link, html
    assert f'href="/h5/#/entry/{token}"' in html  # development: the web client, place chosen
    calls = fake_wechat.calls_for("/wxa/generate_urllink")
    assert len(calls) == 1
    body = calls[0]["body"]
    assert body["path"] == inst_service.WXACODE_PAGE and body["query"] == f"scene={token}"
    assert calls[0]["query"]["access_token"].startswith("ACCESS-TOKEN")  # the shared token, fetched once
    # WeChat limits how many links are made: the next scan reuses it.
    again = client.get(f"/q/{token}").get_data(as_text=True)
    assert LINK.search(again).group(1) == link.group(1)
    assert len(fake_wechat.calls_for("/wxa/generate_urllink")) == 1


def test_in_production_the_link_and_no_web_client(production_like, token, fake_wechat):
    fake_wechat.reset()
    html = production_like.test_client().get(f"/q/{token}").get_data(as_text=True)
    assert LINK.search(html) and "/h5/" not in html


def test_wechat_refusing_leaves_the_written_way(client, token, fake_wechat):
    fake_wechat.reset()
    fake_wechat.urllink_errcode = 85400
    resp = client.get(f"/q/{token}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and not LINK.search(html)
    assert "扫一扫" in html and "/h5/#/entry/" in html
    fake_wechat.urllink_errcode = 0


def test_unknown_code_offers_no_link(client, fake_wechat):
    fake_wechat.reset()
    resp = client.get("/q/AAAAAAAAAAAAAAAAAAAA")
    assert resp.status_code == 404 and "/h5/" not in resp.get_data(as_text=True)
    assert fake_wechat.calls_for("/wxa/generate_urllink") == []
