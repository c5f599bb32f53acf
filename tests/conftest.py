"""Fixtures: the app on a real database (a SQLite file, or PostgreSQL via TEST_DATABASE_URL),
a test client, login helpers, and a fake WeChat HTTP server on 127.0.0.1."""
from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import text

from server import create_app
from server.config import TestConfig
from server.extensions import db as _db
from tests import contract

POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))

# Subscribe-message templates as an operator would configure them (ids are made up).
TEST_TEMPLATES = json.dumps({
    "review_result": {"id": "TPL-REVIEW", "fields": {"thing1": "filing_type", "phrase2": "result",
                                                      "thing3": "note", "time4": "time"}},
    "proof_reminder": {"id": "TPL-PROOF", "fields": {"thing1": "filing_type", "phrase2": "result",
                                                      "date3": "date", "thing4": "note"}},
    "validity_reminder": {"id": "TPL-VALID", "fields": {"thing1": "filing_type", "phrase2": "result",
                                                         "date3": "date", "thing4": "note"}},
    "verification": {"id": "TPL-VERIFY", "fields": {"thing1": "note", "time2": "time"}},
    "change_result": {"id": "TPL-CHANGE", "long_term": True,
                      "fields": {"thing1": "filing_type", "phrase2": "result", "thing3": "note"}},
})


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: runs on the SQLite pass only (benchmark smoke)")


def _database_url(tmp_path_factory) -> str:
    if POSTGRES:
        return os.environ["TEST_DATABASE_URL"]
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def fake_wechat():
    server = FakeWeChat()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app(tmp_path_factory, fake_wechat):
    cfg = TestConfig(
        SQLALCHEMY_DATABASE_URI=_database_url(tmp_path_factory),
        UPLOAD_FOLDER=str(tmp_path_factory.mktemp("uploads")),
        WECHAT_API_BASE=fake_wechat.url,
        PUBLIC_BASE_URL="https://filing.example.cn",
        WECHAT_TEMPLATES=TEST_TEMPLATES,
    )
    app = create_app(cfg)
    contract.install(app)  # every answer below is checked against the OpenAPI document
    with app.app_context():
        # The PostgreSQL test database is emptied first; an unreachable one fails here.
        _db.drop_all()
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


def _empty_tables():
    tables = list(reversed(_db.metadata.sorted_tables))
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for t in tables:
                conn.execute(t.delete())


@pytest.fixture(autouse=True)
def _clean_db(request):
    yield
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        with app.app_context():
            _db.session.remove()
            _empty_tables()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    with app.app_context():
        yield _db


def login(client, openid: str = "openid-alice") -> dict:
    resp = client.post("/api/v1/auth/dev", json={"openid": openid})
    assert resp.status_code == 200, resp.json
    return {"Authorization": f"Bearer {resp.json['token']}"}


@pytest.fixture
def auth(client):
    return login(client)


# --- fake WeChat ---------------------------------------------------------------------------------


class FakeWeChat:
    """A real HTTP server standing in for api.weixin.qq.com. Behaviour is keyed by the js_code:
    'ok-<openid>' succeeds ('ok-<openid>~<anything>': another code for the same user), 'err-<errcode>'
    answers that errcode, 'slow' sleeps past the client timeout, 'trickle' sends its answer one byte
    every 2 s, 'html' answers a non-JSON body, 'boom' answers HTTP 500 (the first `boom_times`
    calls of any path answer 500 too). Access tokens: stable_token hands out ACCESS-TOKEN-<n>,
    a new n on force_refresh; authenticated calls answer 40001 for any other token (for every
    token while `reject_tokens`)."""

    def __init__(self):
        self.calls: list[dict] = []
        self.lock = threading.Lock()
        self.delay = 0.0
        self.token_serial = 1
        self.boom_times = 0
        self.reject_tokens = False
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body: bytes, ctype="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _trickle(self, body: bytes):
                raw = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                       b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                try:
                    for i in range(len(raw)):
                        self.wfile.write(raw[i:i + 1])
                        self.wfile.flush()
                        time.sleep(2)
                except OSError:
                    pass  # the client gave up, as it should
                self.close_connection = True

            def _boom(self) -> bool:
                with fake.lock:
                    if fake.boom_times <= 0:
                        return False
                    fake.boom_times -= 1
                self._send(500, b"oops", "text/plain")
                return True

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                with fake.lock:
                    fake.calls.append({"path": url.path, "query": query})
                if self._boom():
                    return
                if url.path != "/sns/jscode2session":
                    return self._send(404, b"{}")
                code = query.get("js_code", "")
                if fake.delay:
                    time.sleep(fake.delay)
                if query.get("secret") != "test-app-secret" or query.get("appid") != "wx-test-appid":
                    return self._send(200, json.dumps({"errcode": 40125, "errmsg": "invalid appsecret"}).encode())
                if code.startswith("trickle"):
                    return self._trickle(b'{"openid": "trickled", "session_key": "k"}')
                if code.startswith("ok-"):
                    body = {"openid": code[3:].split("~")[0], "session_key": "SESSIONKEY-" + code, "unionid": None}
                    if code.startswith("ok-union-"):
                        body["unionid"] = "union-" + code[9:]
                    return self._send(200, json.dumps(body).encode())
                if code.startswith("err-"):
                    errcode = int(code[4:])
                    return self._send(200, json.dumps({"errcode": errcode, "errmsg": "x"}).encode())
                if code == "slow":
                    time.sleep(2)
                    return self._send(200, b'{"openid": "late", "session_key": "k"}')
                if code == "html":
                    return self._send(200, b"<html>bad gateway</html>", "text/html")
                if code == "boom":
                    return self._send(500, b"oops", "text/plain")
                return self._send(200, json.dumps({"errcode": 40029, "errmsg": "invalid code"}).encode())

            def do_POST(self):
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake.lock:
                    fake.calls.append({"path": url.path, "body": body,
                                       "query": {k: v[0] for k, v in parse_qs(url.query).items()}})
                if self._boom():
                    return
                if url.path == "/cgi-bin/stable_token":
                    with fake.lock:
                        if body.get("force_refresh"):
                            fake.token_serial += 1
                        token = fake.current_token()
                    return self._send(200, json.dumps({"access_token": token, "expires_in": 7200}).encode())
                token = parse_qs(url.query).get("access_token", [None])[0]
                if token is not None and (fake.reject_tokens or token != fake.current_token()):
                    return self._send(200, json.dumps({"errcode": 40001, "errmsg": "invalid credential"}).encode())
                if url.path == "/cgi-bin/message/subscribe/send":
                    fake.subscribe_entered.set()
                    fake.subscribe_gate.wait(10)
                    with fake.lock:
                        errcode = fake.subscribe_errcodes.pop(0) if fake.subscribe_errcodes else 0
                    return self._send(200, json.dumps({"errcode": errcode, "errmsg": "x"}).encode())
                if url.path == "/wxa/generate_urllink":
                    if fake.urllink_errcode:
                        return self._send(200, json.dumps({"errcode": fake.urllink_errcode, "errmsg": "x"}).encode())
                    link = f"https://wxaurl.cn/fake{len(fake.calls_for(url.path))}"
                    return self._send(200, json.dumps({"errcode": 0, "errmsg": "ok", "url_link": link}).encode())
                if url.path == "/wxa/getwxacodeunlimit":
                    if fake.wxacode_png is None:
                        return self._send(200, json.dumps({"errcode": 41030, "errmsg": "invalid page"}).encode())
                    return self._send(200, fake.wxacode_png, "image/png")
                return self._send(404, b"{}")

        self.wxacode_png: bytes | None = None
        self.urllink_errcode = 0  # urllink.generate answers this errcode when set
        # subscribeMessage.send answers these errcodes in turn, then 0; the gate lets a test hold a
        # send in flight (set = answer at once).
        self.subscribe_errcodes: list[int] = []
        self.subscribe_gate = threading.Event()
        self.subscribe_gate.set()
        self.subscribe_entered = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def current_token(self) -> str:
        return f"ACCESS-TOKEN-{self.token_serial}"

    def calls_for(self, path: str) -> list[dict]:
        with self.lock:
            return [c for c in self.calls if c["path"] == path]

    def reset(self):
        with self.lock:
            self.calls.clear()
            self.subscribe_errcodes.clear()
            self.boom_times = 0
        self.reject_tokens = False
        self.delay = 0.0
        self.urllink_errcode = 0
        self.subscribe_gate.set()
        self.subscribe_entered.clear()
