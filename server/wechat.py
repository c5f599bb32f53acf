"""A thin gateway over WeChat's HTTP API (base URL from configuration, so tests use a local server).

The app secret, session_key and access_token never reach logs or responses.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import requests
from flask import current_app

log = logging.getLogger(__name__)

_SECRET_PARAMS = re.compile(r"((?:secret|js_code|access_token|session_key)=)[^&\s\"']+")


class _RedactSecrets(logging.Filter):
    """urllib3 logs full request URLs at DEBUG; WeChat puts the app secret and codes in them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(_SECRET_PARAMS.sub(r"\1***", a) if isinstance(a, str) else a
                                for a in record.args)
        if isinstance(record.msg, str):
            record.msg = _SECRET_PARAMS.sub(r"\1***", record.msg)
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RedactSecrets())


@dataclass(frozen=True)
class Session:
    openid: str
    session_key: str
    unionid: str | None


class WeChatError(Exception):
    """kind: invalid_code | too_frequent | unavailable | rejected"""

    def __init__(self, kind: str, errcode: int | None = None):
        super().__init__(f"{kind} ({errcode})")
        self.kind = kind
        self.errcode = errcode


_INVALID_CODE = {40029, 40163}
_TOO_FREQUENT = {45011}
_BUSY = {-1}


def _classify(errcode: int) -> str:
    if errcode in _INVALID_CODE:
        return "invalid_code"
    if errcode in _TOO_FREQUENT:
        return "too_frequent"
    if errcode in _BUSY:
        return "unavailable"
    return "rejected"


class WeChatGateway:
    def __init__(self, base_url: str, appid: str, secret: str, timeout: float):
        self.base_url = base_url.rstrip("/")
        self.appid = appid
        self.secret = secret
        self.timeout = timeout
        self.http = requests.Session()

    @classmethod
    def from_app(cls) -> "WeChatGateway":
        cfg = current_app.config
        return cls(cfg["WECHAT_API_BASE"], cfg["WECHAT_APPID"], cfg["WECHAT_SECRET"], cfg["WECHAT_TIMEOUT"])

    def _call(self, method: str, path: str, *, what: str, **kwargs) -> requests.Response:
        try:
            resp = self.http.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        except requests.Timeout:
            log.warning("wechat %s timed out", what)
            raise WeChatError("unavailable") from None
        except requests.RequestException as exc:
            log.warning("wechat %s unreachable: %s", what, type(exc).__name__)
            raise WeChatError("unavailable") from None
        if resp.status_code >= 500:
            log.warning("wechat %s answered HTTP %s", what, resp.status_code)
            raise WeChatError("unavailable")
        return resp

    @staticmethod
    def _json(resp: requests.Response, what: str) -> dict:
        try:
            data = resp.json()
        except ValueError:
            log.warning("wechat %s answered a non-JSON body (HTTP %s)", what, resp.status_code)
            raise WeChatError("unavailable") from None
        if not isinstance(data, dict):
            raise WeChatError("unavailable")
        errcode = data.get("errcode") or 0
        if errcode:
            log.info("wechat %s errcode %s", what, errcode)
            raise WeChatError(_classify(int(errcode)), int(errcode))
        return data

    def code2session(self, code: str) -> Session:
        resp = self._call("GET", "/sns/jscode2session", what="jscode2session", params={
            "appid": self.appid, "secret": self.secret, "js_code": code,
            "grant_type": "authorization_code"})
        data = self._json(resp, "jscode2session")
        if not data.get("openid") or not data.get("session_key"):
            raise WeChatError("unavailable")
        return Session(data["openid"], data["session_key"], data.get("unionid") or None)

    def fetch_access_token(self) -> tuple[str, int]:
        # stable_token: one token shared by every server, not invalidated by another fetch.
        resp = self._call("POST", "/cgi-bin/stable_token", what="stable_token", json={
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})
        data = self._json(resp, "stable_token")
        return data["access_token"], int(data.get("expires_in", 7200))

    def wxacode_unlimited(self, access_token: str, scene: str, page: str | None = None) -> bytes:
        body = {"scene": scene, "check_path": False}
        if page:
            body["page"] = page
        resp = self._call("POST", "/wxa/getwxacodeunlimit", what="getwxacodeunlimit",
                          params={"access_token": access_token}, json=body)
        if resp.headers.get("Content-Type", "").startswith("image/"):
            return resp.content
        self._json(resp, "getwxacodeunlimit")
        raise WeChatError("unavailable")

    def subscribe_send(self, access_token: str, body: dict) -> None:
        """subscribeMessage.send: raises WeChatError with WeChat's errcode when it refuses."""
        resp = self._call("POST", "/cgi-bin/message/subscribe/send", what="subscribe_send",
                          params={"access_token": access_token}, json=body)
        self._json(resp, "subscribe_send")


def access_token() -> str:
    """The access token, kept in shared storage so app servers do not fetch one each."""
    from server.common.kv import get_kv

    kv = get_kv()
    cached = kv.get("wechat:access_token")
    if cached:
        return cached
    token, expires_in = WeChatGateway.from_app().fetch_access_token()
    kv.set("wechat:access_token", token, max(60, expires_in - 300))
    return token
